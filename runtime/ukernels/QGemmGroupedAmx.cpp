//===- QGemmGroupedAmx.cpp - grouped low-bit x int8 GEMM, AMX-INT8 --------===//
//
// tdpbssd (s8 activations x s8 codes -> s32). Per panel of 16 columns, the
// codes of the whole K are unpacked once into B tiles of signed codes in a
// per-thread buffer (each 64-byte block of nibbles is two 64-byte tile
// rows, less the layout's offset), so the sums need no row term; then
// every 16-row block of the call's A multiplies them group by group: a
// group of G <= 64 rows is one tdpbssd with tiles of Gs bytes of K (the
// tile configuration is set per call), a longer one several of 64 (its
// rows padded to 64 with zeros). The int32 sums cannot carry across groups,
// so after each group its C tile is stored and converted, scaled, into f32
// sums that stay in 16 zmm: that store and convert per group is what W4A8
// pays over W8A8, besides tdpbssd doing half its work with K = 32 (so the
// floor is twice the W8A8 time).
//
// The four C tiles take groups in turn, three ahead of the one being
// stored, and a group is converted an iteration after its store: the tile
// unit always has work queued, no store waits for its product and no load
// for its store. 128 x 4096 x 4096 W4A8 g32 at 1 thread: 10.1-10.8 ms with
// every group stored right after its product (two panels at a time, 32
// f32 sums), 7.2-7.4 ms so. A pair of panels with one group ahead (all
// that two pairs of C tiles allow) measured 7.4-7.6.
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
  int64_t chunk;  // K bytes per tdpbssd
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

/// Starts group g of one panel in C tile g % 4.
QUANTC_TARGET_AMX inline void startGroup(const Ctx &c, const int8_t *a,
                                         const uint8_t *b, int64_t g) {
  switch (g & 3) {
  case 0:
    return groupSums<0>(c, a, b, g);
  case 1:
    return groupSums<1>(c, a, b, g);
  case 2:
    return groupSums<2>(c, a, b, g);
  default:
    return groupSums<3>(c, a, b, g);
  }
}

/// Stores C tile g % 4 to `dst`.
QUANTC_TARGET_AMX inline void storeGroup(int64_t g, int32_t *dst) {
  constexpr int64_t ldc = kPanel * sizeof(int32_t);
  switch (g & 3) {
  case 0:
    return _tile_stored(0, dst, ldc);
  case 1:
    return _tile_stored(1, dst, ldc);
  case 2:
    return _tile_stored(2, dst, ldc);
  default:
    return _tile_stored(3, dst, ldc);
  }
}

/// Rows [r0, r0 + 16) x panel p with its decoded B at b. The f32 sums stay
/// in 16 zmm over all groups. Groups go
/// through the four C tiles in turn, three ahead: iteration g starts group
/// g + 3, stores group g and converts group g - 1 (stored an iteration
/// earlier).
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
  for (int64_t g = 0; g < std::min<int64_t>(3, groups); ++g)
    startGroup(c, a, b, g);
  for (int64_t g = 0; g < groups; ++g) {
    if (g + 3 < groups)
      startGroup(c, a, b, g + 3);
    storeGroup(g, ring[g & 1]);
    if (g > 0)
      accumulate<Zero>(c, p, g - 1, ring[(g - 1) & 1], f);
  }
  accumulate<Zero>(c, p, groups - 1, ring[(groups - 1) & 1], f);
  storeRows(c, r0, p * kPanel, f);
}

thread_local std::vector<int8_t> aBuf;
thread_local std::vector<uint8_t> bBuf;

QUANTC_TARGET_AMX void run(const Ctx &c, int64_t pFirst, int64_t pEnd,
                           uint8_t *bDecoded, int64_t paddedRows) {
  const QGemmGroupedTile &t = *c.t;
  const GroupedLayout &l = t.layout;
  const TileConfig config(c.chunk);
  _tile_loadconfig(&config);
  // The next panel's codes are prefetched a share per row block, so that
  // decoding it does not wait for memory (the codes are read once per call
  // and do not stay in cache between calls).
  const int64_t blocks = paddedRows / kTileRows;
  const int64_t share = (l.panelBytes() + blocks - 1) / blocks;
  for (int64_t p = pFirst; p < pEnd; ++p) {
    decodePanel(l, t.codes + p * l.panelBytes(), c.stride, bDecoded);
    const char *next =
        reinterpret_cast<const char *>(t.codes + (p + 1) * l.panelBytes());
    for (int64_t r0 = 0, i = 0; r0 < paddedRows; r0 += kTileRows, ++i) {
      if (p + 1 < pEnd)
        for (int64_t at = i * share;
             at < std::min((i + 1) * share, l.panelBytes()); at += 64)
          _mm_prefetch(next + at, _MM_HINT_T1);
      if (t.aZero != 0)
        block<true>(c, r0, p, bDecoded);
      else
        block<false>(c, r0, p, bDecoded);
    }
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
  const int64_t panelBytes = l.groups * stride * 16;
  if (int64_t(bBuf.size()) < panelBytes + 64)
    bBuf.resize(panelBytes + 64);
  auto align = [](auto *p) {
    return reinterpret_cast<decltype(p)>((reinterpret_cast<uintptr_t>(p) + 63) &
                                         ~uintptr_t(63));
  };
  int8_t *a = align(aBuf.data());
  // No row terms: they are for unsigned codes, and decodePanel makes
  // signed ones.
  grouped::packAAvx512(t, paddedRows, stride, a, lda, /*rowTerms=*/nullptr);
  const Ctx c = {&t, a, lda, stride, chunk, rows};
  run(c, t.n0 / kPanel, (t.n1 + kPanel - 1) / kPanel, align(bBuf.data()),
      paddedRows);
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
