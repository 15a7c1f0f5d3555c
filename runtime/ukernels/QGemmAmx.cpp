//===- QGemmAmx.cpp - int8 GEMM microkernel, AMX-INT8 ---------------------===//
//
// tdpbssd (s8 x s8 -> s32) on 16 x 64-byte tiles. The packed weights are
// already B tiles: a K block of 64 of one panel is 16 rows of 64 bytes,
// 1024 contiguous bytes. A is copied per call into a per-thread buffer,
// rows padded to 16 and K to Kp with zeros, so ragged M and K need no
// special tile shapes: padded rows produce outputs that are not stored.
//
// C is 2 x 2 tiles (32 rows x 32 columns) held in tile registers over the
// whole K loop (1 x 2, 2 x 1, 1 x 1 for the tails), then stored to an int32
// scratch and dequantized with AVX-512 (masked stores for ragged N).
// The tile configuration is loaded at the start of every call, since the
// caller may be any thread, and released at the end.
//
// The weights stream from L3 or DRAM once per panel pair and are then reused
// from L2 by the pair's other row blocks; the hardware prefetchers do not
// follow the two panel streams far enough ahead, so each block prefetches
// its share of the next pair's weights into L2 (prefetcht1), a few lines per
// K step (+11-19% on the bench shapes, Sapphire Rapids).
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <vector>

#define QUANTC_TARGET_AMX                                                      \
  __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl")))

namespace quantc::ukernels {

namespace {

constexpr int kTileRows = 16;
constexpr int kTileBytes = 64;

struct Ctx {
  const int8_t *a; // packed A: row r (= m - m0) at a + r * lda
  int64_t lda;
  const int8_t *w;
  int64_t kp;
  const int32_t *colSums;
  const float *colScales;
  const float *rowScales;
  int64_t rowScaleStride;
  int32_t aZero;
  float *out;
  int64_t ldc;
  int64_t rows; // m1 - m0
  int64_t m0, n1;
};

/// Palette 1, every tile 16 rows x 64 bytes: tiles 0-3 C, 4-5 A, 6-7 B.
struct alignas(64) TileConfig {
  uint8_t palette = 1;
  uint8_t startRow = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
  TileConfig() {
    for (int i = 0; i < 8; ++i) {
      colsb[i] = kTileBytes;
      rows[i] = kTileRows;
    }
  }
};
static_assert(sizeof(TileConfig) == 64, "ldtilecfg reads 64 bytes");

/// Dequantizes scratch rows [0, R * 16) x panels [0, P) (row stride 32) to
/// rows r0 + i, panels p0 + j, skipping the padded rows and columns.
template <int R, int P>
QUANTC_TARGET_AMX void epilogue(const Ctx &c, const int32_t *scratch,
                                int64_t r0, int64_t p0) {
  const __m512i aZero = _mm512_set1_epi32(c.aZero);
  const int64_t rows =
      c.rows - r0 < R * kTileRows ? c.rows - r0 : R * kTileRows;
  for (int j = 0; j < P; ++j) {
    const int64_t n = (p0 + j) * kPanel;
    if (n >= c.n1)
      break;
    const int64_t cols = c.n1 - n;
    const __mmask16 mask =
        cols >= kPanel ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
    const __m512 colScales = _mm512_maskz_loadu_ps(mask, c.colScales + n);
    const __m512i corr = _mm512_mullo_epi32(
        aZero, _mm512_maskz_loadu_epi32(mask, c.colSums + n));
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t m = c.m0 + r0 + i;
      const __m512 p = _mm512_mul_ps(
          colScales, _mm512_set1_ps(c.rowScales[m * c.rowScaleStride]));
      const __m512i acc =
          _mm512_loadu_si512(scratch + i * 2 * kPanel + j * kPanel);
      const __m512 v = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc, corr));
      _mm512_mask_storeu_ps(c.out + m * c.ldc + n, mask, _mm512_mul_ps(v, p));
    }
  }
}

/// C tiles for rows [r0, r0 + R * 16) x panels [p0, p0 + P), R, P in {1, 2};
/// prefetches `pfLines` cache lines from `pf` into L2 on the way.
template <int R, int P>
QUANTC_TARGET_AMX void block(const Ctx &c, int64_t r0, int64_t p0,
                             const int8_t *pf, int64_t pfLines) {
  const int64_t steps = c.kp / kKBlock;
  const int64_t linesPerStep = steps ? (pfLines + steps - 1) / steps : 0;
  _tile_zero(0);
  if (P == 2)
    _tile_zero(1);
  if (R == 2)
    _tile_zero(2);
  if (R == 2 && P == 2)
    _tile_zero(3);
  const int8_t *a0 = c.a + r0 * c.lda;
  const int8_t *a1 = a0 + kTileRows * c.lda;
  const int8_t *b0 = c.w + p0 * c.kp * kPanel;
  const int8_t *b1 = b0 + c.kp * kPanel;
  for (int64_t k = 0; k < c.kp; k += kKBlock) {
    for (int64_t l = 0; l < linesPerStep && pfLines > 0; ++l, --pfLines) {
      _mm_prefetch(reinterpret_cast<const char *>(pf), _MM_HINT_T1);
      pf += 64;
    }
    _tile_loadd(6, b0 + k * kPanel, kTileBytes);
    _tile_loadd(4, a0 + k, c.lda);
    _tile_dpbssd(0, 4, 6);
    if (P == 2) {
      _tile_loadd(7, b1 + k * kPanel, kTileBytes);
      _tile_dpbssd(1, 4, 7);
    }
    if (R == 2) {
      _tile_loadd(5, a1 + k, c.lda);
      _tile_dpbssd(2, 5, 6);
      if (P == 2)
        _tile_dpbssd(3, 5, 7);
    }
  }
  alignas(64) int32_t scratch[2 * kTileRows][2 * kPanel];
  constexpr int64_t ld = 2 * kPanel * sizeof(int32_t);
  _tile_stored(0, &scratch[0][0], ld);
  if (P == 2)
    _tile_stored(1, &scratch[0][kPanel], ld);
  if (R == 2)
    _tile_stored(2, &scratch[kTileRows][0], ld);
  if (R == 2 && P == 2)
    _tile_stored(3, &scratch[kTileRows][kPanel], ld);
  epilogue<R, P>(c, &scratch[0][0], r0, p0);
}

/// Copies rows x k codes to dst (row stride ldd), zero padded to
/// paddedRows x Kp; reads exactly the rows' k codes.
QUANTC_TARGET_AMX void packA(const int8_t *src, int64_t lds, int64_t rows,
                             int64_t paddedRows, int64_t k, int8_t *dst,
                             int64_t ldd) {
  const int64_t kp = roundUp(k, kKBlock);
  for (int64_t r = 0; r < paddedRows; ++r, dst += ldd) {
    const int8_t *row = r < rows ? src + r * lds : src;
    for (int64_t i = 0; i < kp; i += kKBlock) {
      const int64_t left = r < rows ? k - i : 0;
      const __mmask64 valid = left >= 64  ? ~__mmask64(0)
                              : left <= 0 ? __mmask64(0)
                                          : (__mmask64(1) << left) - 1;
      _mm512_storeu_si512(dst + i, _mm512_maskz_loadu_epi8(valid, row + i));
    }
  }
}

QUANTC_TARGET_AMX void run(const Ctx &c, int64_t pFirst, int64_t pEnd,
                           int64_t paddedRows) {
  static const TileConfig config;
  _tile_loadconfig(&config);
  const int64_t rowBlocks = (paddedRows + 2 * kTileRows - 1) / (2 * kTileRows);
  for (int64_t p0 = pFirst; p0 < pEnd; p0 += 2) {
    const bool twoPanels = pEnd - p0 >= 2;
    // The next pair's weights, split evenly over this pair's row blocks.
    const int64_t nextPanels = std::min<int64_t>(pEnd - (p0 + 2), 2);
    const int64_t nextLines =
        nextPanels > 0 ? nextPanels * c.kp * kPanel / 64 : 0;
    // Formed only while inside the weights (the last pair has no next).
    const int8_t *next = nextLines ? c.w + (p0 + 2) * c.kp * kPanel : c.w;
    for (int64_t r0 = 0, rb = 0; r0 < paddedRows; r0 += 2 * kTileRows, ++rb) {
      const bool twoRows = paddedRows - r0 >= 2 * kTileRows;
      const int64_t l0 = nextLines * rb / rowBlocks;
      const int64_t l1 = nextLines * (rb + 1) / rowBlocks;
      const int8_t *pf = next + l0 * 64;
      if (twoRows && twoPanels)
        block<2, 2>(c, r0, p0, pf, l1 - l0);
      else if (twoRows)
        block<2, 1>(c, r0, p0, pf, l1 - l0);
      else if (twoPanels)
        block<1, 2>(c, r0, p0, pf, l1 - l0);
      else
        block<1, 1>(c, r0, p0, pf, l1 - l0);
    }
  }
  _tile_release();
}

} // namespace

void qgemmAmx(const QGemmTile &t) {
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  // An A tile is 16 rows: below 8 most of each tdpbssd multiplies padding,
  // and the AVX-512 VNNI kernel (present on every AMX CPU, see Dispatch.cpp)
  // is faster (M = 1, 4096 x 4096: 0.58 against 0.64-0.71 ms; M = 8 ties).
  if (rows < 8)
    return qgemmAvx512Vnni(t);
  const int64_t kp = roundUp(t.k, kKBlock);
  const int64_t paddedRows = roundUp(rows, kTileRows);
  // The row stride avoids a multiple of 4 KiB, whose rows would all map to
  // the same L1 sets.
  const int64_t lda = kp + 64;

  thread_local std::vector<int8_t> aBuf;
  // 64 bytes of slack to align the rows to cache lines.
  if (int64_t(aBuf.size()) < paddedRows * lda + 64)
    aBuf.resize(paddedRows * lda + 64);
  int8_t *a = reinterpret_cast<int8_t *>(
      (reinterpret_cast<uintptr_t>(aBuf.data()) + 63) & ~uintptr_t(63));
  packA(t.a + t.m0 * t.lda, t.lda, rows, paddedRows, t.k, a, lda);

  const Ctx c = {a,         lda,         t.w,         kp,
                 t.colSums, t.colScales, t.rowScales, t.rowScaleStride,
                 t.aZero,   t.out,       t.ldc,       rows,
                 t.m0,      t.n1};
  run(c, t.n0 / kPanel, (t.n1 + kPanel - 1) / kPanel, paddedRows);
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
