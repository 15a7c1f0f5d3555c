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

namespace {

struct ScalarRows {
  static int64_t group(const W4Panel &, int64_t g) { return g; }
  static void row(const W4Panel &panel, int64_t g, int64_t k, float *out) {
    const uint8_t *row = panel.codes + k * 16;
    for (int c = 0; c < kSPanel; ++c) {
      const int u = c < 16 ? row[c] & 15 : row[c - 16] >> 4;
      const int z = panel.zeros ? panel.zeros[g * kSPanel + c] : kNoZeroPoint;
      out[c] = float(u - z) * halfToFloat(panel.scales[g * kSPanel + c]);
    }
  }
};

} // namespace

void w4DecodeScalar(const W4GemmTile &t, int64_t p0, int64_t p1, int64_t k0,
                    int64_t k1, float *dst) {
  decodeW4Rows<ScalarRows>(t, p0, p1, k0, k1, dst);
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
