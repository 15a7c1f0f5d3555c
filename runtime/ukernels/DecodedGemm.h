//===- DecodedGemm.h - f32 GEMM over a weight decoded block by block -*- C++
//-*-===//
//
// What the kernels over compressed weights share (W4Gemm.h, WqGemm.h): the
// weight of an output tile is decoded K block by K block into f32 sgemm
// panels, kept in L2, and the f32 microkernel runs on each block,
// accumulating over the blocks. Decoding costs a few instructions per
// weight against the tile's rows of multiply-adds, so a prefill runs at
// the f32 kernel's speed over a fraction of its weight bytes.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_UKERNELS_DECODEDGEMM_H
#define QUANTC_RUNTIME_UKERNELS_DECODEDGEMM_H

#include "runtime/ukernels/SGemm.h"

#include <algorithm>
#include <vector>

namespace quantc::ukernels {

/// Rows decoded per block: with up to 8 panels (256 columns, the compiler's
/// tile) a block is 256 KiB of f32, which stays in L2 while the f32 kernel
/// reads it once per row block of A.
constexpr int64_t kDecodeRows = 256;
/// The same for a tile of at most kFewRows rows (decode), where the f32
/// kernel reads each decoded weight once or a few times: 32 rows of 8
/// panels are 32 KiB, read back from L1 instead of L2 (a 3-bit 4096 x 4096
/// layer at M = 1 on Zen 3: docs/cpu-backend.md).
constexpr int64_t kFewRows = 4, kFewRowsDecodeRows = 32;

/// out[m0:m1, n0:n1] = A[m0:m1, :k] x W[:k, n0:n1], where
/// `decode(p0, p1, k0, k1, dst)` writes rows [k0, k1) of W's column panels
/// [p0, p1) (kSPanel columns each, zeros past W's last column) to `dst` as
/// sgemm panels of k1 - k0 rows.
template <typename Decode>
void decodedGemm(const float *a, int64_t lda, float *out, int64_t ldc,
                 int64_t k, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                 SGemmFn sgemm, Decode decode) {
  if (m1 <= m0 || n1 <= n0)
    return;
  const int64_t p0 = n0 / kSPanel, p1 = (n1 + kSPanel - 1) / kSPanel;
  const int64_t blockRows =
      m1 - m0 <= kFewRows ? kFewRowsDecodeRows : kDecodeRows;
  thread_local std::vector<float> block;
  block.resize(size_t((p1 - p0) * blockRows * kSPanel));
  SGemmTile s;
  s.lda = lda;
  s.out = out + n0;
  s.ldc = ldc;
  s.m0 = m0;
  s.m1 = m1;
  s.n0 = 0;
  s.n1 = n1 - n0;
  for (int64_t k0 = 0; k0 < k; k0 += blockRows) {
    const int64_t k1 = std::min(k, k0 + blockRows);
    decode(p0, p1, k0, k1, block.data());
    s.a = a + k0;
    s.w = block.data();
    s.k = k1 - k0;
    s.accumulate = k0 > 0;
    s.fill = 0.0f;
    sgemm(s);
  }
}

} // namespace quantc::ukernels

#endif // QUANTC_RUNTIME_UKERNELS_DECODEDGEMM_H
