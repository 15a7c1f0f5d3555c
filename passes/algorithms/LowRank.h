//===- LowRank.h - low-rank compensation of a quantized weight --*- C++ -*-===//
//
// LoRC (ZeroQuant-V2; ../shared/ALGORITHMS.md, "LoRC"): the error
// E = W - What that rounding W[K][N] leaves (RTN or GPTQ) is approximated by
// a rank-r product A[K][r] * B[r][N], taken from the truncated SVD
// E ~ U_r S_r V_r^T, and stored as 8-bit integers next to the quantized
// weight: Y = X * What + (X * A) * B. Data-free: it needs only W and What.
// Plain C++ (Eigen inside, not in this header), so gtest checks it directly.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_LOWRANK_H
#define QUANTC_PASSES_ALGORITHMS_LOWRANK_H

#include "passes/algorithms/UniformQuant.h"

#include <cstdint>
#include <vector>

namespace quantc::algorithms {

/// A rank-r correction A[K][r] * B[r][N], row-major floats.
struct LowRankFactors {
  int64_t rows = 0, rank = 0, cols = 0; // K, r, N
  std::vector<float> a, b;              // K * r, r * N
};

/// The best rank-`rank` approximation (in the Frobenius norm, by
/// Eckart-Young) of the residual E = W - What, What = q.dequantized, as
/// A = U_r S_r^(1/2) and B = S_r^(1/2) V_r^T: the square root of each
/// singular value goes to both factors, so that column i of A and row i of
/// B both have norm sqrt(s_i) and quantize equally well.
///
/// - W is q.rows x q.cols, row-major, and finite (asserted).
/// - `rank` (>= 0) is clamped to min(K, N). Rank 0 gives empty factors.
/// - A singular value of exactly 0 (a zero residual gives only those)
///   gives a zero column of A and a zero row of B.
/// - The SVD runs in double. Each pair (u_i, v_i) is defined up to a common
///   sign; it is fixed so that the entry of u_i of largest magnitude (the
///   first such) is positive, which makes the factors reproducible.
/// - Cost: a full thin SVD of the K x N residual, O(K N min(K, N)).
LowRankFactors lowRankResidual(const float *weights, const QuantizedWeights &q,
                               int64_t rank);

/// The factors as 8-bit symmetric integers with one scale per column
/// (quantizeRTN per channel): A's scales are per rank index, B's per output
/// column. An all-zero column gets scale 1 and codes 0. With rank 0 both
/// hold no codes, and B still holds its N (unit) scales.
struct QuantizedLowRank {
  QuantizedWeights a, b; // [K][r] and [r][N], 8 bits, per channel
};
QuantizedLowRank quantizeLowRank(const LowRankFactors &f);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_LOWRANK_H
