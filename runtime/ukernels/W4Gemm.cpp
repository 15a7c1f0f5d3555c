//===- W4Gemm.cpp - f32 GEMM over 4-bit group-wise weights ----------------===//
//
// The portable parts: the scalar decoder, the choice of decoder, and the
// tile (the K-block loop of DecodedGemm.h, or the GEMV for a few rows).
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/W4Gemm.h"

#include "runtime/ukernels/DecodedGemm.h"

#include <cstring>

namespace quantc::ukernels {

void w4DecodeScalar(const W4GemmTile &t, int64_t p0, int64_t p1, int64_t k0,
                    int64_t k1, float *dst) {
  const int64_t kp = roundUp(t.k, t.groupRows), groups = kp / t.groupRows;
  const int64_t rows = k1 - k0;
  for (int64_t p = p0; p < p1; ++p) {
    const uint8_t *codes = t.codes + p * kp * 16;
    const uint16_t *scales = t.scales + p * groups * kSPanel;
    const int8_t *zeros = t.zeros ? t.zeros + p * groups * kSPanel : nullptr;
    float *out = dst + (p - p0) * rows * kSPanel;
    for (int64_t k = k0; k < k1; ++k, out += kSPanel) {
      const int64_t g = k / t.groupRows;
      const uint8_t *row = codes + k * 16;
      for (int c = 0; c < kSPanel; ++c) {
        const int u = c < 16 ? row[c] & 15 : row[c - 16] >> 4;
        const int z = zeros ? zeros[g * kSPanel + c] : kNoZeroPoint;
        out[c] = float(u - z) * halfToFloat(scales[g * kSPanel + c]);
      }
    }
  }
}

W4DecodeFn w4DecodeFor(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::Avx512Vnni || isa == Isa::Amx)
    return w4DecodeAvx512;
  if (isa == Isa::Avx2)
    return w4DecodeAvx2;
#else
  (void)isa;
#endif
  return w4DecodeScalar;
}

W4GemvFn w4GemvFor(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::Avx512Vnni || isa == Isa::Amx)
    return w4GemvAvx512;
  if (isa == Isa::Avx2)
    return w4GemvAvx2;
#else
  (void)isa;
#endif
  return nullptr;
}

void w4Gemm(const W4GemmTile &t, W4DecodeFn decode, SGemmFn sgemm,
            W4GemvFn gemv) {
  if (t.m1 <= t.m0 || t.n1 <= t.n0)
    return;
  if (gemv && t.m1 - t.m0 <= kGemvRows)
    return gemv(t);
  decodedGemm(t.a, t.lda, t.out, t.ldc, t.k, t.m0, t.m1, t.n0, t.n1, sgemm,
              [&](int64_t p0, int64_t p1, int64_t k0, int64_t k1, float *dst) {
                decode(t, p0, p1, k0, k1, dst);
              });
}

} // namespace quantc::ukernels
