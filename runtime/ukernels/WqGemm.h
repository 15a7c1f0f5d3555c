//===- WqGemm.h - f32 GEMM over any weight-only quantized weight -*- C++
//-*-===//
//
// out = A x dequantize(W) for f32 activations A [M, K] and a weight W
// [K, N] of b-bit signed codes (b = 1..8 with at most 3 bytes per word)
// in the layout qc-lower-quantized stores (passes/PackedWeights.h), read
// as it is: no repacking, so the artifact holds the bytes the driver
// reports. The kernel behind every weight-only product that the 4-bit
// kernel (W4Gemm.h) does not take: 2, 3 and 8 bits, per-column f32
// scales, any N, codebooks (backends/cpu/WqMatmuls.cpp).
//
// Layout: G groups of R rows (the last padded; R = K per column), each
// stored as `words` = ceil(R / perWord) words of `bytes` bytes holding
// perWord = 8 * bytes / b codes (code j of a word at bits [j*b, (j+1)*b),
// little-endian); byte p of every word in plane p, a [G, words, N] i8
// array, so every read is contiguous along N. Scales are [G, N], f16
// (group-wise) or f32; zero points, when present, [G, N] i8; a codebook,
// when present, has 2^b f32 levels.
//
// w(k, n) = (codebook ? codebook[q - z + 2^(b-1)] : float(q - z)) * scale,
// the value qc-lower-quantized's kernel multiplies by; the tile decodes
// K blocks of it into sgemm panels and runs the f32 microkernel on them
// (decodedGemm, DecodedGemm.h).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_UKERNELS_WQGEMM_H
#define QUANTC_RUNTIME_UKERNELS_WQGEMM_H

#include "runtime/ukernels/SGemm.h"

#include <cstdint>

namespace quantc::ukernels {

struct WqLayout {
  int64_t bits = 0, bytes = 0, perWord = 0;
  int64_t groups = 0, groupRows = 0, words = 0, n = 0;

  /// The layout of a [k, n] weight of `bits`-bit codes in groups of
  /// `groupRows` rows; `bytes` is 0 when the kernel cannot read it.
  static WqLayout of(int64_t bits, int64_t groupRows, int64_t k, int64_t n);
  int64_t planeBytes() const { return groups * words * n; }
};

struct WqGemmTile {
  const float *a = nullptr; // row m's K values at a + m * lda
  int64_t lda = 0;
  WqLayout layout;
  const uint8_t *planes[3] = {};        // the first layout.bytes are used
  const uint16_t *halfScales = nullptr; // f16 bits, or null: floatScales
  const float *floatScales = nullptr;
  const int8_t *zeros = nullptr;   // or null: all zero
  const float *codebook = nullptr; // or null: the codes' values
  float *out = nullptr;            // row m at out + m * ldc
  int64_t ldc = 0;
  int64_t k = 0;          // K (A's columns)
  int64_t m0 = 0, m1 = 0; // rows [m0, m1)
  int64_t n0 = 0, n1 = 0; // columns [n0, n1); n0 is a multiple of kSPanel
};

/// Writes rows [k0, k1) of column panels [p0, p1) as sgemm panels to
/// `dst` (columns past N are zeros).
using WqDecodeFn = void (*)(const WqGemmTile &tile, int64_t p0, int64_t p1,
                            int64_t k0, int64_t k1, float *dst);

/// The decoder for words of `bytes` bytes (1 to 3; null otherwise), with or
/// without a codebook: portable C++ whose loops along N the compiler
/// vectorizes, built for AVX-512 and AVX2 too and picked by `isa`.
WqDecodeFn wqDecodeFor(Isa isa, int64_t bytes, bool codebook);

/// The tile, with `decode` and the f32 kernel `sgemm`.
void wqGemm(const WqGemmTile &tile, WqDecodeFn decode, SGemmFn sgemm);

} // namespace quantc::ukernels

#endif // QUANTC_RUNTIME_UKERNELS_WQGEMM_H
