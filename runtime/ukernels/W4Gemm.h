//===- W4Gemm.h - f32 GEMM over 4-bit group-wise weights -------*- C++ -*-===//
//
// out = A x dequantize(W) for f32 activations A [M, K] and a 4-bit weight W
// [K, N] with one f16 scale (and optionally one zero point) per group of
// `groupRows` consecutive rows and column (W4A16), packed at compile time
// (backends/cpu/W4Matmuls.cpp), one output tile per call.
//
// Weight layout (written by the compiler):
//   Np = N rounded up to kSPanel (32), Kp = K rounded up to whole groups,
//   G = Kp / groupRows;
//   codes: panel p (columns [32p, 32p + 32)) is Kp * 16 bytes at
//     codes + p * Kp * 16; byte j of its row k holds u(k, 32p + j) in its
//     low nibble and u(k, 32p + 16 + j) in its high nibble, where
//     u = q - qmin is the signed code made unsigned (qmin = -8, so 0..15);
//   scales: f16, panel p's G x 32 at scales + p * G * 32, (g, c) the scale
//     of group g and column 32p + c;
//   zero points (optional): i8, the same shape, each z - qmin (0..15);
//     without them every z - qmin is kNoZeroPoint (z = 0, qmin = -8).
// Rows k >= K (the last group's padding) are never read; columns n >= N
// (the last panel's padding) are computed from zeros and not stored.
//
// Every variant computes w(k, n) = float(u - z') * float(scale), exactly as
// qc-lower-quantized's kernel dequantizes (u - z' = q - z, both exact in
// f32), into a block of sgemm panels (a K block of the tile's columns, kept
// in L2) and runs the f32 microkernel on it, accumulating over K blocks:
// its result is the f32 kernel's on the dequantized weight. Decoding a
// block costs a few instructions per weight against M multiply-adds, so
// prefill runs at the f32 kernel's speed with a quarter of its weight
// bytes. At most kGemvRows rows (decode) skip the buffer: the decoded
// weights feed register accumulators directly.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_UKERNELS_W4GEMM_H
#define QUANTC_RUNTIME_UKERNELS_W4GEMM_H

#include "runtime/ukernels/SGemm.h"

#include <cstdint>
#include <cstring>

namespace quantc::ukernels {

/// z - qmin of a weight without zero points: signed 4-bit codes, z = 0.
constexpr int kNoZeroPoint = 8;

struct W4GemmTile {
  const float *a = nullptr; // row m's K values at a + m * lda
  int64_t lda = 0;
  const uint8_t *codes = nullptr;   // Np * Kp / 2 bytes
  const uint16_t *scales = nullptr; // f16 bits, Np * G
  const int8_t *zeros = nullptr;    // Np * G, or null: kNoZeroPoint
  int64_t groupRows = 0;
  float *out = nullptr; // row m at out + m * ldc
  int64_t ldc = 0;
  int64_t k = 0;          // K (A's columns); Kp = roundUp(k, groupRows)
  int64_t m0 = 0, m1 = 0; // rows [m0, m1)
  int64_t n0 = 0, n1 = 0; // columns [n0, n1); n0 is a multiple of kSPanel
};

/// Decodes rows [k0, k1) of panels [p0, p1) into `dst` as sgemm panels of
/// k1 - k0 rows (panel p - p0 at dst + (p - p0) * (k1 - k0) * 32).
using W4DecodeFn = void (*)(const W4GemmTile &tile, int64_t p0, int64_t p1,
                            int64_t k0, int64_t k1, float *dst);

/// The decoder for `isa` (AVX-512 from Avx512Vnni up, AVX2, else scalar).
W4DecodeFn w4DecodeFor(Isa isa);

/// A tile of at most kGemvRows rows without a decode buffer (the same
/// products in the same order as w4Gemm's); null where `isa` has none.
using W4GemvFn = void (*)(const W4GemmTile &tile);
constexpr int64_t kGemvRows = 4;
W4GemvFn w4GemvFor(Isa isa);
void w4GemvAvx512(const W4GemmTile &tile);
void w4GemvAvx2(const W4GemmTile &tile);

void w4DecodeScalar(const W4GemmTile &tile, int64_t p0, int64_t p1, int64_t k0,
                    int64_t k1, float *dst);
void w4DecodeAvx512(const W4GemmTile &tile, int64_t p0, int64_t p1, int64_t k0,
                    int64_t k1, float *dst);
void w4DecodeAvx2(const W4GemmTile &tile, int64_t p0, int64_t p1, int64_t k0,
                  int64_t k1, float *dst);

/// Panel p's codes, scales and zero points (null without) in a tile's
/// weight.
struct W4Panel {
  const uint8_t *codes;
  const uint16_t *scales;
  const int8_t *zeros;
};

/// The loop every decoder shares: rows [k0, k1) of panels [p0, p1) into
/// `dst` as a W4DecodeFn writes them, with `Rows::group(panel, g)` once per
/// group (its scales and zero points in the ISA's registers) and
/// `Rows::row(panel, params, k, out)` per row. Rows' functions carry the
/// decoder's target attribute (a lambda would not: clang does not pass
/// target attributes to lambdas); this loop is inlined into the decoder.
template <typename Rows>
__attribute__((always_inline)) inline void
decodeW4Rows(const W4GemmTile &t, int64_t p0, int64_t p1, int64_t k0,
             int64_t k1, float *dst) {
  const int64_t kp = roundUp(t.k, t.groupRows), groups = kp / t.groupRows;
  const int64_t rows = k1 - k0;
  for (int64_t p = p0; p < p1; ++p) {
    const W4Panel panel = {t.codes + p * kp * 16,
                           t.scales + p * groups * kSPanel,
                           t.zeros ? t.zeros + p * groups * kSPanel : nullptr};
    float *out = dst + (p - p0) * rows * kSPanel;
    for (int64_t k = k0; k < k1;) {
      const int64_t g = k / t.groupRows;
      const int64_t end =
          k1 < (g + 1) * t.groupRows ? k1 : (g + 1) * t.groupRows;
      const auto params = Rows::group(panel, g);
      for (; k < end; ++k, out += kSPanel)
        Rows::row(panel, params, k, out);
    }
  }
}

/// The tile, with `decode` and the f32 kernel `sgemm`, or `gemv` (when not
/// null) for at most kGemvRows rows.
void w4Gemm(const W4GemmTile &tile, W4DecodeFn decode, SGemmFn sgemm,
            W4GemvFn gemv = nullptr);

/// An IEEE half's bits as a float (exact). Inline, so that a caller
/// compiled for F16C (the AVX2 and AVX-512 decoders) converts with
/// vcvtph2ps; a baseline caller gets the compiler's library routine, which
/// took 17% of a 3-bit GEMV when every decoder called it.
inline float halfToFloat(uint16_t h) {
  _Float16 f;
  std::memcpy(&f, &h, sizeof f);
  return static_cast<float>(f);
}

} // namespace quantc::ukernels

#endif // QUANTC_RUNTIME_UKERNELS_W4GEMM_H
