//===- Gptq.cpp - second-order weight rounding (GPTQ) ---------------------===//
//
// The lazy-batch form of the paper (Algorithm 1): with U the upper Cholesky
// factor of H^-1 (H^-1 = U^T U), rounding row i with error e_i moves the
// later rows j by -U[i][j] * e_i / U[i][i]. Inside a block of rows these
// rank-1 updates are applied at once; the rows after the block receive the
// block's errors in one matrix product at its end.
//
//===----------------------------------------------------------------------===//

#include "passes/algorithms/Gptq.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numeric>

using namespace quantc::algorithms;

namespace {

// H, its damping and U are double: float keeps only ~7 digits, and the
// small eigenvalues of an ill-conditioned H, which decide how far an error
// travels, are the first to go.
//
// W and the errors are double too. The K^2 N matrix products dominate the
// cost and run about twice as fast in float (measured with Eigen at -O3),
// but float would round the lazily summed updates differently for each
// block size, by enough to flip codes that lie near a rounding boundary. In
// double, blocked and unblocked runs give the same codes (GptqTest checks
// it), so the block size is a pure speed knob.
using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic>;
using RowMatrix =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The upper triangular U with U^T U = H^-1 and a positive diagonal, or
/// false when H is not (numerically) positive definite. With J the reversal
/// permutation and J H J = L L^T: H^-1 = (J L^-1 J)^T (J L^-1 J), and
/// J L^-1 J is upper triangular, so U = J L^-1 J by the uniqueness of the
/// Cholesky factor. One factorization and one triangular inverse (K^3 / 3
/// each), instead of factorizing H, inverting it and factorizing H^-1: a
/// third of the work, and H^-1 (as ill-conditioned as H) is never factorized.
bool upperCholeskyOfInverse(const Matrix &h, Matrix &u) {
  Eigen::LLT<Matrix> llt(h.reverse());
  if (llt.info() != Eigen::Success)
    return false;
  // L^-1 is lower triangular: its columns [j, j + b) are zero above row j,
  // and below it they solve L[j:, j:] X = I[j:, j:j+b]. Solving by panels
  // skips the zeros a solve against the whole identity would carry along.
  const Matrix &l = llt.matrixLLT(); // L in the lower triangle
  const int64_t K = h.rows(), panel = 128;
  u.setIdentity(K, K);
  for (int64_t j = 0; j < K; j += panel) {
    const int64_t m = K - j;
    l.bottomRightCorner(m, m).triangularView<Eigen::Lower>().solveInPlace(
        u.block(j, j, m, std::min(panel, m)));
  }
  u.reverseInPlace();
  return u.allFinite() && (u.diagonal().array() > 0).all();
}

} // namespace

std::optional<QuantizedWeights>
quantc::algorithms::quantizeGPTQ(const float *weights, int64_t rows,
                                 int64_t cols, const float *gram,
                                 const GptqOptions &options) {
  assert(rows > 0 && cols > 0 && "an empty weight");
  assert(options.bits >= 2 && options.bits <= 8 &&
         "weights are stored as int8");
  assert(options.blockSize > 0 && "block size must be positive");
  const int64_t K = rows, N = cols;
  for (int64_t i = 0; i < K * N; ++i)
    if (!std::isfinite(weights[i]))
      return std::nullopt;
  for (int64_t i = 0; i < K * K; ++i)
    if (!std::isfinite(gram[i]))
      return std::nullopt;

  const QuantRange range = QuantRange::signedBits(options.bits);
  const Granularity granularity = options.granularity;
  QuantizedWeights q;
  q.rows = K;
  q.cols = N;
  q.granularity = granularity;
  q.groupSize = granularity == Granularity::PerGroup ? options.groupSize : K;
  assert(q.groupSize > 0 && "group size must be positive");
  q.values.assign(K * N, 0);
  const int64_t groupSize = q.groupSize, numGroups = q.numGroups();

  // The original order first: dead inputs, then the importance of each row.
  Matrix h =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                     Eigen::RowMajor>>(gram, K, K)
          .cast<double>();
  RowMatrix w =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                     Eigen::RowMajor>>(weights, K, N)
          .cast<double>();
  for (int64_t k = 0; k < K; ++k)
    if (h(k, k) == 0) {
      // The input is always zero: the row does not matter to the output, so
      // it quantizes to an exact 0 and takes no error from other rows.
      h(k, k) = 1;
      w.row(k).setZero();
    }
  std::vector<float> importance(K);
  for (int64_t k = 0; k < K; ++k)
    importance[k] = static_cast<float>(h(k, k));

  // PerTensor: one scale from the whole W before any update, as RTN does.
  if (granularity == Granularity::PerTensor) {
    std::vector<float> all(K * N);
    Eigen::Map<
        Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(
        all.data(), K, N) = w.cast<float>();
    if (options.choice == RangeChoice::Mse) {
      std::vector<float> allImportance;
      allImportance.reserve(K * N);
      for (int64_t k = 0; k < K; ++k)
        allImportance.insert(allImportance.end(), N, importance[k]);
      q.params = {chooseMseParams(all.data(), K * N, 1, range,
                                  options.symmetric, allImportance.data())};
    } else {
      auto [lo, hi] = std::minmax_element(all.begin(), all.end());
      q.params = {chooseParams(std::min(*lo, 0.0f), std::max(*hi, 0.0f), range,
                               options.symmetric)};
    }
  } else {
    q.params.assign(numGroups * N, QuantParams());
  }

  // Processing order: position p holds original row perm[p].
  std::vector<int64_t> perm(K), position(K);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder) {
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return h(a, a) > h(b, b); });
    Matrix hp(K, K);
    RowMatrix wp(K, N);
    for (int64_t b = 0; b < K; ++b) {
      wp.row(b) = w.row(perm[b]);
      for (int64_t a = 0; a < K; ++a) // down a column: h is column-major
        hp(a, b) = h(perm[a], perm[b]);
    }
    h.swap(hp);
    w.swap(wp);
  }
  for (int64_t p = 0; p < K; ++p)
    position[perm[p]] = p;

  // Damping, raised tenfold while H + lambda I is not positive definite.
  double lambda = std::max(0.0, options.dampening * h.diagonal().mean());
  Matrix u;
  bool factorized = false;
  for (int attempt = 0; attempt < 5 && !factorized; ++attempt) {
    Matrix damped = h;
    damped.diagonal().array() += lambda;
    factorized = upperCholeskyOfInverse(damped, u);
    lambda *= 10;
  }
  if (!factorized)
    return std::nullopt;
  Matrix().swap(h); // no longer needed: give the memory back

  const int64_t blockSize = options.blockSize;
  RowMatrix err(std::min(blockSize, K), N);
  std::vector<bool> groupDone(numGroups, false);
  std::vector<float> groupValues;
  for (int64_t i1 = 0; i1 < K; i1 += blockSize) {
    const int64_t i2 = std::min(i1 + blockSize, K);
    for (int64_t i = i1; i < i2; ++i) {
      const int64_t row = perm[i];
      const int64_t group = row / groupSize;
      if (granularity != Granularity::PerTensor && !groupDone[group]) {
        // The group's rows as they stand now: those in this block carry every
        // update so far; those after it still miss the errors of rows
        // [i1, i), added here as the block's final product would. No row of
        // the group is quantized yet (this is the first one reached).
        groupDone[group] = true;
        const int64_t first = group * groupSize;
        const int64_t count = std::min(groupSize, K - first);
        groupValues.resize(count * N);
        for (int64_t r = 0; r < count; ++r) {
          const int64_t p = position[first + r];
          assert(p >= i && "a row of the group is quantized already");
          Eigen::Map<Eigen::Matrix<float, 1, Eigen::Dynamic>> out(
              groupValues.data() + r * N, N);
          if (p < i2)
            out = w.row(p).cast<float>();
          else
            out = (w.row(p) - u.col(p).segment(i1, i - i1).transpose() *
                                  err.topRows(i - i1))
                      .cast<float>();
        }
        for (int64_t n = 0; n < N; ++n) {
          QuantParams &params = q.params[group * N + n];
          if (options.choice == RangeChoice::Mse) {
            params =
                chooseMseParams(groupValues.data() + n, count, N, range,
                                options.symmetric, importance.data() + first);
            continue;
          }
          float lo = 0.0f, hi = 0.0f;
          for (int64_t r = 0; r < count; ++r) {
            lo = std::min(lo, groupValues[r * N + n]);
            hi = std::max(hi, groupValues[r * N + n]);
          }
          params = chooseParams(lo, hi, range, options.symmetric);
        }
      }

      // Round the row, and record its error scaled by 1 / U[i][i].
      const QuantParams *params = granularity == Granularity::PerTensor
                                      ? &q.params[0]
                                      : &q.params[group * N];
      const int64_t stride = granularity == Granularity::PerTensor ? 0 : 1;
      const double d = u(i, i);
      int8_t *codes = q.values.data() + row * N;
      for (int64_t n = 0; n < N; ++n) {
        const QuantParams &p = params[n * stride];
        const int32_t code = quantize(static_cast<float>(w(i, n)), p, range);
        codes[n] = static_cast<int8_t>(code);
        err(i - i1, n) = (w(i, n) - double(dequantize(code, p))) / d;
      }
      // The rest of the block: a rank-1 update.
      if (i + 1 < i2)
        w.middleRows(i + 1, i2 - i - 1).noalias() -=
            u.row(i).segment(i + 1, i2 - i - 1).transpose() * err.row(i - i1);
    }
    // The rows after the block: one matrix product.
    if (i2 < K)
      w.bottomRows(K - i2).noalias() -=
          u.block(i1, i2, i2 - i1, K - i2).transpose() * err.topRows(i2 - i1);
  }
  return q;
}

double quantc::algorithms::gramWeightedError(const float *weights,
                                             const QuantizedWeights &q,
                                             const float *gram) {
  const int64_t K = q.rows, N = q.cols;
  RowMatrix e(K, N);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      e(k, n) = double(weights[k * N + n]) - double(q.dequantized(k, n));
  Matrix h =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                     Eigen::RowMajor>>(gram, K, K)
          .cast<double>();
  // trace(E^T H E) = sum over (k, n) of (H E)[k][n] * E[k][n].
  return (h * e).cwiseProduct(e).sum();
}
