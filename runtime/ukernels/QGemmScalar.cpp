//===- QGemmScalar.cpp - portable int8 GEMM microkernel -------------------===//
//
// The plain C++ variant of QGemm.h: the fallback on CPUs without AVX2 and on
// other architectures, and the definition the vector variants must match bit
// for bit. It walks the packed weights in their layout, one 16-column panel
// at a time, so it needs no unpacking buffer.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemm.h"

namespace quantc::ukernels {

void qgemmScalar(const QGemmTile &t) {
  const int64_t kp = roundUp(t.k, kKBlock);
  for (int64_t m = t.m0; m < t.m1; ++m) {
    const int8_t *a = t.a + m * t.lda;
    const float rowScale = t.rowScales[m * t.rowScaleStride];
    float *out = t.out + m * t.ldc;
    for (int64_t n = t.n0; n < t.n1; n += kPanel) {
      const int8_t *panel = t.w + n / kPanel * kp * kPanel;
      // Accumulate in uint32 so that overflow wraps (as in the vector
      // variants) instead of being undefined.
      uint32_t acc[kPanel] = {};
      for (int64_t k = 0; k < t.k; ++k) {
        const int32_t av = a[k];
        const int8_t *wk = panel + k / 4 * 4 * kPanel + k % 4;
        for (int64_t c = 0; c < kPanel; ++c)
          acc[c] += uint32_t(av * int32_t(wk[c * 4]));
      }
      const int64_t cols = t.n1 - n < kPanel ? t.n1 - n : kPanel;
      for (int64_t c = 0; c < cols; ++c) {
        const float p = t.colScales[n + c] * rowScale;
        const uint32_t corr = uint32_t(t.aZero) * uint32_t(t.colSums[n + c]);
        const float v = float(int32_t(acc[c] - corr));
        out[n + c] = v * p;
      }
    }
  }
}

} // namespace quantc::ukernels
