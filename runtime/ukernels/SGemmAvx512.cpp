//===- SGemmAvx512.cpp - f32 GEMM microkernel, AVX-512F -------------------===//
//
// A register tile is R rows x P 32-column panels, 2 zmm accumulators per row
// and panel: up to 14 rows x 1 panel (28 accumulators) for the bulk, fewer rows
// with more panels for a small M (1 row x 4 panels for decode), so that every
// tile has at least 8 independent FMA chains. Per k: 2 zmm loads of B per
// panel (a panel row is 32 contiguous floats) and one A value per row
// broadcast from memory (folded into vfmadd231ps), B prefetched ahead.
//
// Cache blocking, per call: the panels go in groups of kNcPanels (a group's
// K block, kNcPanels x Kc x 128 bytes, stays in L2 while every row tile
// reuses it) and K in blocks of at most kKc (one row tile's A block, 14 x Kc
// floats, stays in L1 while it sweeps the group's panels). While a block
// runs, the next block's B is prefetched into L2 (one line per k step of
// each kernel call), so that its first row tile does not wait on L3. Between K
// blocks the partial sums go through `out`: each output element is still one
// chain of fmas in increasing k, stored and reloaded exactly, so the result is
// bit-identical to sgemmScalar's. A call with a single row tile has no reuse
// of B to win and runs its whole K in one block.
//
// Ragged N: the last panel's columns >= N are zero in the packed weights, so
// full panels are computed and only columns < n1 are loaded and stored
// (masked). Ragged M: the rows are split into near-equal tiles of at most
// kMaxRows. A is read only in [m0, m1) x [0, K), B only inside the packed
// weights (prefetches may point past them; they cannot fault).
//
// The ISA is given per function (target attribute, no -m flags), and every
// such function is internal, so nothing compiled for AVX-512 can be picked by
// the linker for code that runs on a lesser CPU.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/SGemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#define QUANTC_TARGET_AVX512 __attribute__((target("avx512f")))

namespace quantc::ukernels {

namespace {

// Measured on Sapphire Rapids (M = 128, K = 4096, N = 4096, one thread): 12
// and 14 rows within noise, 14 slightly ahead; K blocks of 128-1024 and
// groups of 4-16 panels within a few percent of these.
constexpr int kMaxRows = 14;
constexpr int kMaxPanels = 4;
// K block (floats).
constexpr int64_t kKc = 256;
// Panels per group.
constexpr int64_t kNcPanels = 8;
// How far ahead of its loads each panel's B stream is prefetched (floats).
constexpr int64_t kPrefetch = 128;

/// What one call's blocks share; plain data so that it crosses from the
/// unattributed driver into the AVX-512 functions.
struct Ctx {
  const float *a;
  int64_t lda;
  const float *w;
  int64_t panelFloats; // K * 32
  float *out;
  int64_t ldc;
  int64_t n1;
  float fill;
  bool accumulate;
};

/// Rows [m, m + R) x panels [p0, p0 + P) over k in [k0, k1): starts from
/// `fill` or from out (accumulate, or a K block after the first), ends
/// storing to out.
template <int R, int P>
QUANTC_TARGET_AVX512 void block(const Ctx &c, int64_t m, int64_t p0, int64_t k0,
                                int64_t k1, const char *pf, int64_t pfLines) {
  __mmask16 mask[P][2];
#pragma unroll
  for (int j = 0; j < P; ++j) {
    const int64_t cols = c.n1 - (p0 + j) * kSPanel;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t left = cols - 16 * h;
      mask[j][h] = left >= 16  ? __mmask16(0xffff)
                   : left <= 0 ? __mmask16(0)
                               : __mmask16((1u << left) - 1);
    }
  }

  __m512 acc[R][P][2];
  float *out = c.out + m * c.ldc + p0 * kSPanel;
  if (c.accumulate || k0 > 0) {
#pragma unroll
    for (int i = 0; i < R; ++i)
#pragma unroll
      for (int j = 0; j < P; ++j)
#pragma unroll
        for (int h = 0; h < 2; ++h)
          acc[i][j][h] = _mm512_maskz_loadu_ps(
              mask[j][h], out + i * c.ldc + j * kSPanel + 16 * h);
  } else {
    const __m512 fill = _mm512_set1_ps(c.fill);
#pragma unroll
    for (int i = 0; i < R; ++i)
#pragma unroll
      for (int j = 0; j < P; ++j)
#pragma unroll
        for (int h = 0; h < 2; ++h)
          acc[i][j][h] = fill;
  }

  const float *a = c.a + m * c.lda + k0;
  const float *b = c.w + p0 * c.panelFloats + k0 * kSPanel;
  const int64_t lda = c.lda, ps = c.panelFloats;
  for (int64_t k = k0; k < k1; ++k) {
    if (k - k0 < pfLines)
      _mm_prefetch(pf + (k - k0) * 64, _MM_HINT_T1);
    __m512 bv[P][2];
#pragma unroll
    for (int j = 0; j < P; ++j) {
      _mm_prefetch((const char *)(b + j * ps + kPrefetch), _MM_HINT_T0);
      _mm_prefetch((const char *)(b + j * ps + kPrefetch + 16), _MM_HINT_T0);
      bv[j][0] = _mm512_loadu_ps(b + j * ps);
      bv[j][1] = _mm512_loadu_ps(b + j * ps + 16);
    }
#pragma unroll
    for (int i = 0; i < R; ++i) {
      const __m512 av = _mm512_set1_ps(a[i * lda]);
#pragma unroll
      for (int j = 0; j < P; ++j)
#pragma unroll
        for (int h = 0; h < 2; ++h)
          acc[i][j][h] = _mm512_fmadd_ps(av, bv[j][h], acc[i][j][h]);
    }
    a += 1;
    b += kSPanel;
  }

#pragma unroll
  for (int i = 0; i < R; ++i)
#pragma unroll
    for (int j = 0; j < P; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h)
        _mm512_mask_storeu_ps(out + i * c.ldc + j * kSPanel + 16 * h,
                              mask[j][h], acc[i][j][h]);
}

using BlockFn = void (*)(const Ctx &, int64_t, int64_t, int64_t, int64_t,
                         const char *, int64_t);

/// Panels per tile for a tile of `rows` rows: at most 28 accumulators, and
/// at least 8 for any row count.
constexpr int panelsFor(int rows) {
  return rows <= 3 ? 4 : rows == 4 ? 3 : rows <= 6 ? 2 : 1;
}

template <int R>
constexpr BlockFn blockFor(int panels) {
  return panels == 1   ? block<R, 1>
         : panels == 2 ? block<R, 2>
         : panels == 3 ? block<R, 3>
                       : block<R, 4>;
}

// kBlocks[R - 1][P - 1]; only P <= panelsFor(R) is used.
static_assert(kMaxRows <= 14 && kMaxPanels == 4, "update the table");
#define QUANTC_ROW(R)                                                          \
  {blockFor<R>(1), blockFor<R>(2 < panelsFor(R) ? 2 : panelsFor(R)),           \
   blockFor<R>(3 < panelsFor(R) ? 3 : panelsFor(R)),                           \
   blockFor<R>(panelsFor(R))}
const BlockFn kBlocks[14][kMaxPanels] = {
    QUANTC_ROW(1),  QUANTC_ROW(2),  QUANTC_ROW(3),  QUANTC_ROW(4),
    QUANTC_ROW(5),  QUANTC_ROW(6),  QUANTC_ROW(7),  QUANTC_ROW(8),
    QUANTC_ROW(9),  QUANTC_ROW(10), QUANTC_ROW(11), QUANTC_ROW(12),
    QUANTC_ROW(13), QUANTC_ROW(14),
};
#undef QUANTC_ROW

} // namespace

void sgemmAvx512(const SGemmTile &t) {
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  if (t.k == 0) { // the base values alone; w may be null
    if (!t.accumulate)
      for (int64_t m = t.m0; m < t.m1; ++m)
        for (int64_t n = t.n0; n < t.n1; ++n)
          t.out[m * t.ldc + n] = t.fill;
    return;
  }
  const Ctx c = {t.a,   t.lda, t.w,    t.k * kSPanel, t.out,
                 t.ldc, t.n1,  t.fill, t.accumulate};
  const int64_t pFirst = t.n0 / kSPanel;
  const int64_t pEnd = (t.n1 + kSPanel - 1) / kSPanel;

  // Near-equal row tiles: rows = tiles * base + extra, the first `extra`
  // tiles one row taller.
  const int64_t tiles = (rows + kMaxRows - 1) / kMaxRows;
  const int64_t base = rows / tiles, extra = rows % tiles;
  // Near-equal K blocks (one when there is no B reuse to keep in cache).
  const int64_t kBlocksN = tiles == 1 ? 1 : (t.k + kKc - 1) / kKc;
  const int64_t kcN = kBlocksN > 1 ? kBlocksN : 1;
  const int64_t kc = (t.k + kcN - 1) / kcN;

  // The blocks in order: (group, K block). While one block runs, the next
  // one's B (each of its panels' K slice, contiguous) is prefetched to L2,
  // one line per k step of every kernel call, so that the next block's first
  // row tile does not wait on L3.
  struct Cursor {
    int64_t g0, g1, k0, k1; // the next block
    int64_t p, line;        // next line to prefetch: panel p, line `line`
  };
  auto nextBlock = [&](int64_t g0, int64_t k0, int64_t k1, Cursor &cur) {
    int64_t ng0 = g0, nk0 = k1;
    if (k1 >= t.k) {
      ng0 = g0 + kNcPanels;
      nk0 = 0;
    }
    cur.g0 = ng0;
    cur.g1 = pEnd - ng0 < kNcPanels ? pEnd : ng0 + kNcPanels;
    cur.k0 = nk0;
    cur.k1 = t.k - nk0 < kc ? t.k : nk0 + kc;
    cur.p = ng0;
    cur.line = 0;
    (void)k0;
  };
  for (int64_t g0 = pFirst; g0 < pEnd; g0 += kNcPanels) {
    const int64_t g1 = pEnd - g0 < kNcPanels ? pEnd : g0 + kNcPanels;
    for (int64_t k0 = 0, k1;; k0 = k1) {
      k1 = t.k - k0 < kc ? t.k : k0 + kc;
      Cursor cur;
      nextBlock(g0, k0, k1, cur);
      const int64_t sliceLines = (cur.k1 - cur.k0) * kSPanel * 4 / 64;
      int64_t m = t.m0;
      for (int64_t i = 0; i < tiles; ++i) {
        const int r = int(base + (i < extra ? 1 : 0));
        const int pMax = panelsFor(r);
        for (int64_t p = g0; p < g1; p += pMax) {
          const int np = int(g1 - p < pMax ? g1 - p : pMax);
          const char *pf = nullptr;
          int64_t pfLines = 0;
          if (tiles > 1 && cur.p < cur.g1) {
            pf = reinterpret_cast<const char *>(t.w + cur.p * c.panelFloats +
                                                cur.k0 * kSPanel) +
                 cur.line * 64;
            pfLines = sliceLines - cur.line < k1 - k0 ? sliceLines - cur.line
                                                      : k1 - k0;
            cur.line += pfLines;
            if (cur.line >= sliceLines) {
              ++cur.p;
              cur.line = 0;
            }
          }
          kBlocks[r - 1][np - 1](c, m, p, k0, k1, pf, pfLines);
        }
        m += r;
      }
      if (k1 >= t.k)
        break;
    }
  }
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
