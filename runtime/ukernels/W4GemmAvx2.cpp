//===- W4GemmAvx2.cpp - 4-bit weight decoder, AVX2 ------------------------===//
//
// The AVX-512 decoder's method (W4GemmAvx512.cpp) on 8-float registers: a
// panel row of 16 bytes is two 8-byte halves; each, zero-extended to 8
// dwords, gives columns [8h, 8h + 8) from its low nibbles and
// [16 + 8h, 24 + 8h) from its high ones, minus the group's zero points,
// converted and scaled. vpermps has 8 entries here, too few for the
// AVX-512 variant's 16-entry table, so u - z' is an integer subtraction.
// The products are the scalar decoder's: float(u - z') * scale, exact
// before the one rounding.
//
// For at most kGemvRows rows (decode) the decoded weights feed register
// accumulators directly: a panel's 32 columns are 4 registers per row, so
// two rows share each decoded row (8 accumulators), and 3 or 4 rows run as
// two such passes. Without it (the scalar decoder through the f32 kernel) a
// 4096 x 4096 layer at M = 1 took 140 ms on AMD Zen 3.
//
// The ISA is given per function (target attribute), and every such
// function is internal, as in the GEMM kernels.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/W4Gemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>

#define QUANTC_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace quantc::ukernels {

namespace {

/// Group g's scales and zero points of one panel: index 2h + n holds
/// columns [8h + 16n, 8h + 16n + 8) (h: the byte half, n: the nibble).
struct GroupParams {
  __m256 s[4];
  __m256i z[4];
};

QUANTC_TARGET_AVX2 inline GroupParams
loadGroup(const uint16_t *scales, const int8_t *zeros, int64_t g) {
  GroupParams p;
  for (int h = 0; h < 2; ++h)
    for (int n = 0; n < 2; ++n) {
      const int64_t at = g * kSPanel + 8 * h + 16 * n;
      p.s[2 * h + n] =
          _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + at)));
      p.z[2 * h + n] = zeros ? _mm256_cvtepi8_epi32(_mm_loadl_epi64(
                                   (const __m128i *)(zeros + at)))
                             : _mm256_set1_epi32(kNoZeroPoint);
    }
  return p;
}

/// Half h of row k (8 bytes at `row` + 8h): columns [8h, 8h + 8) in lo and
/// [16 + 8h, 24 + 8h) in hi, as (u - z') * scale.
QUANTC_TARGET_AVX2 inline void decodeHalf(const uint8_t *row, int h,
                                          const GroupParams &p, __m256 &lo,
                                          __m256 &hi) {
  const __m256i v =
      _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(row + 8 * h)));
  lo = _mm256_mul_ps(
      _mm256_cvtepi32_ps(_mm256_sub_epi32(
          _mm256_and_si256(v, _mm256_set1_epi32(15)), p.z[2 * h])),
      p.s[2 * h]);
  hi = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(
                         _mm256_srli_epi32(v, 4), p.z[2 * h + 1])),
                     p.s[2 * h + 1]);
}

struct Avx2Rows {
  QUANTC_TARGET_AVX2 static GroupParams group(const W4Panel &panel, int64_t g) {
    return loadGroup(panel.scales, panel.zeros, g);
  }
  QUANTC_TARGET_AVX2 static void
  row(const W4Panel &panel, const GroupParams &params, int64_t k, float *out) {
    for (int h = 0; h < 2; ++h) {
      __m256 lo, hi;
      decodeHalf(panel.codes + k * 16, h, params, lo, hi);
      _mm256_storeu_ps(out + 8 * h, lo);
      _mm256_storeu_ps(out + 16 + 8 * h, hi);
    }
  }
};

QUANTC_TARGET_AVX2 void decodeRows(const W4GemmTile &t, int64_t p0, int64_t p1,
                                   int64_t k0, int64_t k1, float *dst) {
  decodeW4Rows<Avx2Rows>(t, p0, p1, k0, k1, dst);
}

/// Rows [m0, m0 + R) (R <= 2) of panel p without a decode buffer: one FMA
/// per row and weight in increasing k from 0, the f32 kernels' order, so
/// the result is the same as through the buffer.
template <int R>
QUANTC_TARGET_AVX2 void gemvBlock(const W4GemmTile &t, int64_t m0, int64_t p) {
  const int64_t kp = roundUp(t.k, t.groupRows), groups = kp / t.groupRows;
  const uint8_t *codes = t.codes + p * kp * 16;
  const uint16_t *scales = t.scales + p * groups * kSPanel;
  const int8_t *zeros = t.zeros ? t.zeros + p * groups * kSPanel : nullptr;
  // acc[r][2h + n]: columns [8h + 16n, 8h + 16n + 8).
  __m256 acc[R][4];
  for (int r = 0; r < R; ++r)
    for (int i = 0; i < 4; ++i)
      acc[r][i] = _mm256_setzero_ps();
  for (int64_t k = 0; k < t.k;) {
    const int64_t g = k / t.groupRows;
    const int64_t end = std::min(t.k, (g + 1) * t.groupRows);
    const GroupParams params = loadGroup(scales, zeros, g);
    for (; k < end; ++k) {
      _mm_prefetch((const char *)(codes + k * 16 + 1024), _MM_HINT_T0);
      __m256 w[4];
      decodeHalf(codes + k * 16, 0, params, w[0], w[1]);
      decodeHalf(codes + k * 16, 1, params, w[2], w[3]);
      for (int r = 0; r < R; ++r) {
        const __m256 a = _mm256_set1_ps(t.a[(m0 + r) * t.lda + k]);
        for (int i = 0; i < 4; ++i)
          acc[r][i] = _mm256_fmadd_ps(a, w[i], acc[r][i]);
      }
    }
  }
  const int64_t n = p * kSPanel;
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int i = 0; i < 4; ++i) {
    const int64_t c0 = 8 * (i / 2) + 16 * (i % 2);
    const int64_t cols = std::clamp<int64_t>(t.n1 - n - c0, 0, 8);
    if (cols == 0)
      continue;
    const __m256i mask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(cols)), lane);
    for (int r = 0; r < R; ++r)
      _mm256_maskstore_ps(t.out + (m0 + r) * t.ldc + n + c0, mask, acc[r][i]);
  }
}

QUANTC_TARGET_AVX2 void gemv(const W4GemmTile &t) {
  const int64_t pEnd = (t.n1 + kSPanel - 1) / kSPanel;
  for (int64_t m = t.m0; m < t.m1; m += 2)
    for (int64_t p = t.n0 / kSPanel; p < pEnd; ++p) {
      if (t.m1 - m >= 2)
        gemvBlock<2>(t, m, p);
      else
        gemvBlock<1>(t, m, p);
    }
}

} // namespace

void w4GemvAvx2(const W4GemmTile &t) { gemv(t); }

void w4DecodeAvx2(const W4GemmTile &t, int64_t p0, int64_t p1, int64_t k0,
                  int64_t k1, float *dst) {
  decodeRows(t, p0, p1, k0, k1, dst);
}

} // namespace quantc::ukernels

#endif // __x86_64__
