//===- QGemmAvx2.cpp - int8 GEMM microkernel, AVX2 ------------------------===//
//
// Without VNNI the exact way to a dot product of signed bytes is to widen
// both sides to int16 and use vpmaddwd (vpmaddubsw would saturate its int16
// pair sums). A is widened once per call into a per-thread buffer; B is
// widened from the packed weights as it is read: 16 bytes (4 columns x 4 k)
// become one ymm, multiplied by the 4 k of an A row broadcast as a qword,
// giving 2 partial sums per column that are added pairwise at the end.
//
// A register tile is kRows rows x 8 columns (2 accumulators per row, 8
// for 4 rows, with 4 broadcasts of A, one widened B vector and a product:
// 14 of the 16 registers). 3 rows x 16 columns needed 17 and spilled an
// accumulator through the stack every step (46 -> 30 ms, 128 x 4096 x 4096
// on Zen 3). One or two rows take a whole panel, so that a GEMV reads each
// weight once, prefetched 2 KiB ahead. The ISA is given per function (target
// attribute, no -m flags), and every such function is internal.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <vector>

#define QUANTC_TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace quantc::ukernels {

namespace {

constexpr int kRows = 4;

struct Ctx {
  const int16_t *a; // widened A: row r (= m - m0) at a + r * lda
  int64_t lda;
  const int8_t *w;
  int64_t panelBytes; // Kp * 16
  const int32_t *colSums;
  const float *colScales;
  const float *rowScales;
  int64_t rowScaleStride;
  int32_t aZero;
  float *out;
  int64_t ldc;
  int64_t k4; // K rounded up to 4
  int64_t m0, n1;
};

/// Dequantizes 8 columns [n, n + 8) of row m, storing those below n1.
QUANTC_TARGET_AVX2 void store8(const Ctx &c, int64_t m, int64_t n,
                               __m256i acc) {
  const int64_t cols = c.n1 - n;
  if (cols <= 0)
    return;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i mask =
      _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(cols < 8 ? cols : 8)), lane);
  const __m256 colScales = _mm256_maskload_ps(c.colScales + n, mask);
  const __m256i colSums =
      _mm256_maskload_epi32((const int *)(c.colSums + n), mask);
  const __m256 p = _mm256_mul_ps(
      colScales, _mm256_set1_ps(c.rowScales[m * c.rowScaleStride]));
  const __m256i v = _mm256_sub_epi32(
      acc, _mm256_mullo_epi32(_mm256_set1_epi32(c.aZero), colSums));
  _mm256_maskstore_ps(c.out + m * c.ldc + n, mask,
                      _mm256_mul_ps(_mm256_cvtepi32_ps(v), p));
}

/// Rows [r0, r0 + R) x Q column quads from column 16p + 4 * q0 (Q = 2:
/// half a panel, Q = 4: all of it), full K.
template <int R, int Q>
QUANTC_TARGET_AVX2 void block(const Ctx &c, int64_t r0, int64_t p, int q0) {
  // acc[i][q]: columns 4q..4q+3, two partial sums each.
  __m256i acc[R][Q];
  for (int i = 0; i < R; ++i)
    for (int q = 0; q < Q; ++q)
      acc[i][q] = _mm256_setzero_si256();
  const int16_t *a = c.a + r0 * c.lda;
  const int8_t *b = c.w + p * c.panelBytes + 16 * q0;
  for (int64_t k = 0; k < c.k4; k += 4) {
    // At a few rows the weights stream from memory (a GEMV at M = 1).
    _mm_prefetch(reinterpret_cast<const char *>(b) + 2048, _MM_HINT_T0);
    __m256i av[R];
    for (int i = 0; i < R; ++i)
      av[i] = _mm256_set1_epi64x(
          _mm_cvtsi128_si64(_mm_loadl_epi64((const __m128i *)(a + i * c.lda))));
    for (int q = 0; q < Q; ++q) {
      const __m256i bv =
          _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + q * 16)));
      for (int i = 0; i < R; ++i)
        acc[i][q] = _mm256_add_epi32(acc[i][q], _mm256_madd_epi16(bv, av[i]));
    }
    a += 4;
    b += 4 * kPanel;
  }
  for (int i = 0; i < R; ++i)
    for (int q = 0; q < Q; q += 2) {
      // hadd gives [c0 c1 c4 c5 | c2 c3 c6 c7]; the permute restores order.
      const __m256i v = _mm256_permute4x64_epi64(
          _mm256_hadd_epi32(acc[i][q], acc[i][q + 1]), 0xd8);
      store8(c, c.m0 + r0 + i, p * kPanel + 4 * (q0 + q), v);
    }
}

/// Rows [r0, r0 + R) of panel p: a whole panel per pass where the
/// accumulators fit (at most 2 rows: the weights are read once, which is
/// what a GEMV is bound by), else two half-panel passes.
template <int R>
QUANTC_TARGET_AVX2 void rows(const Ctx &c, int64_t r0, int64_t p) {
  if constexpr (R <= 2) {
    block<R, 4>(c, r0, p, 0);
  } else {
    block<R, 2>(c, r0, p, 0);
    if (p * kPanel + 8 < c.n1)
      block<R, 2>(c, r0, p, 2);
  }
}

QUANTC_TARGET_AVX2 void run(const Ctx &c, int64_t pFirst, int64_t pEnd,
                            int64_t rowCount) {
  for (int64_t p = pFirst; p < pEnd; ++p) {
    int64_t r0 = 0;
    for (; r0 + kRows <= rowCount; r0 += kRows)
      rows<kRows>(c, r0, p);
    switch (rowCount - r0) {
    case 3:
      rows<3>(c, r0, p);
      break;
    case 2:
      rows<2>(c, r0, p);
      break;
    case 1:
      rows<1>(c, r0, p);
      break;
    default:
      break;
    }
  }
}

} // namespace

void qgemmAvx2(const QGemmTile &t) {
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  const int64_t k4 = roundUp(t.k, 4);
  // Row stride in int16: not a multiple of 4 KiB (L1 set conflicts).
  const int64_t lda = roundUp(k4, 32) + 32;

  thread_local std::vector<int16_t> aBuf;
  if (int64_t(aBuf.size()) < rows * lda)
    aBuf.resize(rows * lda);
  int16_t *a = aBuf.data();
  for (int64_t r = 0; r < rows; ++r) {
    const int8_t *src = t.a + (t.m0 + r) * t.lda;
    int16_t *dst = a + r * lda;
    for (int64_t k = 0; k < t.k; ++k)
      dst[k] = src[k];
    for (int64_t k = t.k; k < k4; ++k)
      dst[k] = 0;
  }
  const Ctx c = {
      a,         lda,         t.w,         roundUp(t.k, kKBlock) * kPanel,
      t.colSums, t.colScales, t.rowScales, t.rowScaleStride,
      t.aZero,   t.out,       t.ldc,       k4,
      t.m0,      t.n1};
  run(c, t.n0 / kPanel, (t.n1 + kPanel - 1) / kPanel, rows);
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
