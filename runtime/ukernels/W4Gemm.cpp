//===- W4Gemm.cpp - f32 GEMM over 4-bit group-wise weights ----------------===//
//
// The portable parts: the K-block loop around the f32 microkernel, the
// scalar decoder, and the choice of decoder.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/W4Gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace quantc::ukernels {

namespace {

/// Rows decoded per block: with up to 8 panels (256 columns, the compiler's
/// tile) a block is 256 KiB of f32, which stays in L2 while the f32 kernel
/// reads it once per row block of A.
constexpr int64_t kKc = 256;

} // namespace

float halfToFloat(uint16_t h) {
  // The compiler's half type converts exactly (F16C where the target has
  // it, a libgcc/compiler-rt routine otherwise).
  _Float16 f;
  std::memcpy(&f, &h, sizeof f);
  return static_cast<float>(f);
}

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
#else
  (void)isa;
#endif
  return w4DecodeScalar;
}

W4GemvFn w4GemvFor(Isa isa) {
#if defined(__x86_64__)
  if (isa == Isa::Avx512Vnni || isa == Isa::Amx)
    return w4GemvAvx512;
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
  const int64_t p0 = t.n0 / kSPanel, p1 = roundUp(t.n1, kSPanel) / kSPanel;
  thread_local std::vector<float> block;
  block.resize(size_t((p1 - p0) * kKc * kSPanel));
  SGemmTile s;
  s.lda = t.lda;
  s.out = t.out + t.n0;
  s.ldc = t.ldc;
  s.m0 = t.m0;
  s.m1 = t.m1;
  s.n0 = 0;
  s.n1 = t.n1 - t.n0;
  for (int64_t k0 = 0; k0 < t.k; k0 += kKc) {
    const int64_t k1 = std::min(t.k, k0 + kKc);
    decode(t, p0, p1, k0, k1, block.data());
    s.a = t.a + k0;
    s.w = block.data();
    s.k = k1 - k0;
    s.accumulate = k0 > 0;
    s.fill = 0.0f;
    sgemm(s);
  }
}

} // namespace quantc::ukernels
