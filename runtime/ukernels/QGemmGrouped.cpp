//===- QGemmGrouped.cpp - int8 GEMM over group-wise low-bit weights -------===//
//
// The layout, A packing, the portable variant (the baseline) and the
// AVX-512 VNNI one; the AVX2 and AMX variants are in QGemmGroupedAvx2.cpp
// and QGemmGroupedAmx.cpp.
//
// VNNI: a register tile is kRows rows x 2 panels. Per group its int32
// accumulators start at the rows' offset terms; per 8 rows of the group,
// one 64-byte load of each panel's codes gives two vpdpbusd operands (the
// low and high nibbles: an and, a shift and an and), each multiplied by a
// broadcast dword of A for every row; then the group's sums are converted
// and accumulated into f32 registers with its scales. The codes are read
// once per row block straight from the artifact, so at M = 1 (decode) the
// weight streams once, each panel's stream prefetched 2 KiB ahead (a
// DRAM-resident chain of 4096 x 4096 layers: 0.71 ms a layer, against
// 0.73 at 1 KiB and 0.75 at 4 KiB, Sapphire Rapids).
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemmGrouped.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "runtime/ukernels/W4Gemm.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace quantc::ukernels {

GroupedLayout GroupedLayout::of(int64_t bits, int64_t groupRows, int64_t k,
                                int64_t n) {
  GroupedLayout l;
  // Sizes up to 2^30 keep every product below inside int64 and a group's
  // int32 sum (at most 2^30 * 128 * 15 would not) is bounded by
  // kMaxGroupRows instead.
  constexpr int64_t kMaxSize = int64_t(1) << 30;
  constexpr int64_t kMaxGroupRows = int64_t(1) << 20;
  if (bits < 2 || bits > 4 || groupRows < 1 || k < 1 || n < 1 || k > kMaxSize ||
      n > kMaxSize || groupRows > kMaxGroupRows)
    return l;
  l.bits = bits;
  l.groupRows = groupRows;
  l.storedRows = roundUp(groupRows, 8);
  l.groups = (k + groupRows - 1) / groupRows;
  l.k = k;
  l.n = n;
  l.paddedN = roundUp(n, kPanel);
  return l;
}

namespace grouped {

void packA(const QGemmGroupedTile &t, int64_t paddedRows, int64_t stride,
           int8_t *dst, int64_t ld, int32_t *rowTerms) {
  const GroupedLayout &l = t.layout;
  const int64_t rows = t.m1 - t.m0;
  const int32_t offset = int32_t(l.offset());
  for (int64_t r = 0; r < paddedRows; ++r, dst += ld) {
    std::fill(dst, dst + l.groups * stride, int8_t(0));
    for (int64_t g = 0; g < l.groups; ++g) {
      int32_t sum = 0;
      if (r < rows) {
        const int8_t *src = t.a + (t.m0 + r) * t.lda;
        const int64_t k0 = g * l.groupRows;
        const int64_t k1 = std::min(k0 + l.groupRows, l.k);
        for (int64_t k = k0; k < k1; ++k) {
          dst[g * stride + (k - k0)] = src[k];
          sum += src[k];
        }
      }
      rowTerms[r * l.groups + g] = -offset * sum;
    }
  }
}

#if defined(__x86_64__)

__attribute__((target("avx512f,avx512bw"))) void
packAAvx512(const QGemmGroupedTile &t, int64_t paddedRows, int64_t stride,
            int8_t *dst, int64_t ld, int32_t *rowTerms) {
  const GroupedLayout &l = t.layout;
  const int64_t rows = t.m1 - t.m0;
  const int32_t offset = int32_t(l.offset());
  const __m512i bias = _mm512_set1_epi8(int8_t(0x80));
  for (int64_t r = 0; r < paddedRows; ++r, dst += ld) {
    if (r >= rows) {
      std::fill(dst, dst + l.groups * stride, int8_t(0));
      if (rowTerms)
        std::fill(rowTerms + r * l.groups, rowTerms + (r + 1) * l.groups, 0);
      continue;
    }
    const int8_t *src = t.a + (t.m0 + r) * t.lda;
    if (!rowTerms && stride == l.groupRows && l.k == l.groups * stride) {
      // Whole groups, no padding between them: the row as it is.
      std::memcpy(dst, src, l.k);
      continue;
    }
    for (int64_t g = 0; g < l.groups; ++g) {
      const int64_t k0 = g * l.groupRows;
      const int64_t len = std::min(l.groupRows, l.k - k0);
      int64_t sum = 0;
      // 64 bytes at a time, zeros past the group; a store past the group's
      // stride is overwritten by the next group or lands in the row's slack.
      for (int64_t i = 0; i < stride; i += 64) {
        const int64_t left = len - i;
        const __mmask64 valid = left >= 64  ? ~__mmask64(0)
                                : left <= 0 ? __mmask64(0)
                                            : (__mmask64(1) << left) - 1;
        const __m512i v = _mm512_maskz_loadu_epi8(valid, src + k0 + i);
        _mm512_storeu_si512(dst + g * stride + i, v);
        // Sum of the bytes as unsigned (v + 128), less the 64 * 128 bias.
        if (rowTerms)
          sum += _mm512_reduce_add_epi64(_mm512_sad_epu8(
                     _mm512_xor_si512(v, bias), _mm512_setzero_si512())) -
                 64 * 128;
      }
      if (rowTerms)
        rowTerms[r * l.groups + g] = -offset * int32_t(sum);
    }
  }
}

#endif // defined(__x86_64__)

} // namespace grouped

namespace {

#if defined(__GNUC__)
#define QUANTC_ALWAYS_INLINE __attribute__((always_inline)) inline
#else
#define QUANTC_ALWAYS_INLINE inline
#endif

/// Per-thread buffers of the packed A rows and their offset terms.
struct ABuffers {
  std::vector<int8_t> codes;
  std::vector<int32_t> terms;
  int8_t *pack(const QGemmGroupedTile &t, int64_t paddedRows, int64_t stride,
               int64_t &ld, bool avx512) {
    // 64 bytes of slack keep rows off a multiple of 4 KiB (the same L1
    // sets) and allow aligning the first row.
    ld = t.layout.groups * stride + 64;
    if (int64_t(codes.size()) < paddedRows * ld + 64)
      codes.resize(paddedRows * ld + 64);
    if (int64_t(terms.size()) < paddedRows * t.layout.groups)
      terms.resize(paddedRows * t.layout.groups);
    int8_t *a = reinterpret_cast<int8_t *>(
        (reinterpret_cast<uintptr_t>(codes.data()) + 63) & ~uintptr_t(63));
#if defined(__x86_64__)
    if (avx512) {
      grouped::packAAvx512(t, paddedRows, stride, a, ld, terms.data());
      return a;
    }
#endif
    (void)avx512;
    grouped::packA(t, paddedRows, stride, a, ld, terms.data());
    return a;
  }
};

thread_local ABuffers aBuffers;

/// The portable variant: rows in blocks of 4 against one panel, so each
/// decoded code is used 4 times; plain loops the compiler vectorizes for
/// the ISA of the function it is inlined into.
QUANTC_ALWAYS_INLINE void portable(const QGemmGroupedTile &t) {
  const GroupedLayout &l = t.layout;
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  int64_t ld = 0;
  const int8_t *a = aBuffers.pack(t, rows, l.storedRows, ld, false);
  const int32_t *terms = aBuffers.terms.data();
  for (int64_t n = t.n0; n < t.n1; n += kPanel) {
    const uint8_t *panel = t.codes + n / kPanel * l.panelBytes();
    const int64_t cols = std::min<int64_t>(kPanel, t.n1 - n);
    for (int64_t r0 = 0; r0 < rows; r0 += 4) {
      const int64_t rr = std::min<int64_t>(4, rows - r0);
      float f[4][kPanel] = {};
      for (int64_t g = 0; g < l.groups; ++g) {
        int32_t acc[4][kPanel];
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t c = 0; c < kPanel; ++c)
            acc[i][c] = i < rr ? terms[(r0 + i) * l.groups + g] : 0;
        if (t.aZero != 0)
          for (int64_t i = 0; i < 4; ++i)
            for (int64_t c = 0; c < kPanel; ++c)
              acc[i][c] -= t.aZero * t.colSums[l.params(n / kPanel, g) + c];
        const uint8_t *block = panel + g * l.storedRows * 8;
        for (int64_t j = 0; j < l.storedRows / 8; ++j, block += 64)
          for (int64_t i = 0; i < rr; ++i) {
            const int8_t *x = a + (r0 + i) * ld + g * l.storedRows + 8 * j;
            for (int64_t c = 0; c < kPanel; ++c)
              for (int64_t r = 0; r < 4; ++r) {
                const uint8_t v = block[4 * c + r];
                acc[i][c] +=
                    x[r] * int32_t(v & 15) + x[4 + r] * int32_t(v >> 4);
              }
          }
        const int64_t at = l.params(n / kPanel, g);
        float s[kPanel];
        for (int64_t c = 0; c < kPanel; ++c)
          s[c] = t.halfScales ? halfToFloat(t.halfScales[at + c])
                              : t.floatScales[at + c];
        for (int64_t i = 0; i < rr; ++i)
          for (int64_t c = 0; c < kPanel; ++c)
            f[i][c] = std::fma(float(acc[i][c]), s[c], f[i][c]);
      }
      for (int64_t i = 0; i < rr; ++i) {
        const int64_t m = t.m0 + r0 + i;
        const float rs = t.rowScales[m * t.rowScaleStride];
        for (int64_t c = 0; c < cols; ++c)
          t.out[m * t.ldc + n + c] = f[i][c] * rs;
      }
    }
  }
}

#if defined(__x86_64__)

#define QUANTC_TARGET_VNNI                                                     \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,fma")))

constexpr int kRows = 4;

} // namespace

namespace {

/// Rows [r0, r0 + R) x panels [p, p + P) of a call whose A is packed at a.
template <int R, int P>
QUANTC_TARGET_VNNI void vnniBlock(const QGemmGroupedTile &t, const int8_t *a,
                                  int64_t ld, const int32_t *terms, int64_t r0,
                                  int64_t p) {
  const GroupedLayout &l = t.layout;
  const __m512i low = _mm512_set1_epi8(0x0f);
  __m512 f[R][P];
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < P; ++j)
      f[i][j] = _mm512_setzero_ps();
  const uint8_t *w[P];
  for (int j = 0; j < P; ++j)
    w[j] = t.codes + (p + j) * l.panelBytes();
  const int64_t blocks = l.storedRows / 8;
  for (int64_t g = 0; g < l.groups; ++g) {
    __m512i zq[P];
    for (int j = 0; j < P; ++j)
      zq[j] = t.aZero == 0
                  ? _mm512_setzero_si512()
                  : _mm512_mullo_epi32(
                        _mm512_set1_epi32(t.aZero),
                        _mm512_loadu_si512(t.colSums + l.params(p + j, g)));
    __m512i acc[R][P];
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < P; ++j)
        acc[i][j] = _mm512_sub_epi32(
            _mm512_set1_epi32(terms[(r0 + i) * l.groups + g]), zq[j]);
    const int8_t *x = a + r0 * ld + g * l.storedRows;
    for (int64_t b = 0; b < blocks; ++b, x += 8) {
      __m512i lo[P], hi[P];
      for (int j = 0; j < P; ++j) {
        const __m512i v = _mm512_loadu_si512(w[j]);
        _mm_prefetch(reinterpret_cast<const char *>(w[j]) + 2048, _MM_HINT_T0);
        w[j] += 64;
        lo[j] = _mm512_and_si512(v, low);
        hi[j] = _mm512_and_si512(_mm512_srli_epi16(v, 4), low);
      }
      for (int i = 0; i < R; ++i) {
        int32_t x0, x1;
        __builtin_memcpy(&x0, x + i * ld, 4);
        __builtin_memcpy(&x1, x + i * ld + 4, 4);
        const __m512i a0 = _mm512_set1_epi32(x0), a1 = _mm512_set1_epi32(x1);
        for (int j = 0; j < P; ++j) {
          acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], lo[j], a0);
          acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], hi[j], a1);
        }
      }
    }
    for (int j = 0; j < P; ++j) {
      const __m512 s = grouped::loadScales(t, l.params(p + j, g));
      for (int i = 0; i < R; ++i)
        f[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[i][j]), s, f[i][j]);
    }
  }
  for (int j = 0; j < P; ++j) {
    const int64_t n = (p + j) * kPanel;
    const int64_t cols = t.n1 - n;
    const __mmask16 mask =
        cols >= kPanel ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
    for (int i = 0; i < R; ++i) {
      const int64_t m = t.m0 + r0 + i;
      const __m512 v = _mm512_mul_ps(
          f[i][j], _mm512_set1_ps(t.rowScales[m * t.rowScaleStride]));
      _mm512_mask_storeu_ps(t.out + m * t.ldc + n, mask, v);
    }
  }
}

/// Panels [p, p + P) for every row: the panels' codes (K * 16 bytes at
/// g32) stay in L1 across the row blocks.
template <int P>
QUANTC_TARGET_VNNI void vnniPanels(const QGemmGroupedTile &t, const int8_t *a,
                                   int64_t ld, const int32_t *terms,
                                   int64_t rows, int64_t p) {
  int64_t r0 = 0;
  for (; r0 + kRows <= rows; r0 += kRows)
    vnniBlock<kRows, P>(t, a, ld, terms, r0, p);
  switch (rows - r0) {
  case 3:
    return vnniBlock<3, P>(t, a, ld, terms, r0, p);
  case 2:
    return vnniBlock<2, P>(t, a, ld, terms, r0, p);
  case 1:
    return vnniBlock<1, P>(t, a, ld, terms, r0, p);
  default:
    return;
  }
}

#endif // defined(__x86_64__)

} // namespace

void qgemmGroupedPortable(const QGemmGroupedTile &t) { portable(t); }

#if defined(__x86_64__)

void qgemmGroupedAvx512Vnni(const QGemmGroupedTile &t) {
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  int64_t ld = 0;
  const int8_t *a = aBuffers.pack(t, rows, t.layout.storedRows, ld, true);
  const int32_t *terms = aBuffers.terms.data();
  const int64_t pEnd = (t.n1 + kPanel - 1) / kPanel;
  int64_t p = t.n0 / kPanel;
  for (; p + 2 <= pEnd; p += 2)
    vnniPanels<2>(t, a, ld, terms, rows, p);
  if (p < pEnd)
    vnniPanels<1>(t, a, ld, terms, rows, p);
}

#endif // defined(__x86_64__)

QGemmGroupedFn qgemmGroupedFor(Isa isa) {
#if defined(__x86_64__)
  switch (isa) {
  case Isa::Amx:
    return qgemmGroupedAmx;
  case Isa::Avx512Vnni:
    return qgemmGroupedAvx512Vnni;
  case Isa::Avx2:
    return qgemmGroupedAvx2;
  case Isa::Scalar:
    break;
  }
#else
  (void)isa;
#endif
  return qgemmGroupedPortable;
}

} // namespace quantc::ukernels
