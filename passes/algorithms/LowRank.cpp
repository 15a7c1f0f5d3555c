//===- LowRank.cpp - low-rank compensation of a quantized weight ----------===//
//
// One thin SVD of the residual in double (Eigen's BDCSVD, which hands small
// problems to JacobiSVD itself), truncated to the requested rank, and the
// square roots of the kept singular values split between the two factors.
//
//===----------------------------------------------------------------------===//

#include "passes/algorithms/LowRank.h"

#include <Eigen/Core>
#include <Eigen/SVD>

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace quantc::algorithms;

namespace {

// Double: the residual is a difference of nearby floats, and the singular
// values it is split into span many orders of magnitude; the factors are
// rounded to float once, at the end.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;

/// quantizeRTN's 8-bit symmetric per-channel layout for a rows x cols
/// factor. quantizeRTN needs rows > 0 (its group size is rows); a factor of
/// rank 0 gets the same layout by hand: no codes, unit scales.
QuantizedWeights quantizeFactor(const std::vector<float> &values, int64_t rows,
                                int64_t cols) {
  assert(static_cast<int64_t>(values.size()) == rows * cols &&
         "factor size does not match its shape");
  if (rows > 0 && cols > 0)
    return quantizeRTN(values.data(), rows, cols, 8, Granularity::PerChannel,
                       rows, /*symmetric=*/true);
  QuantizedWeights q;
  q.rows = rows;
  q.cols = cols;
  q.groupSize = rows;
  q.granularity = Granularity::PerChannel;
  q.params.assign(cols, QuantParams());
  return q;
}

} // namespace

LowRankFactors quantc::algorithms::lowRankResidual(const float *weights,
                                                   const QuantizedWeights &q,
                                                   int64_t rank) {
  assert(q.rows > 0 && q.cols > 0 && "an empty weight");
  assert(rank >= 0 && "a negative rank");
  const int64_t K = q.rows, N = q.cols;
  const int64_t r = std::min(rank, std::min(K, N));

  LowRankFactors f;
  f.rows = K;
  f.rank = r;
  f.cols = N;
  f.a.assign(K * r, 0.0f);
  f.b.assign(r * N, 0.0f);

  Matrix e(K, N);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n) {
      assert(std::isfinite(weights[k * N + n]) && "a weight is not finite");
      e(k, n) = double(weights[k * N + n]) - double(q.dequantized(k, n));
    }
  // Nothing to keep, or nothing to approximate: every factor is zero.
  if (r == 0 || (e.array() == 0).all())
    return f;

  Eigen::BDCSVD<Matrix> svd(e, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Matrix &u = svd.matrixU();          // K x min(K, N)
  const Matrix &v = svd.matrixV();          // N x min(K, N)
  const auto &sigma = svd.singularValues(); // decreasing, >= 0
  for (int64_t i = 0; i < r; ++i) {
    const double root = std::sqrt(sigma(i));
    if (!(root > 0))
      continue; // s_i = 0: the column and row stay zero
    // The common sign of (u_i, v_i): u_i's largest entry positive.
    Eigen::Index largest = 0;
    u.col(i).cwiseAbs().maxCoeff(&largest);
    const double scale = u(largest, i) < 0 ? -root : root;
    for (int64_t k = 0; k < K; ++k)
      f.a[k * r + i] = static_cast<float>(u(k, i) * scale);
    for (int64_t n = 0; n < N; ++n)
      f.b[i * N + n] = static_cast<float>(v(n, i) * scale);
  }
  return f;
}

QuantizedLowRank quantc::algorithms::quantizeLowRank(const LowRankFactors &f) {
  QuantizedLowRank out;
  out.a = quantizeFactor(f.a, f.rows, f.rank);
  out.b = quantizeFactor(f.b, f.rank, f.cols);
  return out;
}
