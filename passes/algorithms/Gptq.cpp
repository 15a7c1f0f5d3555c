//===- Gptq.cpp - second-order weight rounding (GPTQ) ---------------------===//
//
// The lazy-batch form of the paper (Algorithm 1): with U the upper Cholesky
// factor of H^-1 (H^-1 = U^T U), rounding row i with error e_i moves the
// later rows j by -U[i][j] * e_i / U[i][i]. Inside a block of rows these
// rank-1 updates are applied at once; the rows after the block receive the
// block's errors in one matrix product at its end. The loop is one template
// over the grid (scales and rounding), uniform or codebook.
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

//===----------------------------------------------------------------------===//
// The loop
//===----------------------------------------------------------------------===//

/// The GPTQ loop, shared by the uniform and the codebook grid. `Grid`
/// decides the scales and the rounding:
///
///   void prepare(const RowMatrix &w, const std::vector<float> &importance)
///     once, with the dead rows zeroed, in the original row order, before
///     anything is rounded (per-tensor scales);
///   void chooseGroup(int64_t group, int64_t first, int64_t count,
///                    const float *values, const float *importance)
///     when the first row of `group` (rows [first, first + count)) is reached
///     in processing order, only if `scalesPerGroup`: `values` holds those
///     rows as they stand then (count x N, row-major), `importance` their
///     diag(H) entries;
///   double round(int64_t row, int64_t group, int64_t n, double value)
///     stores the code of `value` at (row, n) and returns its dequantized
///     value.
///
/// Returns false where quantizeGPTQ returns std::nullopt.
template <typename Grid>
bool runGptq(const float *weights, int64_t K, int64_t N, const float *gram,
             const GptqOptions &options, int64_t groupSize, bool scalesPerGroup,
             Grid &grid) {
  assert(K > 0 && N > 0 && "an empty weight");
  assert(options.blockSize > 0 && "block size must be positive");
  assert(groupSize > 0 && "group size must be positive");
  for (int64_t i = 0; i < K * N; ++i)
    if (!std::isfinite(weights[i]))
      return false;
  for (int64_t i = 0; i < K * K; ++i)
    if (!std::isfinite(gram[i]))
      return false;
  const int64_t numGroups = (K + groupSize - 1) / groupSize;

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
  grid.prepare(w, importance);

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
    return false;
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
      if (scalesPerGroup && !groupDone[group]) {
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
        grid.chooseGroup(group, first, count, groupValues.data(),
                         importance.data() + first);
      }

      // Round the row, and record its error scaled by 1 / U[i][i].
      const double d = u(i, i);
      for (int64_t n = 0; n < N; ++n)
        err(i - i1, n) = (w(i, n) - grid.round(row, group, n, w(i, n))) / d;
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
  return true;
}

//===----------------------------------------------------------------------===//
// Grids
//===----------------------------------------------------------------------===//

/// quantizeGPTQ's grid: QuantParams from chooseParams or chooseMseParams,
/// rounding by quantize.
class UniformGrid {
public:
  UniformGrid(QuantizedWeights &q, const GptqOptions &options)
      : q(q), options(options), range(QuantRange::signedBits(options.bits)) {}

  /// PerTensor: one scale from the whole W before any update, as RTN does.
  void prepare(const RowMatrix &w, const std::vector<float> &importance) {
    const int64_t K = q.rows, N = q.cols;
    if (q.granularity != Granularity::PerTensor) {
      q.params.assign(q.numGroups() * N, QuantParams());
      return;
    }
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
  }

  void chooseGroup(int64_t group, int64_t /*first*/, int64_t count,
                   const float *values, const float *importance) {
    const int64_t N = q.cols;
    for (int64_t n = 0; n < N; ++n) {
      QuantParams &params = q.params[group * N + n];
      if (options.choice == RangeChoice::Mse) {
        params = chooseMseParams(values + n, count, N, range, options.symmetric,
                                 importance);
        continue;
      }
      float lo = 0.0f, hi = 0.0f;
      for (int64_t r = 0; r < count; ++r) {
        lo = std::min(lo, values[r * N + n]);
        hi = std::max(hi, values[r * N + n]);
      }
      params = chooseParams(lo, hi, range, options.symmetric);
    }
  }

  double round(int64_t row, int64_t group, int64_t n, double value) {
    const int64_t N = q.cols;
    const QuantParams &p = q.granularity == Granularity::PerTensor
                               ? q.params[0]
                               : q.params[group * N + n];
    const int32_t code = quantize(static_cast<float>(value), p, range);
    q.values[row * N + n] = static_cast<int8_t>(code);
    return double(dequantize(code, p));
  }

private:
  QuantizedWeights &q;
  const GptqOptions &options;
  const QuantRange range;
};

/// quantizeGPTQCodebook's grid: absmax scales, rounding to the nearest level.
class CodebookGrid {
public:
  CodebookGrid(CodebookWeights &q, bool perTensor)
      : q(q), perTensor(perTensor) {}

  /// PerTensor: one absmax from the whole W, before any update.
  void prepare(const RowMatrix &w, const std::vector<float> & /*importance*/) {
    q.scales.assign(q.numGroups() * q.cols, 0.0f);
    if (!perTensor)
      return;
    float absmax = 0.0f;
    for (int64_t k = 0; k < q.rows; ++k)
      for (int64_t n = 0; n < q.cols; ++n)
        absmax = std::max(absmax, std::fabs(static_cast<float>(w(k, n))));
    std::fill(q.scales.begin(), q.scales.end(), absmax > 0 ? absmax : 1.0f);
  }

  void chooseGroup(int64_t group, int64_t /*first*/, int64_t count,
                   const float *values, const float * /*importance*/) {
    const int64_t N = q.cols;
    for (int64_t n = 0; n < N; ++n) {
      float absmax = 0.0f;
      for (int64_t r = 0; r < count; ++r)
        absmax = std::max(absmax, std::fabs(values[r * N + n]));
      q.scales[group * N + n] = absmax > 0 ? absmax : 1.0f;
    }
  }

  double round(int64_t row, int64_t group, int64_t n, double value) {
    const int64_t N = q.cols;
    const float scale = q.scales[group * N + n];
    const uint8_t index = nearestLevel(q.table.data(), q.table.size(),
                                       static_cast<float>(value) / scale);
    q.indices[row * N + n] = index;
    return double(scale * q.table[index]);
  }

private:
  CodebookWeights &q;
  const bool perTensor;
};

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

std::optional<QuantizedWeights>
quantc::algorithms::quantizeGPTQ(const float *weights, int64_t rows,
                                 int64_t cols, const float *gram,
                                 const GptqOptions &options) {
  assert(rows > 0 && cols > 0 && "an empty weight");
  assert(options.bits >= 2 && options.bits <= 8 &&
         "weights are stored as int8");
  QuantizedWeights q;
  q.rows = rows;
  q.cols = cols;
  q.granularity = options.granularity;
  q.groupSize =
      options.granularity == Granularity::PerGroup ? options.groupSize : rows;
  assert(q.groupSize > 0 && "group size must be positive");
  q.values.assign(rows * cols, 0);
  UniformGrid grid(q, options);
  if (!runGptq(weights, rows, cols, gram, options, q.groupSize,
               options.granularity != Granularity::PerTensor, grid))
    return std::nullopt;
  return q;
}

std::optional<CodebookWeights> quantc::algorithms::quantizeGPTQCodebook(
    const float *weights, int64_t rows, int64_t cols, const float *gram,
    const std::vector<float> &table, const GptqOptions &options) {
  assert(rows > 0 && cols > 0 && "an empty weight");
  const size_t levels = table.size();
  assert(levels >= 4 && levels <= 256 && (levels & (levels - 1)) == 0 &&
         "a table of 2^bits levels, bits 2..8");
  assert(std::is_sorted(table.begin(), table.end()) &&
         "table levels must ascend");
  CodebookWeights q;
  q.rows = rows;
  q.cols = cols;
  q.groupSize = options.granularity == Granularity::PerGroup
                    ? std::min(options.groupSize, rows)
                    : rows;
  assert(q.groupSize > 0 && "group size must be positive");
  q.bits = 0;
  while ((size_t(1) << q.bits) < levels)
    ++q.bits;
  q.table = table;
  q.indices.assign(rows * cols, 0);
  CodebookGrid grid(q, options.granularity == Granularity::PerTensor);
  if (!runGptq(weights, rows, cols, gram, options, q.groupSize,
               options.granularity != Granularity::PerTensor, grid))
    return std::nullopt;
  return q;
}

namespace {

/// trace(E^T H E) for E = W - What, What(k, n) = dequantized(k, n).
template <typename Dequantized>
double gramWeighted(const float *weights, int64_t K, int64_t N,
                    const float *gram, Dequantized dequantized) {
  RowMatrix e(K, N);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      e(k, n) = double(weights[k * N + n]) - double(dequantized(k, n));
  Matrix h =
      Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic,
                                     Eigen::RowMajor>>(gram, K, K)
          .cast<double>();
  // trace(E^T H E) = sum over (k, n) of (H E)[k][n] * E[k][n].
  return (h * e).cwiseProduct(e).sum();
}

} // namespace

double quantc::algorithms::gramWeightedError(const float *weights,
                                             const QuantizedWeights &q,
                                             const float *gram) {
  return gramWeighted(weights, q.rows, q.cols, gram, [&](int64_t k, int64_t n) {
    return q.dequantized(k, n);
  });
}

double quantc::algorithms::gramWeightedError(const float *weights,
                                             const CodebookWeights &q,
                                             const float *gram) {
  return gramWeighted(weights, q.rows, q.cols, gram, [&](int64_t k, int64_t n) {
    return q.dequantized(k, n);
  });
}
