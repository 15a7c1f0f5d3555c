//===- W4GemmAvx512.cpp - 4-bit weight decoder, AVX-512 -------------------===//
//
// One row of a panel is 16 bytes: zero-extended to 16 dwords, its low
// nibbles are columns 0-15 and its high nibbles 16-31; minus the group's
// zero points, converted and scaled (vcvtph2ps for the f16 scales, once per
// group), two stores. The scalar decoder computes the same products.
//
// For at most kGemvRows rows (decode) the same decoding feeds register
// accumulators directly instead of a buffer.
//
// The ISA is given per function (target attribute), and every such function
// is internal, as in the GEMM kernels.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/W4Gemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>

#define QUANTC_TARGET_AVX512 __attribute__((target("avx512f,avx512bw")))

namespace quantc::ukernels {

namespace {

/// Group g's scales and zero points of one panel, as the two 16-column
/// halves.
struct GroupParams {
  __m512 sLo, sHi;
  __m512i zLo, zHi;
};

QUANTC_TARGET_AVX512 inline GroupParams
loadGroup(const uint16_t *scales, const int8_t *zeros, int64_t g) {
  GroupParams p;
  p.sLo = _mm512_cvtph_ps(
      _mm256_loadu_si256((const __m256i *)(scales + g * kSPanel)));
  p.sHi = _mm512_cvtph_ps(
      _mm256_loadu_si256((const __m256i *)(scales + g * kSPanel + 16)));
  p.zLo = p.zHi = _mm512_set1_epi32(kNoZeroPoint);
  if (zeros) {
    p.zLo = _mm512_cvtepi8_epi32(
        _mm_loadu_si128((const __m128i *)(zeros + g * kSPanel)));
    p.zHi = _mm512_cvtepi8_epi32(
        _mm_loadu_si128((const __m128i *)(zeros + g * kSPanel + 16)));
  }
  return p;
}

/// Row k's 32 weights of a panel (16 bytes of codes at `row`), as the two
/// 16-column halves: (u - z') * scale. Without zero points u - 8 comes from
/// a 16-entry table (vpermps reads the low 4 bits of each dword, so the low
/// nibble needs no mask): 4 vector instructions per 16 weights instead of
/// 6, the same values (u - 8 is exact either way). At M = 1 the loop is
/// bound by these instructions on the two 512-bit ports.
template <bool Zeros>
QUANTC_TARGET_AVX512 inline void
decodeRow(const uint8_t *row, const GroupParams &p, __m512 &lo, __m512 &hi) {
  const __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)row));
  if (!Zeros) {
    const __m512 table =
        _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    lo = _mm512_mul_ps(_mm512_permutexvar_ps(v, table), p.sLo);
    hi = _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), table),
                       p.sHi);
    return;
  }
  const __m512i nibble = _mm512_set1_epi32(15);
  lo = _mm512_mul_ps(
      _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_and_si512(v, nibble), p.zLo)),
      p.sLo);
  hi = _mm512_mul_ps(
      _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(v, 4), p.zHi)),
      p.sHi);
}

template <bool Zeros>
struct Avx512Rows {
  QUANTC_TARGET_AVX512 static GroupParams group(const W4Panel &panel,
                                                int64_t g) {
    return loadGroup(panel.scales, panel.zeros, g);
  }
  QUANTC_TARGET_AVX512 static void
  row(const W4Panel &panel, const GroupParams &params, int64_t k, float *out) {
    __m512 lo, hi;
    decodeRow<Zeros>(panel.codes + k * 16, params, lo, hi);
    _mm512_storeu_ps(out, lo);
    _mm512_storeu_ps(out + 16, hi);
  }
};

template <bool Zeros>
QUANTC_TARGET_AVX512 void decode(const W4GemmTile &t, int64_t p0, int64_t p1,
                                 int64_t k0, int64_t k1, float *dst) {
  decodeW4Rows<Avx512Rows<Zeros>>(t, p0, p1, k0, k1, dst);
}

/// Rows [m0, m0 + R) x panels [p, p + P) of the tile without a decode
/// buffer (decode, M <= 4): each panel's two 16-column halves accumulate in
/// registers, one FMA per row and weight in increasing k from 0, the f32
/// kernels' order, so the result is the same as through the buffer. Two
/// panels at a time give each k step four independent FMA chains (4096 x
/// 4096 at M = 1, Sapphire Rapids: 0.69-0.74 ms, one panel 0.76-0.80; the
/// table decode took one panel from 1.0 ms).
template <bool Zeros, int R, int P>
QUANTC_TARGET_AVX512 void gemvBlock(const W4GemmTile &t, int64_t m0,
                                    int64_t p) {
  const int64_t kp = roundUp(t.k, t.groupRows), groups = kp / t.groupRows;
  const uint8_t *codes[P];
  const uint16_t *scales[P];
  const int8_t *zeros[P];
  for (int j = 0; j < P; ++j) {
    codes[j] = t.codes + (p + j) * kp * 16;
    scales[j] = t.scales + (p + j) * groups * kSPanel;
    zeros[j] = t.zeros ? t.zeros + (p + j) * groups * kSPanel : nullptr;
  }
  __m512 acc[R][P][2];
  for (int r = 0; r < R; ++r)
    for (int j = 0; j < P; ++j)
      acc[r][j][0] = acc[r][j][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < t.k;) {
    const int64_t g = k / t.groupRows;
    const int64_t end = std::min(t.k, (g + 1) * t.groupRows);
    GroupParams params[P];
    for (int j = 0; j < P; ++j)
      params[j] = loadGroup(scales[j], zeros[j], g);
    for (; k < end; ++k) {
      __m512 w[P][2];
      for (int j = 0; j < P; ++j) {
        _mm_prefetch((const char *)(codes[j] + k * 16 + 512), _MM_HINT_T0);
        decodeRow<Zeros>(codes[j] + k * 16, params[j], w[j][0], w[j][1]);
      }
      for (int r = 0; r < R; ++r) {
        const __m512 a = _mm512_set1_ps(t.a[(m0 + r) * t.lda + k]);
        for (int j = 0; j < P; ++j) {
          acc[r][j][0] = _mm512_fmadd_ps(a, w[j][0], acc[r][j][0]);
          acc[r][j][1] = _mm512_fmadd_ps(a, w[j][1], acc[r][j][1]);
        }
      }
    }
  }
  for (int j = 0; j < P; ++j) {
    const int64_t n = (p + j) * kSPanel;
    const int64_t cols = std::min<int64_t>(kSPanel, t.n1 - n);
    const __mmask16 lo =
        cols >= 16 ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
    const __mmask16 hi = cols <= 16   ? __mmask16(0)
                         : cols >= 32 ? __mmask16(0xffff)
                                      : __mmask16((1u << (cols - 16)) - 1);
    for (int r = 0; r < R; ++r) {
      float *out = t.out + (m0 + r) * t.ldc + n;
      _mm512_mask_storeu_ps(out, lo, acc[r][j][0]);
      _mm512_mask_storeu_ps(out + 16, hi, acc[r][j][1]);
    }
  }
}

/// Rows [m0, m0 + R) of the tile, two panels at a time.
template <bool Zeros, int R>
QUANTC_TARGET_AVX512 void gemvPanels(const W4GemmTile &t, int64_t m0) {
  const int64_t pEnd = (t.n1 + kSPanel - 1) / kSPanel;
  int64_t p = t.n0 / kSPanel;
  for (; p + 2 <= pEnd; p += 2)
    gemvBlock<Zeros, R, 2>(t, m0, p);
  if (p < pEnd)
    gemvBlock<Zeros, R, 1>(t, m0, p);
}

template <int R>
QUANTC_TARGET_AVX512 void gemvRows(const W4GemmTile &t, int64_t m0) {
  if (t.zeros)
    gemvPanels<true, R>(t, m0);
  else
    gemvPanels<false, R>(t, m0);
}

} // namespace

void w4GemvAvx512(const W4GemmTile &t) {
  for (int64_t m = t.m0; m < t.m1;) {
    const int64_t rows = std::min<int64_t>(4, t.m1 - m);
    switch (rows) {
    case 1:
      gemvRows<1>(t, m);
      break;
    case 2:
      gemvRows<2>(t, m);
      break;
    case 3:
      gemvRows<3>(t, m);
      break;
    default:
      gemvRows<4>(t, m);
      break;
    }
    m += rows;
  }
}

void w4DecodeAvx512(const W4GemmTile &t, int64_t p0, int64_t p1, int64_t k0,
                    int64_t k1, float *dst) {
  if (t.zeros)
    decode<true>(t, p0, p1, k0, k1, dst);
  else
    decode<false>(t, p0, p1, k0, k1, dst);
}

} // namespace quantc::ukernels

#endif // __x86_64__
