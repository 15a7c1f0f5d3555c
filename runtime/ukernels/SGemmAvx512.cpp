//===- SGemmAvx512.cpp - f32 GEMM microkernel, AVX-512F -------------------===//
//
// A register tile is R rows x P 32-column panels, 2 zmm accumulators per row
// and panel: up to 14 rows x 1 panel (28 accumulators) for the bulk, fewer rows
// with more panels for a small M (1 row x 4 panels for decode), so that every
// tile has at least 8 independent FMA chains. Per k: 2 zmm loads of B per
// panel (a panel row is 32 contiguous floats) and one A value per row
// broadcast from memory, B prefetched ahead. The k loop runs two steps per
// iteration, in runs over which the L2 prefetch streams below advance by a
// plain pointer bump (one line each per two steps), so that it issues little
// beyond the FMAs and their loads: at 14 x 1 the loop used to be bound by
// the ~6 uops/cycle front end, not the two FMA ports.
//
// Cache blocking, per call: the panels go in groups of kNcPanels (a group's
// K block, kNcPanels x Kc x 128 bytes, stays in L2 while every row tile
// reuses it) and K in blocks of at most kKc (one row tile's A block, 14 x Kc
// floats, stays in L1 while it sweeps the group's panels). Each row tile's A
// block is first copied to a per-thread buffer with the constant row stride
// kLdp (a whole number of lines plus one): the broadcasts then address A as
// one pointer plus constant offsets, and the rows fall in different L1 sets
// whatever lda is (a multiple of 1 KiB, as K = 4096 gives, would crowd a few
// sets). While a block runs, the next block's B is prefetched
// into L2 (one line every other k step) and, while a row tile runs, the next
// row tile's A; after the call's last block the "next block" is a guess at
// the next call's (the following panels, same rows: the generated loop's
// order), so that a call's first row tile does not wait on memory either. For
// 128 x 4096 x 4096 in 64 x 256 calls B (64 MiB) streams from memory twice.
// Between K blocks the partial sums go through `out`: each output element is
// still one chain of fmas in increasing k, stored and reloaded exactly, so the
// result is bit-identical to sgemmScalar's. A call with a single row tile has
// no reuse of B to win and runs its whole K in one block, A in place.
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

#include <vector>

#define QUANTC_TARGET_AVX512 __attribute__((target("avx512f")))

namespace quantc::ukernels {

namespace {

// Measured on Sapphire Rapids (M = 128, K = 4096, N = 4096, one thread): 12
// and 14 rows within noise, 14 slightly ahead; K blocks of 128-256 and
// groups of 4-16 panels within a few percent of these (512-1024: 5-15%
// slower once B streams from memory).
constexpr int kMaxRows = 14;
constexpr int kMaxPanels = 4;
// K block (floats).
constexpr int64_t kKc = 256;
// Panels per group.
constexpr int64_t kNcPanels = 8;
// How far ahead of its loads each panel's B stream is prefetched into L1
// (floats; 16 k steps, a few % ahead of 4 with B streaming from memory).
constexpr int64_t kPrefetch = 512;
// Row stride of the copied A blocks (floats): a whole number of lines plus
// one, so that a tile's rows fall in different L1 sets.
constexpr int64_t kLdp = kKc + 16;

/// What one call's blocks share; plain data so that it crosses from the
/// unattributed driver into the AVX-512 functions.
struct Ctx {
  const float *w;
  int64_t panelFloats; // K * 32
  float *out;
  int64_t ldc;
  int64_t n1;
  float fill;
  bool accumulate;
};

/// Lines to prefetch into L2 from the kernels that carry it (one every
/// other k step): `left` lines, `rowBytes` bytes from
/// `row` then the same from `row + stride`, and so on.
struct Stream {
  uintptr_t row; // an address, not a pointer: it may lie past the weights
  int64_t col;   // bytes into the row
  int64_t rowBytes;
  int64_t stride;
  int64_t left;
};

/// One k step of the register tile: acc += A[., k] x B[k, .].
template <int R, int P>
QUANTC_TARGET_AVX512 __attribute__((always_inline)) inline void
step(__m512 (&acc)[R][P][2], const float *a, int64_t lda, const float *b,
     int64_t ps) {
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
}

/// Rows [m, m + R) x panels [p0, p0 + P) over k in [k0, k1), A's row i at
/// a + i * lda (k0 at a; lda = kLdp when Packed): starts from `fill` or from
/// out (accumulate, or a K block after the first), ends storing to out.
/// Advances the prefetch streams `s0` and `s1`, one line of each per two k
/// steps.
template <int R, int P, bool Packed>
QUANTC_TARGET_AVX512 void block(const Ctx &c, const float *a, int64_t ldaIn,
                                int64_t m, int64_t p0, int64_t k0, int64_t k1,
                                Stream &s0, Stream &s1) {
  const int64_t lda = Packed ? kLdp : ldaIn;
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

  const float *b = c.w + p0 * c.panelFloats + k0 * kSPanel;
  const int64_t ps = c.panelFloats;
  Stream t0 = s0, t1 = s1;
  // Runs of k-step pairs in which neither stream crosses a row: there each
  // prefetch is a pointer bump (an exhausted stream re-touches a line of A).
  for (int64_t pairs = (k1 - k0) / 2; pairs > 0;) {
    int64_t n = pairs;
    const char *q0 = reinterpret_cast<const char *>(a);
    const char *q1 = q0;
    int64_t i0 = 0, i1 = 0;
    if (t0.left > 0) {
      const int64_t l = (t0.rowBytes - t0.col) / 64;
      n = n < l ? n : l;
      n = n < t0.left ? n : t0.left;
      q0 = reinterpret_cast<const char *>(t0.row + t0.col);
      i0 = 64;
    }
    if (t1.left > 0) {
      const int64_t l = (t1.rowBytes - t1.col) / 64;
      n = n < l ? n : l;
      n = n < t1.left ? n : t1.left;
      q1 = reinterpret_cast<const char *>(t1.row + t1.col);
      i1 = 64;
    }
    for (int64_t j = 0; j < n; ++j) {
      _mm_prefetch(q0, _MM_HINT_T1);
      q0 += i0;
      _mm_prefetch(q1, _MM_HINT_T1);
      q1 += i1;
      step<R, P>(acc, a, lda, b, ps);
      step<R, P>(acc, a + 1, lda, b + kSPanel, ps);
      a += 2;
      b += 2 * kSPanel;
    }
    pairs -= n;
    if (i0 != 0) {
      t0.left -= n;
      t0.col += n * 64;
      if (t0.col >= t0.rowBytes) {
        t0.col = 0;
        t0.row += uintptr_t(t0.stride);
      }
    }
    if (i1 != 0) {
      t1.left -= n;
      t1.col += n * 64;
      if (t1.col >= t1.rowBytes) {
        t1.col = 0;
        t1.row += uintptr_t(t1.stride);
      }
    }
  }
  if ((k1 - k0) & 1)
    step<R, P>(acc, a, lda, b, ps);
  s0 = t0;
  s1 = t1;

#pragma unroll
  for (int i = 0; i < R; ++i)
#pragma unroll
    for (int j = 0; j < P; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h)
        _mm512_mask_storeu_ps(out + i * c.ldc + j * kSPanel + 16 * h,
                              mask[j][h], acc[i][j][h]);
}

using BlockFn = void (*)(const Ctx &, const float *, int64_t, int64_t, int64_t,
                         int64_t, int64_t, Stream &, Stream &);

/// Panels per tile for a tile of `rows` rows: at most 28 accumulators, and
/// at least 8 for any row count.
constexpr int panelsFor(int rows) {
  return rows <= 3 ? 4 : rows == 4 ? 3 : rows <= 6 ? 2 : 1;
}

template <int R, bool Packed>
constexpr BlockFn blockFor(int panels) {
  return panels == 1   ? block<R, 1, Packed>
         : panels == 2 ? block<R, 2, Packed>
         : panels == 3 ? block<R, 3, Packed>
                       : block<R, 4, Packed>;
}

// kBlocks[R - 1][P - 1]; only P <= panelsFor(R) is used.
static_assert(kMaxRows <= 14 && kMaxPanels == 4, "update the table");
#define QUANTC_ROW(R)                                                          \
  {blockFor<R, false>(1),                                                      \
   blockFor<R, false>(2 < panelsFor(R) ? 2 : panelsFor(R)),                    \
   blockFor<R, false>(3 < panelsFor(R) ? 3 : panelsFor(R)),                    \
   blockFor<R, false>(panelsFor(R))}
const BlockFn kBlocks[14][kMaxPanels] = {
    QUANTC_ROW(1),  QUANTC_ROW(2),  QUANTC_ROW(3),  QUANTC_ROW(4),
    QUANTC_ROW(5),  QUANTC_ROW(6),  QUANTC_ROW(7),  QUANTC_ROW(8),
    QUANTC_ROW(9),  QUANTC_ROW(10), QUANTC_ROW(11), QUANTC_ROW(12),
    QUANTC_ROW(13), QUANTC_ROW(14),
};
#undef QUANTC_ROW
// The multi-tile path: A copied with row stride kLdp, one panel per tile
// (more than kMaxRows rows split into near-equal tiles of at least
// (kMaxRows + 1) / 2 rows: enough independent accumulators).
static_assert(kMaxRows <= 14 && kMaxRows >= 8, "update the table");
const BlockFn kPackedBlocks[14] = {
    block<1, 1, true>,  block<2, 1, true>,  block<3, 1, true>,
    block<4, 1, true>,  block<5, 1, true>,  block<6, 1, true>,
    block<7, 1, true>,  block<8, 1, true>,  block<9, 1, true>,
    block<10, 1, true>, block<11, 1, true>, block<12, 1, true>,
    block<13, 1, true>, block<14, 1, true>,
};

/// Copies rows x k floats from src (row stride lds) to dst (row stride
/// ldd); reads exactly those floats.
QUANTC_TARGET_AVX512 void packA(const float *src, int64_t lds, int64_t rows,
                                int64_t k, float *dst, int64_t ldd) {
  for (int64_t r = 0; r < rows; ++r, src += lds, dst += ldd) {
    int64_t i = 0;
    for (; i + 16 <= k; i += 16)
      _mm512_store_ps(dst + i, _mm512_loadu_ps(src + i));
    if (i < k) {
      const __mmask16 mask = __mmask16((1u << (k - i)) - 1);
      _mm512_mask_store_ps(dst + i, mask, _mm512_maskz_loadu_ps(mask, src + i));
    }
  }
}

/// A stream over rows [m, m + rows) x k in [k0, k1) of A (whole lines).
Stream aStream(const float *a, int64_t lda, int64_t m, int64_t rows, int64_t k0,
               int64_t k1) {
  const uintptr_t first = reinterpret_cast<uintptr_t>(a + m * lda + k0);
  const uintptr_t start = first & ~uintptr_t(63);
  const int64_t rowBytes =
      int64_t((first + uintptr_t(k1 - k0) * 4 - start + 63) & ~uintptr_t(63));
  const int64_t lines = rows * (rowBytes / 64);
  return {start, 0, rowBytes, lda * int64_t(sizeof(float)), lines};
}

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
  const Ctx c = {t.w, t.k * kSPanel, t.out, t.ldc, t.n1, t.fill, t.accumulate};
  const int64_t pFirst = t.n0 / kSPanel;
  const int64_t pEnd = (t.n1 + kSPanel - 1) / kSPanel;

  // Near-equal row tiles: rows = tiles * base + extra, the first `extra`
  // tiles one row taller.
  const int64_t tiles = (rows + kMaxRows - 1) / kMaxRows;
  const int64_t base = rows / tiles, extra = rows % tiles;
  Stream none = {0, 0, 64, 0, 0};
  if (tiles == 1) { // no reuse of B: one K block, A read in place
    const int r = int(rows);
    const int pMax = panelsFor(r);
    for (int64_t p = pFirst; p < pEnd; p += pMax) {
      const int np = int(pEnd - p < pMax ? pEnd - p : pMax);
      Stream s0 = none, s1 = none;
      kBlocks[r - 1][np - 1](c, t.a + t.m0 * t.lda, t.lda, t.m0, p, 0, t.k, s0,
                             s1);
    }
    return;
  }

  // Near-equal K blocks.
  const int64_t kcN = (t.k + kKc - 1) / kKc;
  const int64_t kc = (t.k + kcN - 1) / kcN;
  // Each row tile's A block is copied to a per-thread buffer with the
  // constant row stride kLdp: the kernel's broadcasts then need no address
  // arithmetic, and the rows fall in different L1 sets whatever lda is.
  thread_local std::vector<float> aBuf;
  if (int64_t(aBuf.size()) < kMaxRows * kLdp + 16)
    aBuf.resize(kMaxRows * kLdp + 16);
  float *pa = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(aBuf.data()) + 63) & ~uintptr_t(63));
  // The blocks in order: (group, K block); in each, the row tiles in order.
  // While one block runs, the next one's B (each of its panels' K slice,
  // contiguous) is prefetched to L2 (stream s0), one line every other k
  // step: with 64 rows (5 row tiles of 8 panels) that spreads it over 80% of
  // the block, so that the next block's first row tile does not wait on
  // memory, without bursts that compete with the kernel's own loads;
  // while a row tile runs, the next row tile's A block is prefetched to L2
  // (stream s1). After the call's last block, the next block is a guess at
  // the next call's first: the following panels' first K block, same rows
  // (the generated loop's order; prefetches cannot fault).
  for (int64_t g0 = pFirst; g0 < pEnd; g0 += kNcPanels) {
    const int64_t g1 = pEnd - g0 < kNcPanels ? pEnd : g0 + kNcPanels;
    for (int64_t k0 = 0, k1;; k0 = k1) {
      k1 = t.k - k0 < kc ? t.k : k0 + kc;
      int64_t ng0 = g0, nk0 = k1;
      if (k1 >= t.k) {
        ng0 = g0 + kNcPanels;
        nk0 = 0;
      }
      const int64_t ng1 =
          ng0 < pEnd
              ? (pEnd - ng0 < kNcPanels ? pEnd : ng0 + kNcPanels)
              : ng0 + (pEnd - pFirst < kNcPanels ? pEnd - pFirst : kNcPanels);
      const int64_t nk1 = t.k - nk0 < kc ? t.k : nk0 + kc;
      const int64_t sliceBytes = (nk1 - nk0) * kSPanel * 4;
      Stream s0 = {reinterpret_cast<uintptr_t>(t.w) +
                       uintptr_t(ng0 * c.panelFloats + nk0 * kSPanel) * 4,
                   0, sliceBytes, c.panelFloats * 4,
                   (ng1 - ng0) * (sliceBytes / 64)};
      int64_t m = t.m0;
      for (int64_t i = 0; i < tiles; ++i) {
        const int r = int(base + (i < extra ? 1 : 0));
        packA(t.a + m * t.lda + k0, t.lda, r, k1 - k0, pa, kLdp);
        Stream s1 = i + 1 < tiles
                        ? aStream(t.a, t.lda, m + r,
                                  base + (i + 1 < extra ? 1 : 0), k0, k1)
                        : aStream(t.a, t.lda, t.m0, base + (0 < extra ? 1 : 0),
                                  nk0, nk1);
        for (int64_t p = g0; p < g1; ++p)
          kPackedBlocks[r - 1](c, pa, kLdp, m, p, k0, k1, s0, s1);
        m += r;
      }
      if (k1 >= t.k)
        break;
    }
  }
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
