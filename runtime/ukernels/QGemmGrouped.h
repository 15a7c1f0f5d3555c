//===- QGemmGrouped.h - int8 GEMM over group-wise low-bit weights -*- C++
//-*-===//
//
// out = dequantize(A x W) for int8 activation codes A [M, K] and a weight
// W [K, N] of b-bit signed codes (b = 2, 3, 4) with one scale per column
// for every G rows (WbA8 with groups or per column; backends/cpu/
// Int8Matmuls.cpp). The codes are unpacked to bytes in registers and
// multiplied by the int8 units (vpdpbusd, AMX tdpbssd, AVX2 vpmaddubsw);
// each group's exact int32 sum is scaled and accumulated in f32.
//
// Weight layout (written by the compiler, read by every variant):
//   u = q + 2^(b-1), so 0 <= u < 16 (the unsigned operand of vpdpbusd,
//   whose offset is taken out per group with the row sums of A; the AMX
//   variant subtracts it again when it unpacks the codes for tdpbssd);
//   Gs = G rounded up to 8, groups = ceil(K / G), Np = N rounded up to 16;
//   panel p (columns [16p, 16p + 16)) is groups * Gs * 8 bytes at
//   codes + p * groups * Gs * 8; inside it, group g's rows are Gs / 8
//   blocks of 64 bytes, and byte i = 4c + r of block j holds, low nibble,
//   u of row g*G + 8j + r and, high nibble, of row g*G + 8j + 4 + r, both
//   of column 16p + c. Rows past the group or K and columns >= N are 0.
// So one 64-byte load gives, after a mask and a shift, two 64-byte
// VNNI operands (4 consecutive k of one column per dword), which are also
// two rows of an AMX B tile.
//   scales f16 (group-wise weights, whose scales are f16 already: half the
//   bytes of f32, a ninth of a g32 weight's) or f32 (one group), panel-major
//   like the codes: scale (g, n) at ((n / 16) * groups + g) * 16 + n % 16
//   (columns >= N are 0), so a panel's scales are contiguous (row-major
//   [groups, Np] would put every group of a panel Np * 4 bytes apart, the
//   same L1 set at Np = 4096);
//   colSums int32, the sum of q over each group's rows, laid out as the
//   scales and read only for an activation zero point (null when aZero is
//   0).
//
// Every variant computes, for m in [m0, m1) and n in [n0, n1), in order:
//   t_g = sum_{k in g} A[m][k] * u[k][n] - 2^(b-1) * sum_{k in g} A[m][k]
//         - aZero * colSums[g][n]
//         (exact int32: the group's sum of (A - aZero) * q)
//   F = fma(float(t_g), scales[g][n], F) for g = 0, 1, ... (F = 0 first)
//   out[m][n] = F * rowScale(m)
// so every variant's output is bit-identical. rowScale(m) =
// rowScales[m * rowScaleStride].
//
// Plain C++ with intrinsics, like QGemm.h: no upstream op unpacks nibbles
// into vpdpbusd or tdpbssd operands.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_UKERNELS_QGEMMGROUPED_H
#define QUANTC_RUNTIME_UKERNELS_QGEMMGROUPED_H

#include "runtime/ukernels/QGemm.h"

#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace quantc::ukernels {

struct GroupedLayout {
  int64_t bits = 0, groupRows = 0, storedRows = 0, groups = 0;
  int64_t k = 0, n = 0, paddedN = 0;

  /// The layout of a [k, n] weight of `bits`-bit codes in groups of
  /// `groupRows` rows; `bits` is 0 when the kernel cannot take it.
  static GroupedLayout of(int64_t bits, int64_t groupRows, int64_t k,
                          int64_t n);
  int64_t panelBytes() const { return groups * storedRows * 8; }
  int64_t codeBytes() const { return paddedN / kPanel * panelBytes(); }
  int64_t offset() const { return int64_t(1) << (bits - 1); }
  /// The 16 scales (or column sums) of panel p, group g.
  int64_t params(int64_t p, int64_t g) const {
    return (p * groups + g) * kPanel;
  }
  int64_t paramCount() const { return paddedN * groups; }
};

struct QGemmGroupedTile {
  const int8_t *a = nullptr; // row m's K codes at a + m * lda
  int64_t lda = 0;
  GroupedLayout layout;
  const uint8_t *codes = nullptr;       // layout.codeBytes()
  const uint16_t *halfScales = nullptr; // paramCount() f16, or null:
  const float *floatScales = nullptr;   // paramCount() f32
  const int32_t *colSums = nullptr;     // as scales; null if aZero is 0
  const float *rowScales = nullptr;     // read at m * rowScaleStride
  int64_t rowScaleStride = 0;           // 0: one scale for every row
  int32_t aZero = 0;
  float *out = nullptr; // row m at out + m * ldc
  int64_t ldc = 0;
  int64_t k = 0;          // A's columns (layout.k)
  int64_t m0 = 0, m1 = 0; // rows [m0, m1)
  int64_t n0 = 0, n1 = 0; // columns [n0, n1); n0 is a multiple of kPanel
};

using QGemmGroupedFn = void (*)(const QGemmGroupedTile &);

/// The variant for `isa` (AMX falls back to AVX-512 VNNI below 8 rows).
QGemmGroupedFn qgemmGroupedFor(Isa isa);

void qgemmGroupedPortable(const QGemmGroupedTile &tile);
void qgemmGroupedAvx2(const QGemmGroupedTile &tile);
void qgemmGroupedAvx512Vnni(const QGemmGroupedTile &tile);
void qgemmGroupedAmx(const QGemmGroupedTile &tile);

namespace grouped {

/// A's rows [m0, m1) as the kernels read them: row r at dst + r * ld,
/// group g's codes at g * stride (zero-padded to `stride` >= Gs), and
/// rowTerms[r * groups + g] = -2^(b-1) * the group's sum of codes. Rows
/// from `rows` up to `paddedRows` are zero.
void packA(const QGemmGroupedTile &t, int64_t paddedRows, int64_t stride,
           int8_t *dst, int64_t ld, int32_t *rowTerms);

/// The same with AVX-512 (x86-64 only; only on a CPU that has it); `ld`
/// must leave 64 bytes past each row's groups * stride. A null `rowTerms`
/// skips the terms (the AMX variant multiplies signed codes).
void packAAvx512(const QGemmGroupedTile &t, int64_t paddedRows, int64_t stride,
                 int8_t *dst, int64_t ld, int32_t *rowTerms);

#if defined(__x86_64__)
/// The 16 scales at `at` as f32 (f16 widened exactly); AVX-512 only. In
/// the header, with the fewest target features, so that every AVX-512
/// variant inlines it (a call per group and panel cost 6% of a W4A8 GEMM).
__attribute__((target("avx512f"))) inline __m512
loadScales(const QGemmGroupedTile &tile, int64_t at) {
  return tile.halfScales
             ? _mm512_cvtph_ps(_mm256_loadu_si256(
                   reinterpret_cast<const __m256i *>(tile.halfScales + at)))
             : _mm512_loadu_ps(tile.floatScales + at);
}
#endif

} // namespace grouped

} // namespace quantc::ukernels

#endif // QUANTC_RUNTIME_UKERNELS_QGEMMGROUPED_H
