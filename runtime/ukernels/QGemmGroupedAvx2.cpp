//===- QGemmGroupedAvx2.cpp - grouped low-bit x int8 GEMM, AVX2 -----------===//
//
// AVX2 has no int8 dot product into int32 (VNNI). Its vpmaddubsw multiplies
// unsigned by signed bytes and adds pairs into int16, saturating; for int8
// weights (QGemmAvx2.cpp) that saturation is reachable, but here the
// unsigned side is a code u < 16 and the signed side an activation code
// |a| <= 128, so a pair is at most 2 * 15 * 128 = 3840 in magnitude and
// eight such int16 sums (30720) still fit: the sums stay in int16 across
// four 8-row blocks (32 rows of K, a g32 group) and are widened to int32
// once, by vpmaddwd with ones. That is about one multiply instruction per
// 32 multiply-accumulates, against two for the int8 kernel's
// widen-to-int16 vpmaddwd, so 4-bit weights run faster than 8-bit ones
// here.
//
// A register tile is kRows rows x one 16-column panel (a 64-byte block of
// the layout is two 32-byte halves, columns 0-7 and 8-15, each two
// vpmaddubsw operands of 4 k per column dword: a mask, or a shift and a
// mask). Per group: int16 sums of up to four blocks, widened into the
// group's int32 sum with the row's offset term (and the activation zero
// point's column term), converted and accumulated into f32 with the
// group's scales, exactly as QGemmGrouped.h specifies for every variant
// (so the output is bit-identical to them).
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemmGrouped.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <vector>

#define QUANTC_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace quantc::ukernels {

namespace {

constexpr int kRows = 4;
/// 8-row blocks whose int16 sums fit: 8 products of 3840 at most.
constexpr int64_t kBlocksPerWiden = 4;

struct Ctx {
  const QGemmGroupedTile *t;
  const int8_t *a; // packed A, row r at a + r * lda, group g at g * stride
  int64_t lda;
  const int32_t *terms; // terms[r * groups + g]
};

QUANTC_TARGET_AVX2 inline __m256 loadScales(const QGemmGroupedTile &t,
                                            int64_t at) {
  return t.halfScales
             ? _mm256_cvtph_ps(_mm_loadu_si128(
                   reinterpret_cast<const __m128i *>(t.halfScales + at)))
             : _mm256_loadu_ps(t.floatScales + at);
}

/// Adds blocks [0, B) (B <= kBlocksPerWiden) of rows [r0, r0 + R) x one
/// panel to the int32 sums: the two 32-byte halves of each 64-byte block
/// give four vpmaddubsw operands, each broadcast of A feeds both halves,
/// and the int16 sums are widened once (vpmaddwd by ones).
template <int R, int B>
QUANTC_TARGET_AVX2 inline void blocks(const uint8_t *w, const int8_t *x,
                                      int64_t lda, __m256i (&acc)[R][2]) {
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i s[R][2];
  for (int b = 0; b < B; ++b, w += 64, x += 8) {
    const __m256i v0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w));
    const __m256i v1 =
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(w + 32));
    const __m256i lo0 = _mm256_and_si256(v0, low);
    const __m256i hi0 = _mm256_and_si256(_mm256_srli_epi16(v0, 4), low);
    const __m256i lo1 = _mm256_and_si256(v1, low);
    const __m256i hi1 = _mm256_and_si256(_mm256_srli_epi16(v1, 4), low);
    for (int i = 0; i < R; ++i) {
      int32_t x0, x1;
      __builtin_memcpy(&x0, x + i * lda, 4);
      __builtin_memcpy(&x1, x + i * lda + 4, 4);
      const __m256i a0 = _mm256_set1_epi32(x0), a1 = _mm256_set1_epi32(x1);
      const __m256i p0 = _mm256_add_epi16(_mm256_maddubs_epi16(lo0, a0),
                                          _mm256_maddubs_epi16(hi0, a1));
      const __m256i p1 = _mm256_add_epi16(_mm256_maddubs_epi16(lo1, a0),
                                          _mm256_maddubs_epi16(hi1, a1));
      s[i][0] = b == 0 ? p0 : _mm256_add_epi16(s[i][0], p0);
      s[i][1] = b == 0 ? p1 : _mm256_add_epi16(s[i][1], p1);
    }
  }
  const __m256i ones = _mm256_set1_epi16(1);
  for (int i = 0; i < R; ++i)
    for (int h = 0; h < 2; ++h)
      acc[i][h] = _mm256_add_epi32(acc[i][h], _mm256_madd_epi16(s[i][h], ones));
}

/// Rows [r0, r0 + R) x the 16 columns of panel p. The f32 sums live in
/// memory between groups (an L1 line per row): in registers they would
/// leave too few for the int16 sums of both halves, and sharing each
/// broadcast of A between the halves is what keeps the loads below the
/// multiplies.
template <int R>
QUANTC_TARGET_AVX2 void block(const Ctx &c, int64_t r0, int64_t p) {
  const QGemmGroupedTile &t = *c.t;
  const GroupedLayout &l = t.layout;
  alignas(32) float f[R][kPanel] = {};
  const uint8_t *w = t.codes + p * l.panelBytes();
  const int64_t blockCount = l.storedRows / 8;
  for (int64_t g = 0; g < l.groups; ++g) {
    const int64_t at = l.params(p, g);
    __m256i acc[R][2];
    for (int h = 0; h < 2; ++h) {
      __m256i zq = _mm256_setzero_si256();
      if (t.aZero != 0)
        zq = _mm256_mullo_epi32(
            _mm256_set1_epi32(t.aZero),
            _mm256_loadu_si256(
                reinterpret_cast<const __m256i *>(t.colSums + at + 8 * h)));
      for (int i = 0; i < R; ++i)
        acc[i][h] = _mm256_sub_epi32(
            _mm256_set1_epi32(c.terms[(r0 + i) * l.groups + g]), zq);
    }
    const int8_t *x = c.a + r0 * c.lda + g * l.storedRows;
    for (int64_t b0 = 0; b0 < blockCount; b0 += kBlocksPerWiden) {
      const int64_t off = b0 * 64;
      switch (std::min(kBlocksPerWiden, blockCount - b0)) {
      case 4:
        blocks<R, 4>(w + off, x + b0 * 8, c.lda, acc);
        break;
      case 3:
        blocks<R, 3>(w + off, x + b0 * 8, c.lda, acc);
        break;
      case 2:
        blocks<R, 2>(w + off, x + b0 * 8, c.lda, acc);
        break;
      default:
        blocks<R, 1>(w + off, x + b0 * 8, c.lda, acc);
        break;
      }
    }
    w += blockCount * 64;
    for (int h = 0; h < 2; ++h) {
      const __m256 scale = loadScales(t, at + 8 * h);
      for (int i = 0; i < R; ++i)
        _mm256_store_ps(f[i] + 8 * h,
                        _mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[i][h]), scale,
                                        _mm256_load_ps(f[i] + 8 * h)));
    }
  }
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  for (int h = 0; h < 2; ++h) {
    const int64_t n = p * kPanel + 8 * h;
    const int64_t cols = std::clamp<int64_t>(t.n1 - n, 0, 8);
    if (cols == 0)
      continue;
    const __m256i mask =
        _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(cols)), lane);
    for (int i = 0; i < R; ++i) {
      const int64_t m = t.m0 + r0 + i;
      _mm256_maskstore_ps(
          t.out + m * t.ldc + n, mask,
          _mm256_mul_ps(_mm256_load_ps(f[i] + 8 * h),
                        _mm256_set1_ps(t.rowScales[m * t.rowScaleStride])));
    }
  }
}

QUANTC_TARGET_AVX2 void run(const Ctx &c, int64_t rows) {
  const QGemmGroupedTile &t = *c.t;
  const int64_t pEnd = (t.n1 + kPanel - 1) / kPanel;
  for (int64_t p = t.n0 / kPanel; p < pEnd; ++p) {
    // A panel's codes (K * 8 bytes at 4 bits) stay in L1 across the row
    // blocks.
    int64_t r0 = 0;
    for (; r0 + kRows <= rows; r0 += kRows)
      block<kRows>(c, r0, p);
    switch (rows - r0) {
    case 3:
      block<3>(c, r0, p);
      break;
    case 2:
      block<2>(c, r0, p);
      break;
    case 1:
      block<1>(c, r0, p);
      break;
    default:
      break;
    }
  }
}

} // namespace

void qgemmGroupedAvx2(const QGemmGroupedTile &t) {
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  const GroupedLayout &l = t.layout;
  // 32 bytes of slack keep rows off a multiple of 4 KiB (the same L1 sets).
  const int64_t lda = l.groups * l.storedRows + 32;
  thread_local std::vector<int8_t> aBuf;
  thread_local std::vector<int32_t> termBuf;
  if (int64_t(aBuf.size()) < rows * lda)
    aBuf.resize(rows * lda);
  if (int64_t(termBuf.size()) < rows * l.groups)
    termBuf.resize(rows * l.groups);
  grouped::packA(t, rows, l.storedRows, aBuf.data(), lda, termBuf.data());
  run(Ctx{&t, aBuf.data(), lda, termBuf.data()}, rows);
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
