//===- QGemmAvx512Vnni.cpp - int8 GEMM microkernel, AVX-512 VNNI ----------===//
//
// vpdpbusd multiplies unsigned by signed bytes, so each call first copies its
// A rows as u8 = a + 128 into a per-thread buffer (zero padded to a multiple
// of 4 in K) and folds the +128 into the column-sum correction:
//   sum (a + 128) w - (aZero + 128) colSum = sum a w - aZero colSum
// exactly, in wrapping int32 arithmetic.
//
// A register tile is kRows rows x kPanels 16-column panels (24 zmm
// accumulators): per 4 k, one dword of A broadcast per row and one 64-byte
// load of B per panel, B prefetched a few iterations ahead (it streams from
// L2: a panel group of 4096 K is 256 KiB). A K beyond kKc is split into
// blocks, partial sums between blocks going to a per-thread int32 buffer.
//
// The ISA is given per function (target attribute, no -m flags), and every
// such function is internal, so nothing compiled for AVX-512 can be picked by
// the linker for code that runs on a lesser CPU.
//
//===----------------------------------------------------------------------===//

#include "runtime/ukernels/QGemm.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <vector>

#define QUANTC_TARGET_VNNI                                                     \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace quantc::ukernels {

namespace {

constexpr int kRows = 6;
constexpr int kPanels = 4;
// K block, a multiple of 4. Measured on Sapphire Rapids (128 x 4096 x 4096):
// blocks of 128-512 were slower than streaming B from L2 with a software
// prefetch, so only a K beyond this is split.
constexpr int64_t kKc = 4096;
// How far ahead of its loads each panel's B stream is prefetched (bytes).
constexpr int64_t kPrefetch = 512;

/// What one call's blocks share; plain data so that it crosses from the
/// unattributed driver into the AVX-512 functions.
struct Ctx {
  const uint8_t *a; // packed A: row r (= m - m0) at a + r * lda
  int64_t lda;
  const int8_t *w;
  int64_t panelBytes; // Kp * 16
  const int32_t *colSums;
  const float *colScales;
  const float *rowScales;
  int64_t rowScaleStride;
  int32_t corr; // aZero + 128
  float *out;
  int64_t ldc;
  int64_t m0, n1;
  int64_t pFirst;   // the call's first panel
  int32_t *partial; // [rows][panels * 16] between K blocks
  int64_t ldp;
};

/// Rows [r0, r0 + R) x panels [p0, p0 + P) over k in [k0, k1): starts from
/// zero or the partial sums, ends storing partial sums or the outputs.
template <int R, int P>
QUANTC_TARGET_VNNI void block(const Ctx &c, int64_t r0, int64_t p0, int64_t k0,
                              int64_t k1, bool first, bool last) {
  __m512i acc[R][P];
  // Null when K fits one block.
  int32_t *partial = first && last
                         ? nullptr
                         : c.partial + r0 * c.ldp + (p0 - c.pFirst) * kPanel;
  // Starting from zeros read from memory rather than set keeps the zeroing
  // from becoming a memset of acc, which would keep acc out of registers.
  alignas(64) static const int32_t kZeros[kPanel] = {};
  const int32_t *init = first ? kZeros : partial;
  const int64_t initRow = first ? 0 : c.ldp, initPanel = first ? 0 : kPanel;
#pragma unroll
  for (int i = 0; i < R; ++i)
#pragma unroll
    for (int j = 0; j < P; ++j)
      acc[i][j] = _mm512_loadu_si512(init + i * initRow + j * initPanel);

  const uint8_t *a = c.a + r0 * c.lda + k0;
  const int8_t *b = c.w + p0 * c.panelBytes + k0 * kPanel;
  for (int64_t k = k0; k < k1; k += 4) {
    __m512i bv[P];
#pragma unroll
    for (int j = 0; j < P; ++j) {
      _mm_prefetch((const char *)(b + j * c.panelBytes + kPrefetch),
                   _MM_HINT_T0);
      bv[j] = _mm512_loadu_si512(b + j * c.panelBytes);
    }
#pragma unroll
    for (int i = 0; i < R; ++i) {
      const __m512i av = _mm512_broadcastd_epi32(_mm_loadu_si32(a + i * c.lda));
#pragma unroll
      for (int j = 0; j < P; ++j)
        acc[i][j] = _mm512_dpbusd_epi32(acc[i][j], av, bv[j]);
    }
    a += 4;
    b += 4 * kPanel;
  }

  if (!last) {
#pragma unroll
    for (int i = 0; i < R; ++i)
#pragma unroll
      for (int j = 0; j < P; ++j)
        _mm512_storeu_si512(partial + i * c.ldp + j * kPanel, acc[i][j]);
    return;
  }
  const __m512i corr = _mm512_set1_epi32(c.corr);
#pragma unroll
  for (int i = 0; i < R; ++i) {
    const int64_t m = c.m0 + r0 + i;
    const __m512 rowScale = _mm512_set1_ps(c.rowScales[m * c.rowScaleStride]);
    float *out = c.out + m * c.ldc;
#pragma unroll
    for (int j = 0; j < P; ++j) {
      const int64_t n = (p0 + j) * kPanel;
      const int64_t cols = c.n1 - n;
      const __mmask16 mask =
          cols >= kPanel ? __mmask16(0xffff) : __mmask16((1u << cols) - 1);
      const __m512 p =
          _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, c.colScales + n), rowScale);
      const __m512i colSums = _mm512_maskz_loadu_epi32(mask, c.colSums + n);
      const __m512i v =
          _mm512_sub_epi32(acc[i][j], _mm512_mullo_epi32(corr, colSums));
      _mm512_mask_storeu_ps(out + n, mask,
                            _mm512_mul_ps(_mm512_cvtepi32_ps(v), p));
    }
  }
}

using BlockFn = void (*)(const Ctx &, int64_t, int64_t, int64_t, int64_t, bool,
                         bool);

template <int R>
constexpr BlockFn blockFor(int panels) {
  return panels == 1   ? block<R, 1>
         : panels == 2 ? block<R, 2>
         : panels == 3 ? block<R, 3>
                       : block<R, 4>;
}

static_assert(kRows == 6 && kPanels == 4, "update the table");
const BlockFn kBlocks[kRows][kPanels] = {
    {blockFor<1>(1), blockFor<1>(2), blockFor<1>(3), blockFor<1>(4)},
    {blockFor<2>(1), blockFor<2>(2), blockFor<2>(3), blockFor<2>(4)},
    {blockFor<3>(1), blockFor<3>(2), blockFor<3>(3), blockFor<3>(4)},
    {blockFor<4>(1), blockFor<4>(2), blockFor<4>(3), blockFor<4>(4)},
    {blockFor<5>(1), blockFor<5>(2), blockFor<5>(3), blockFor<5>(4)},
    {blockFor<6>(1), blockFor<6>(2), blockFor<6>(3), blockFor<6>(4)},
};

/// Copies rows x k codes to dst (row stride ldd) as u8 = a + 128, zero
/// padded to a multiple of 4; reads exactly the rows' k codes.
QUANTC_TARGET_VNNI void packA(const int8_t *src, int64_t lds, int64_t rows,
                              int64_t k, uint8_t *dst, int64_t ldd) {
  const __m512i bias = _mm512_set1_epi8(char(0x80));
  const int64_t k4 = roundUp(k, 4);
  for (int64_t r = 0; r < rows; ++r, src += lds, dst += ldd) {
    for (int64_t i = 0; i < k4; i += 64) {
      const int64_t left = k - i;
      const __mmask64 valid = left >= 64  ? ~__mmask64(0)
                              : left <= 0 ? __mmask64(0)
                                          : (__mmask64(1) << left) - 1;
      const int64_t out = k4 - i;
      const __mmask64 written =
          out >= 64 ? ~__mmask64(0) : (__mmask64(1) << out) - 1;
      // Masked-off bytes read as zero, and 0 ^ 0x80 must stay 0.
      const __m512i v = _mm512_maskz_loadu_epi8(valid, src + i);
      _mm512_mask_storeu_epi8(
          dst + i, written,
          _mm512_maskz_mov_epi8(valid, _mm512_xor_si512(v, bias)));
    }
  }
}

template <typename T>
T *alignUp(T *p) {
  return reinterpret_cast<T *>((reinterpret_cast<uintptr_t>(p) + 63) &
                               ~uintptr_t(63));
}

} // namespace

void qgemmAvx512Vnni(const QGemmTile &t) {
  const int64_t rows = t.m1 - t.m0;
  if (rows <= 0 || t.n1 <= t.n0)
    return;
  const int64_t k4 = roundUp(t.k, 4);
  // The row stride avoids a multiple of 4 KiB, whose rows would all map to
  // the same L1 sets.
  const int64_t lda = roundUp(k4, 64) + 64;

  thread_local std::vector<uint8_t> aBuf;
  thread_local std::vector<int32_t> partialBuf;
  // 64 bytes of slack to align the rows to cache lines.
  if (int64_t(aBuf.size()) < rows * lda + 64)
    aBuf.resize(rows * lda + 64);
  uint8_t *a = alignUp(aBuf.data());
  packA(t.a + t.m0 * t.lda, t.lda, rows, t.k, a, lda);

  const int64_t pFirst = t.n0 / kPanel;
  const int64_t pEnd = (t.n1 + kPanel - 1) / kPanel;
  const int64_t ldp = (pEnd - pFirst) * kPanel;
  if (k4 > kKc && int64_t(partialBuf.size()) < rows * ldp)
    partialBuf.resize(rows * ldp);

  const Ctx c = {a,
                 lda,
                 t.w,
                 roundUp(t.k, kKBlock) * kPanel,
                 t.colSums,
                 t.colScales,
                 t.rowScales,
                 t.rowScaleStride,
                 int32_t(uint32_t(t.aZero) + 128u),
                 t.out,
                 t.ldc,
                 t.m0,
                 t.n1,
                 pFirst,
                 partialBuf.data(),
                 ldp};
  for (int64_t p0 = pFirst; p0 < pEnd; p0 += kPanels) {
    const int64_t panels = pEnd - p0 < kPanels ? pEnd - p0 : kPanels;
    for (int64_t k0 = 0; k0 < k4; k0 += kKc) {
      const int64_t k1 = k4 - k0 < kKc ? k4 : k0 + kKc;
      for (int64_t r0 = 0; r0 < rows; r0 += kRows) {
        const int64_t r = rows - r0 < kRows ? rows - r0 : kRows;
        kBlocks[r - 1][panels - 1](c, r0, p0, k0, k1, k0 == 0, k1 == k4);
      }
    }
  }
}

} // namespace quantc::ukernels

#endif // defined(__x86_64__)
