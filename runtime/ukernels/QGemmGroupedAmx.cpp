//===- QGemmGroupedAmx.cpp - grouped low-bit x int8 GEMM, AMX-INT8 --------===//
//
// tdpbssd (s8 activations x s8 codes -> s32). Per pair of panels, the
// codes of the whole K are unpacked once into B tiles of signed codes in a
// per-thread buffer (each 64-byte block of nibbles is two 64-byte tile
// rows, less the layout's offset), so the sums need no row term; then
// every 16-row block of the call's A multiplies them group by group: a group of
// G <= 64 rows is one tdpbsud with tiles of Gs bytes of K (the tile
// configuration is set per call), a longer one several of 64 (its rows padded
// to 64 with zeros). The int32 sums cannot carry across groups, so after each
// group its C tiles are stored and converted, scaled, into f32 sums that
// stay in registers (16 rows x 32 columns: all 32 zmm): that store and
// convert per group is what W4A8 pays over W8A8 (keeping the sums in
// memory instead was 2x slower on 128 x 4096 x 4096). Storing, computing
// and converting run a group apart (block2), so the vector work overlaps
// the tile unit and reads stores that have completed: 128 x 4096 x 4096 W4A8
// g32 went from 10.1-10.8 to 8.0-8.5 ms with that and the signed codes.
//
// Below 8 rows an A tile is mostly padding and the AVX-512 VNNI variant
// (present on every AMX CPU) runs instead.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemmGrouped.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#define QUANTC_TARGET_AMX                                                      \
  __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,fma")))

namespace quantc::ukernels {

namespace {

constexpr int kTileRows = 16;

/// Palette 1: tiles 0-3 C (16 x 64 bytes), 4-5 A (16 rows x `chunk`
/// bytes), 6-7 B (chunk / 4 rows x 64 bytes).
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
  explicit TileConfig(int64_t chunk) {
    for (int i = 0; i < 4; ++i) {
      colsb[i] = 64;
      rows[i] = kTileRows;
    }
    for (int i = 4; i < 6; ++i) {
      colsb[i] = uint16_t(chunk);
      rows[i] = kTileRows;
    }
    for (int i = 6; i < 8; ++i) {
      colsb[i] = 64;
      rows[i] = uint8_t(chunk / 4);
    }
  }
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

struct Ctx {
  const QGemmGroupedTile *t;
  const int8_t *a; // packed A, row r at a + r * lda, group g at g * stride
  int64_t lda;
  int64_t stride; // K bytes per group in A and B (rows of B * 4)
  int64_t chunk;  // K bytes per tdpbsud
  int64_t rows;   // valid rows
};

/// Panel p's signed codes (nibble - offset) as B tiles: group g's rows at
/// dst + g * stride * 16, a tile row (4 k x 16 columns) per 64 bytes; rows
/// past Gs are zero.
QUANTC_TARGET_AMX void decodePanel(const GroupedLayout &l, const uint8_t *src,
                                   int64_t stride, uint8_t *dst) {
  const __m512i low = _mm512_set1_epi8(0x0f);
  const __m512i offset = _mm512_set1_epi8(int8_t(l.offset()));
  const int64_t blocks = l.storedRows / 8;
  for (int64_t g = 0; g < l.groups; ++g) {
    uint8_t *d = dst + g * stride * 16;
    for (int64_t b = 0; b < blocks; ++b, src += 64, d += 128) {
      const __m512i v = _mm512_loadu_si512(src);
      _mm512_storeu_si512(d, _mm512_sub_epi8(_mm512_and_si512(v, low), offset));
      _mm512_storeu_si512(
          d + 64, _mm512_sub_epi8(
                      _mm512_and_si512(_mm512_srli_epi16(v, 4), low), offset));
    }
    std::memset(d, 0, (stride - l.storedRows) * 16);
  }
}

/// Group g's int32 sums for rows [r0, r0 + 16) x one panel into C tile T
/// (0-3). A and B go through tiles 4 + T % 2 and 6 + T % 2, so consecutive
/// groups share no tile register.
template <int T>
QUANTC_TARGET_AMX void groupSums(const Ctx &c, const int8_t *a,
                                 const uint8_t *b, int64_t g) {
  constexpr int kA = 4 + T % 2, kB = 6 + T % 2;
  const int64_t stride = c.stride, chunk = c.chunk, lda = c.lda;
  _tile_zero(T);
  for (int64_t k = g * stride; k < (g + 1) * stride; k += chunk) {
    _tile_loadd(kA, a + k, lda);
    _tile_loadd(kB, b + k * 16, 64);
    _tile_dpbssd(T, kA, kB);
  }
}

/// out[r0 + i][n, n + 16) = f[i] * row scale for a block's valid rows,
/// masked past N.
QUANTC_TARGET_AMX void storeRows(const Ctx &c, int64_t r0, int64_t n,
                                 const __m512 *f) {
  const QGemmGroupedTile &t = *c.t;
  const int64_t cols = t.n1 - n;
  const __mmask16 mask =
      cols >= kPanel ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
  const int64_t rows = std::min<int64_t>(c.rows - r0, kTileRows);
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t m = t.m0 + r0 + i;
    _mm512_mask_storeu_ps(
        t.out + m * t.ldc + n, mask,
        _mm512_mul_ps(f[i], _mm512_set1_ps(t.rowScales[m * t.rowScaleStride])));
  }
}

/// f[i] += float(scratch row i - aZero * column sums) * scales of group g,
/// for the 16 rows of a block.
template <bool Zero>
QUANTC_TARGET_AMX inline void accumulate(const Ctx &c, int64_t p, int64_t g,
                                         const int32_t *scratch, __m512 *f) {
  const QGemmGroupedTile &t = *c.t;
  const GroupedLayout &l = t.layout;
  const __m512 s = grouped::loadScales(t, l.params(p, g));
  __m512i zq = _mm512_setzero_si512();
  if (Zero)
    zq = _mm512_mullo_epi32(_mm512_set1_epi32(t.aZero),
                            _mm512_loadu_si512(t.colSums + l.params(p, g)));
#pragma clang loop unroll(full)
  for (int i = 0; i < kTileRows; ++i) {
    __m512i acc = _mm512_load_si512(scratch + i * kPanel);
    if (Zero)
      acc = _mm512_sub_epi32(acc, zq);
    f[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc), s, f[i]);
  }
}

/// Rows [r0, r0 + 16) x panel p with its decoded B at b (the last panel of
/// an odd count). The f32 sums stay in 16 zmm over all groups. As in
/// block2, iteration g stores group g (computed during iteration g - 1 in
/// C tile g % 2), computes group g + 1 and converts group g - 1.
template <bool Zero>
QUANTC_TARGET_AMX void block(const Ctx &c, int64_t r0, int64_t p,
                             const uint8_t *b) {
  const QGemmGroupedTile &t = *c.t;
  const GroupedLayout &l = t.layout;
  __m512 f[kTileRows];
#pragma clang loop unroll(full)
  for (int i = 0; i < kTileRows; ++i)
    f[i] = _mm512_setzero_ps();
  alignas(64) int32_t ring[2][kTileRows * kPanel];
  const int8_t *a = c.a + r0 * c.lda;
  const int64_t groups = l.groups;
  constexpr int64_t ldc = kPanel * sizeof(int32_t);
  groupSums<0>(c, a, b, 0);
  for (int64_t g = 0; g < groups; ++g) {
    if (g & 1) {
      _tile_stored(1, ring[1], ldc);
      if (g + 1 < groups)
        groupSums<0>(c, a, b, g + 1);
    } else {
      _tile_stored(0, ring[0], ldc);
      if (g + 1 < groups)
        groupSums<1>(c, a, b, g + 1);
    }
    if (g > 0)
      accumulate<Zero>(c, p, g - 1, ring[(g - 1) & 1], f);
  }
  accumulate<Zero>(c, p, groups - 1, ring[(groups - 1) & 1], f);
  storeRows(c, r0, p * kPanel, f);
}

/// Group g's int32 sums for rows [r0, r0 + 16) x two panels (decoded B at
/// b0, b1) into C tiles 2T and 2T + 1, through A tile 4 + T and B tiles 6
/// and 7.
template <int T>
QUANTC_TARGET_AMX void groupSums2(const Ctx &c, const int8_t *a,
                                  const uint8_t *b0, const uint8_t *b1,
                                  int64_t g) {
  const int64_t stride = c.stride, chunk = c.chunk, lda = c.lda;
  _tile_zero(2 * T);
  _tile_zero(2 * T + 1);
  for (int64_t k = g * stride; k < (g + 1) * stride; k += chunk) {
    _tile_loadd(4 + T, a + k, lda);
    _tile_loadd(6, b0 + k * 16, 64);
    _tile_dpbssd(2 * T, 4 + T, 6);
    _tile_loadd(7, b1 + k * 16, 64);
    _tile_dpbssd(2 * T + 1, 4 + T, 7);
  }
}

/// C tiles 2T, 2T + 1 to s0, s1.
template <int T>
QUANTC_TARGET_AMX void storeSums2(int32_t *s0, int32_t *s1) {
  _tile_stored(2 * T, s0, kPanel * sizeof(int32_t));
  _tile_stored(2 * T + 1, s1, kPanel * sizeof(int32_t));
}

/// Rows [r0, r0 + 16) x panels p, p + 1: one A tile per group serves both
/// panels, and the two panels' f32 sums take all 32 zmm (the compiler
/// spills a few). Three stages run a group apart, so that no instruction
/// waits for the one before it: iteration g stores group g's tiles
/// (computed during iteration g - 1), computes group g + 1 in the other
/// pair of C tiles, and converts group g - 1 (stored an iteration ago).
template <bool Zero>
QUANTC_TARGET_AMX void block2(const Ctx &c, int64_t r0, int64_t p,
                              const uint8_t *b0, const uint8_t *b1) {
  const QGemmGroupedTile &t = *c.t;
  const GroupedLayout &l = t.layout;
  __m512 f0[kTileRows], f1[kTileRows];
#pragma clang loop unroll(full)
  for (int i = 0; i < kTileRows; ++i)
    f0[i] = f1[i] = _mm512_setzero_ps();
  alignas(64) int32_t ring[2][2][kTileRows * kPanel];
  const int8_t *a = c.a + r0 * c.lda;
  const int64_t groups = l.groups;
  groupSums2<0>(c, a, b0, b1, 0);
  for (int64_t g = 0; g < groups; ++g) {
    int32_t *s0 = ring[g & 1][0], *s1 = ring[g & 1][1];
    if (g & 1) {
      storeSums2<1>(s0, s1);
      if (g + 1 < groups)
        groupSums2<0>(c, a, b0, b1, g + 1);
    } else {
      storeSums2<0>(s0, s1);
      if (g + 1 < groups)
        groupSums2<1>(c, a, b0, b1, g + 1);
    }
    if (g > 0) {
      accumulate<Zero>(c, p, g - 1, ring[(g - 1) & 1][0], f0);
      accumulate<Zero>(c, p + 1, g - 1, ring[(g - 1) & 1][1], f1);
    }
  }
  accumulate<Zero>(c, p, groups - 1, ring[(groups - 1) & 1][0], f0);
  accumulate<Zero>(c, p + 1, groups - 1, ring[(groups - 1) & 1][1], f1);
  storeRows(c, r0, p * kPanel, f0);
  if ((p + 1) * kPanel < t.n1)
    storeRows(c, r0, (p + 1) * kPanel, f1);
}

thread_local std::vector<int8_t> aBuf;
thread_local std::vector<int32_t> termBuf;
thread_local std::vector<uint8_t> bBuf;

QUANTC_TARGET_AMX void run(const Ctx &c, int64_t pFirst, int64_t pEnd,
                           uint8_t *bDecoded, int64_t paddedRows) {
  const QGemmGroupedTile &t = *c.t;
  const GroupedLayout &l = t.layout;
  const TileConfig config(c.chunk);
  _tile_loadconfig(&config);
  const int64_t panelBytes = l.groups * c.stride * 16;
  for (int64_t p = pFirst; p < pEnd;) {
    if (pEnd - p >= 2) {
      decodePanel(l, t.codes + p * l.panelBytes(), c.stride, bDecoded);
      decodePanel(l, t.codes + (p + 1) * l.panelBytes(), c.stride,
                  bDecoded + panelBytes);
      for (int64_t r0 = 0; r0 < paddedRows; r0 += kTileRows) {
        if (t.aZero != 0)
          block2<true>(c, r0, p, bDecoded, bDecoded + panelBytes);
        else
          block2<false>(c, r0, p, bDecoded, bDecoded + panelBytes);
      }
      p += 2;
      continue;
    }
    decodePanel(l, t.codes + p * l.panelBytes(), c.stride, bDecoded);
    for (int64_t r0 = 0; r0 < paddedRows; r0 += kTileRows) {
      if (t.aZero != 0)
        block<true>(c, r0, p, bDecoded);
      else
        block<false>(c, r0, p, bDecoded);
    }
    ++p;
  }
  _tile_release();
}

} // namespace

void qgemmGroupedAmx(const QGemmGroupedTile &t) {
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  if (rows < 8)
    return qgemmGroupedAvx512Vnni(t);
  const GroupedLayout &l = t.layout;
  const int64_t stride =
      l.storedRows <= 64 ? l.storedRows : roundUp(l.storedRows, 64);
  const int64_t chunk = std::min<int64_t>(stride, 64);
  const int64_t paddedRows = roundUp(rows, kTileRows);
  // 64 bytes past each row keep rows off a multiple of 4 KiB.
  const int64_t lda = l.groups * stride + 64;
  if (int64_t(aBuf.size()) < paddedRows * lda + 64)
    aBuf.resize(paddedRows * lda + 64);
  if (int64_t(termBuf.size()) < paddedRows * l.groups)
    termBuf.resize(paddedRows * l.groups);
  const int64_t panelBytes = l.groups * stride * 16;
  if (int64_t(bBuf.size()) < 2 * panelBytes + 64)
    bBuf.resize(2 * panelBytes + 64);
  auto align = [](auto *p) {
    return reinterpret_cast<decltype(p)>((reinterpret_cast<uintptr_t>(p) + 63) &
                                         ~uintptr_t(63));
  };
  int8_t *a = align(aBuf.data());
  grouped::packAAvx512(t, paddedRows, stride, a, lda, termBuf.data());
  // The row terms packing computes are for unsigned codes: with signed
  // ones (decodePanel) they are not needed.
  const Ctx c = {&t, a, lda, stride, chunk, rows};
  run(c, t.n0 / kPanel, (t.n1 + kPanel - 1) / kPanel, align(bBuf.data()),
      paddedRows);
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
