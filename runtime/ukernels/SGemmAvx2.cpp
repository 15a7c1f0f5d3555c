//===- SGemmAvx2.cpp - f32 GEMM microkernel, AVX2 + FMA -------------------===//
//
// sgemmAvx512's design with ymm and its 16 registers: a register tile is R
// rows x H 16-column half panels, 2 ymm accumulators per row and half: 6 rows
// x 1 half (12 accumulators, 2 B vectors and a broadcast: 15 registers) for
// the bulk, fewer rows with more halves for a small M (1 row x 4 halves for
// decode). Per k: 2 ymm loads of B per half (one 64-byte line) and one A
// value per row broadcast (vbroadcastss), B prefetched ahead.
//
// Cache blocking as sgemmAvx512's: half panels in groups of kNcHalves, K in
// near-equal blocks of at most kKc with the partial sums carried in `out`
// (each element stays one chain of fmas in increasing k, so the result is
// bit-identical to sgemmScalar's); a single row tile runs its K in one block.
// Ragged N: full halves are computed from the zero-padded weights (a half
// wholly at or past n1 is skipped), only columns < n1 loaded and stored.
//
// The ISA is given per function (target attribute, no -m flags), and every
// such function is internal.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/SGemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#define QUANTC_TARGET_AVX2 __attribute__((target("avx2,fma")))

namespace quantc::ukernels {

namespace {

constexpr int64_t kHalf = kSPanel / 2; // columns per half panel
constexpr int kMaxRows = 6;
constexpr int kMaxHalves = 4;
// K block (floats).
constexpr int64_t kKc = 256;
// Half panels per group.
constexpr int64_t kNcHalves = 16;
// How far ahead of its loads each half's B stream is prefetched (floats):
// 16 k steps (2 KiB). On Zen 3 (one thread, fastest of six interleaved
// runs) 128x4096x4096 took 64.4 ms with 4 steps ahead and 57.8 with 16;
// 128x768x3072 8.5 and 7.9 ms; 32 steps ahead was no better.
constexpr int64_t kPrefetch = 512;

/// What one call's blocks share; plain data so that it crosses from the
/// unattributed driver into the AVX2 functions.
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

/// Rows [m, m + R) x halves [q0, q0 + H) over k in [k0, k1): starts from
/// `fill` or from out (accumulate, or a K block after the first), ends
/// storing to out.
template <int R, int H>
QUANTC_TARGET_AVX2 void block(const Ctx &c, int64_t m, int64_t q0, int64_t k0,
                              int64_t k1) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i mask[H][2];
  const float *b[H];
#pragma unroll
  for (int j = 0; j < H; ++j) {
    const int64_t q = q0 + j;
    b[j] = c.w + (q / 2) * c.panelFloats + (q % 2) * kHalf + k0 * kSPanel;
    const int64_t cols = c.n1 - q * kHalf;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t left = cols - 8 * h;
      mask[j][h] =
          _mm256_cmpgt_epi32(_mm256_set1_epi32(int32_t(left >= 8   ? 8
                                                       : left <= 0 ? 0
                                                                   : left)),
                             lane);
    }
  }

  __m256 acc[R][H][2];
  float *out = c.out + m * c.ldc + q0 * kHalf;
  if (c.accumulate || k0 > 0) {
#pragma unroll
    for (int i = 0; i < R; ++i)
#pragma unroll
      for (int j = 0; j < H; ++j)
#pragma unroll
        for (int h = 0; h < 2; ++h)
          acc[i][j][h] = _mm256_maskload_ps(out + i * c.ldc + j * kHalf + 8 * h,
                                            mask[j][h]);
  } else {
    const __m256 fill = _mm256_set1_ps(c.fill);
#pragma unroll
    for (int i = 0; i < R; ++i)
#pragma unroll
      for (int j = 0; j < H; ++j)
#pragma unroll
        for (int h = 0; h < 2; ++h)
          acc[i][j][h] = fill;
  }

  const float *a = c.a + m * c.lda + k0;
  const int64_t lda = c.lda;
  for (int64_t k = 0; k < k1 - k0; ++k) {
    const int64_t off = k * kSPanel;
    __m256 bv[H][2];
#pragma unroll
    for (int j = 0; j < H; ++j) {
      _mm_prefetch((const char *)(b[j] + off + kPrefetch), _MM_HINT_T0);
      bv[j][0] = _mm256_loadu_ps(b[j] + off);
      bv[j][1] = _mm256_loadu_ps(b[j] + off + 8);
    }
#pragma unroll
    for (int i = 0; i < R; ++i) {
      const __m256 av = _mm256_broadcast_ss(a + i * lda + k);
#pragma unroll
      for (int j = 0; j < H; ++j)
#pragma unroll
        for (int h = 0; h < 2; ++h)
          acc[i][j][h] = _mm256_fmadd_ps(av, bv[j][h], acc[i][j][h]);
    }
  }

#pragma unroll
  for (int i = 0; i < R; ++i)
#pragma unroll
    for (int j = 0; j < H; ++j)
#pragma unroll
      for (int h = 0; h < 2; ++h)
        _mm256_maskstore_ps(out + i * c.ldc + j * kHalf + 8 * h, mask[j][h],
                            acc[i][j][h]);
}

using BlockFn = void (*)(const Ctx &, int64_t, int64_t, int64_t, int64_t);

/// Halves per tile for a tile of `rows` rows: at most 12 accumulators, and
/// at least 8 for any row count.
constexpr int halvesFor(int rows) {
  return rows == 1 ? 4 : rows == 2 ? 3 : rows == 3 ? 2 : 1;
}

template <int R>
constexpr BlockFn blockFor(int halves) {
  return halves == 1   ? block<R, 1>
         : halves == 2 ? block<R, 2>
         : halves == 3 ? block<R, 3>
                       : block<R, 4>;
}

// kBlocks[R - 1][H - 1]; only H <= halvesFor(R) is used.
static_assert(kMaxRows == 6 && kMaxHalves == 4, "update the table");
#define QUANTC_ROW(R)                                                          \
  {blockFor<R>(1), blockFor<R>(2 < halvesFor(R) ? 2 : halvesFor(R)),           \
   blockFor<R>(3 < halvesFor(R) ? 3 : halvesFor(R)),                           \
   blockFor<R>(halvesFor(R))}
const BlockFn kBlocks[kMaxRows][kMaxHalves] = {
    QUANTC_ROW(1), QUANTC_ROW(2), QUANTC_ROW(3),
    QUANTC_ROW(4), QUANTC_ROW(5), QUANTC_ROW(6),
};
#undef QUANTC_ROW

} // namespace

void sgemmAvx2(const SGemmTile &t) {
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
  const int64_t qFirst = t.n0 / kHalf;
  const int64_t qEnd = (t.n1 + kHalf - 1) / kHalf;

  // Near-equal row tiles, the first `extra` one row taller.
  const int64_t tiles = (rows + kMaxRows - 1) / kMaxRows;
  const int64_t base = rows / tiles, extra = rows % tiles;
  // Near-equal K blocks (one without B reuse).
  const int64_t kBlocksN = tiles == 1 ? 1 : (t.k + kKc - 1) / kKc;
  const int64_t kc =
      (t.k + (kBlocksN > 1 ? kBlocksN : 1) - 1) / (kBlocksN > 1 ? kBlocksN : 1);

  for (int64_t g0 = qFirst; g0 < qEnd; g0 += kNcHalves) {
    const int64_t g1 = qEnd - g0 < kNcHalves ? qEnd : g0 + kNcHalves;
    for (int64_t k0 = 0, k1;; k0 = k1) {
      k1 = t.k - k0 < kc ? t.k : k0 + kc;
      int64_t m = t.m0;
      for (int64_t i = 0; i < tiles; ++i) {
        const int r = int(base + (i < extra ? 1 : 0));
        const int hMax = halvesFor(r);
        for (int64_t q = g0; q < g1; q += hMax) {
          const int nh = int(g1 - q < hMax ? g1 - q : hMax);
          kBlocks[r - 1][nh - 1](c, m, q, k0, k1);
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
