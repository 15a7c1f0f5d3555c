//===- LowRankTest.cpp - LoRC against closed forms and an independent SVD -===//
//
// The low-rank correction of a quantized weight: it recovers a residual of
// exactly low rank; its error is the Eckart-Young tail of singular values
// (computed here independently, by Jacobi on the Gram matrix); its two
// factors share each singular value evenly; their 8-bit storage stays
// within a bound derived from the scales; it shrinks a realistic RTN error;
// a zero residual and the rank limits behave as LowRank.h says.
//
//===----------------------------------------------------------------------===//

#include "passes/algorithms/LowRank.h"
#include "passes/algorithms/UniformQuant.h"

#include "test/unit/TestData.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

using namespace quantc::algorithms;
using namespace quantc::testdata;

namespace {

std::string shape(int64_t K, int64_t N) {
  return std::to_string(K) + "x" + std::to_string(N);
}

/// E = W - What in double, row-major K x N (what lowRankResidual factors).
std::vector<double> residual(const std::vector<float> &w,
                             const QuantizedWeights &q) {
  std::vector<double> e(q.rows * q.cols);
  for (int64_t k = 0; k < q.rows; ++k)
    for (int64_t n = 0; n < q.cols; ++n)
      e[k * q.cols + n] =
          double(w[k * q.cols + n]) - double(q.dequantized(k, n));
  return e;
}

/// A * B in double for row-major a (K x r) and b (r x N) given as element
/// accessors.
std::vector<double> product(int64_t K, int64_t r, int64_t N,
                            const std::function<double(int64_t, int64_t)> &a,
                            const std::function<double(int64_t, int64_t)> &b) {
  std::vector<double> p(K * N, 0.0);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t i = 0; i < r; ++i) {
      const double aki = a(k, i);
      for (int64_t n = 0; n < N; ++n)
        p[k * N + n] += aki * b(i, n);
    }
  return p;
}

std::vector<double> product(const LowRankFactors &f) {
  return product(
      f.rows, f.rank, f.cols,
      [&](int64_t k, int64_t i) { return double(f.a[k * f.rank + i]); },
      [&](int64_t i, int64_t n) { return double(f.b[i * f.cols + n]); });
}

std::vector<double> product(const QuantizedLowRank &q) {
  return product(
      q.a.rows, q.a.cols, q.b.cols,
      [&](int64_t k, int64_t i) { return double(q.a.dequantized(k, i)); },
      [&](int64_t i, int64_t n) { return double(q.b.dequantized(i, n)); });
}

/// sum (x - y)^2.
double squaredDistance(const std::vector<double> &x,
                       const std::vector<double> &y) {
  EXPECT_EQ(x.size(), y.size());
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i)
    sum += (x[i] - y[i]) * (x[i] - y[i]);
  return sum;
}

double squaredNorm(const std::vector<double> &x) {
  return squaredDistance(x, std::vector<double>(x.size(), 0.0));
}

/// The squared singular values of the K x N row-major E, decreasing: the
/// eigenvalues of its Gram matrix on the smaller side (E^T E or E E^T), by
/// cyclic Jacobi rotations in double. Independent of Eigen and of
/// lowRankResidual; accurate to ~1e-15 of the largest one, far below the
/// tolerances it is used with.
std::vector<double> squaredSingularValues(const std::vector<double> &e,
                                          int64_t K, int64_t N) {
  const bool tall = K >= N;
  const int64_t m = tall ? N : K, len = tall ? K : N;
  // Entry t of "vector" j: column j of E (tall) or row j (wide).
  auto at = [&](int64_t j, int64_t t) {
    return tall ? e[t * N + j] : e[j * N + t];
  };
  std::vector<double> g(m * m);
  for (int64_t p = 0; p < m; ++p)
    for (int64_t q = 0; q < m; ++q) {
      double sum = 0;
      for (int64_t t = 0; t < len; ++t)
        sum += at(p, t) * at(q, t);
      g[p * m + q] = sum;
    }
  double total = 0;
  for (double x : g)
    total += x * x;
  for (int sweep = 0; sweep < 100; ++sweep) {
    double off = 0;
    for (int64_t p = 0; p < m; ++p)
      for (int64_t q = 0; q < m; ++q)
        if (p != q)
          off += g[p * m + q] * g[p * m + q];
    if (off <= 1e-30 * total)
      break;
    for (int64_t p = 0; p < m; ++p)
      for (int64_t q = p + 1; q < m; ++q) {
        const double apq = g[p * m + q];
        if (apq == 0)
          continue;
        // The rotation that zeroes g[p][q] (Numerical Recipes' form).
        const double theta = (g[q * m + q] - g[p * m + p]) / (2 * apq);
        const double t = (theta >= 0 ? 1.0 : -1.0) /
                         (std::abs(theta) + std::sqrt(theta * theta + 1));
        const double c = 1 / std::sqrt(t * t + 1), s = t * c;
        for (int64_t k = 0; k < m; ++k) {
          const double gkp = g[k * m + p], gkq = g[k * m + q];
          g[k * m + p] = c * gkp - s * gkq;
          g[k * m + q] = s * gkp + c * gkq;
        }
        for (int64_t k = 0; k < m; ++k) {
          const double gpk = g[p * m + k], gqk = g[q * m + k];
          g[p * m + k] = c * gpk - s * gqk;
          g[q * m + k] = s * gpk + c * gqk;
        }
      }
  }
  std::vector<double> lambda(m);
  for (int64_t p = 0; p < m; ++p)
    lambda[p] = std::max(0.0, g[p * m + p]);
  std::sort(lambda.begin(), lambda.end(), std::greater<double>());
  return lambda;
}

bool allFinite(const std::vector<float> &values) {
  return std::all_of(values.begin(), values.end(),
                     [](float v) { return std::isfinite(v); });
}

TEST(LowRank, RecoversAnExactlyLowRankResidual) {
  // W = What + P * Q with P [K][2], Q [2][N]: the residual has rank 2 up to
  // the float rounding of W (~6e-8 of |W|), so rank 2 reproduces P * Q to
  // ~1e-7 relative; 1e-5 (Frobenius, relative to |P Q|) leaves a wide
  // margin. Rank 3 gives the same product: its third singular value is
  // that rounding noise, and its factors stay finite. Tall, wide and small
  // shapes (BDCSVD hands problems under 16 columns to JacobiSVD).
  const int64_t shapes[][2] = {{64, 48}, {24, 40}, {7, 5}};
  unsigned seed = 100;
  for (const auto &s : shapes) {
    const int64_t K = s[0], N = s[1];
    std::vector<float> w0 = randomNormal(K * N, ++seed);
    QuantizedWeights q =
        quantizeRTN(w0.data(), K, N, 4, Granularity::PerChannel, K, true);
    std::vector<float> p = randomNormal(K * 2, ++seed);
    std::vector<float> pq = randomNormal(2 * N, ++seed);
    std::vector<double> target = product(
        K, 2, N, [&](int64_t k, int64_t i) { return double(p[k * 2 + i]); },
        [&](int64_t i, int64_t n) { return double(pq[i * N + n]); });
    std::vector<float> w(K * N);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n)
        w[k * N + n] = q.dequantized(k, n) + float(target[k * N + n]);
    const double targetNorm = std::sqrt(squaredNorm(target));
    for (int64_t rank : {2, 3}) {
      LowRankFactors f = lowRankResidual(w.data(), q, rank);
      ASSERT_EQ(f.rank, rank) << shape(K, N);
      ASSERT_TRUE(allFinite(f.a) && allFinite(f.b)) << shape(K, N);
      const double relative =
          std::sqrt(squaredDistance(product(f), target)) / targetNorm;
      std::printf("[ info     ] %s rank %lld: |AB - PQ| / |PQ| = %.3g\n",
                  shape(K, N).c_str(), (long long)rank, relative);
      EXPECT_LT(relative, 1e-5) << shape(K, N) << " rank " << rank;
      if (rank == 3) {
        // The third column of A has norm sqrt(s_3), s_3 the rounding noise:
        // ~3e-4 of the first column's norm; 1e-2 is a loose ceiling.
        double third = 0, first = 0;
        for (int64_t k = 0; k < K; ++k) {
          third += double(f.a[k * 3 + 2]) * f.a[k * 3 + 2];
          first += double(f.a[k * 3]) * f.a[k * 3];
        }
        EXPECT_LT(std::sqrt(third), 1e-2 * std::sqrt(first)) << shape(K, N);
      }
    }
  }
}

TEST(LowRank, ErrorIsTheEckartYoungTail) {
  // |E - A B|_F^2 = sum of the squared singular values beyond the rank,
  // those from the independent Jacobi solver. Tolerance: 1e-4 of the tail
  // plus 1e-10 of |E|^2 (the float rounding of A and B leaves ~1e-14 of
  // |E|^2, which is all that is left at full rank). The error falls
  // strictly with every rank: a random residual has no zero singular value.
  const int64_t shapes[][2] = {{64, 48}, {40, 72}};
  unsigned seed = 200;
  for (const auto &s : shapes) {
    const int64_t K = s[0], N = s[1], full = std::min(K, N);
    std::vector<float> w = randomNormal(K * N, ++seed);
    QuantizedWeights q =
        quantizeRTN(w.data(), K, N, 4, Granularity::PerChannel, K, true);
    std::vector<double> e = residual(w, q);
    std::vector<double> lambda = squaredSingularValues(e, K, N);
    const double total = squaredNorm(e);
    double previous = 0;
    for (int64_t rank = 0; rank <= full; ++rank) {
      LowRankFactors f = lowRankResidual(w.data(), q, rank);
      ASSERT_EQ(f.rank, rank);
      const double error = squaredDistance(e, product(f));
      double tail = 0;
      for (int64_t i = rank; i < full; ++i)
        tail += lambda[i];
      EXPECT_NEAR(error, tail, 1e-4 * tail + 1e-10 * total)
          << shape(K, N) << " rank " << rank;
      if (rank > 0) {
        EXPECT_LT(error, previous) << shape(K, N) << " rank " << rank;
      }
      previous = error;
      if (rank == 0 || rank == 1 || rank == full / 2 || rank == full)
        std::printf("[ info     ] %s rank %lld: |E - AB|^2 = %.6g, tail "
                    "%.6g, |E|^2 = %.6g\n",
                    shape(K, N).c_str(), (long long)rank, error, tail, total);
    }
    EXPECT_LT(previous, 1e-10 * total) << shape(K, N) << " at full rank";
  }
}

TEST(LowRank, SplitsEachSingularValueEvenly) {
  // Column i of A and row i of B both have norm sqrt(s_i), s_i from the
  // independent solver: relative 1e-4 (float factors of a double SVD agree
  // to ~1e-7). The smallest s_i of these random residuals is ~0.1 of the
  // largest (Marchenko-Pastur: (sqrt K - sqrt N) / (sqrt K + sqrt N)), so
  // the relative check holds for every index.
  const int64_t shapes[][2] = {{64, 48}, {40, 72}};
  unsigned seed = 300;
  for (const auto &s : shapes) {
    const int64_t K = s[0], N = s[1], r = std::min(K, N);
    std::vector<float> w = randomNormal(K * N, ++seed);
    QuantizedWeights q =
        quantizeRTN(w.data(), K, N, 3, Granularity::PerChannel, K, true);
    std::vector<double> lambda = squaredSingularValues(residual(w, q), K, N);
    LowRankFactors f = lowRankResidual(w.data(), q, r);
    for (int64_t i = 0; i < r; ++i) {
      double column = 0, row = 0;
      for (int64_t k = 0; k < K; ++k)
        column += double(f.a[k * r + i]) * f.a[k * r + i];
      for (int64_t n = 0; n < N; ++n)
        row += double(f.b[i * N + n]) * f.b[i * N + n];
      const double expected = std::sqrt(std::sqrt(lambda[i]));
      EXPECT_NEAR(std::sqrt(column), expected, 1e-4 * expected)
          << shape(K, N) << " column " << i << " of A";
      EXPECT_NEAR(std::sqrt(row), expected, 1e-4 * expected)
          << shape(K, N) << " row " << i << " of B";
    }
  }
}

TEST(LowRank, EightBitFactorsStayWithinTheirBound) {
  // Each stored element errs by at most half its scale: A^ = A + dA with
  // |dA[k][i]| <= s_a[i] / 2, B^ = B + dB with |dB[i][n]| <= s_b[n] / 2.
  // A^ B^ - A B = dA B + A dB + dA dB, so element-wise
  //   |(A^ B^ - A B)[k][n]| <= sum_i |A[k][i]| s_b[n] / 2
  //                            + |B[i][n]| s_a[i] / 2 + s_a[i] s_b[n] / 4.
  // The float division and product in quantize/dequantize can exceed half
  // a step by an ulp; a relative slack of 1e-4 on the bound covers that.
  // Layout: quantizeRTN's 8-bit symmetric per-channel form, each column's
  // scale max|column| / 127 (so its largest element is code +-127).
  const int64_t K = 64, N = 48;
  std::vector<float> w = randomNormal(K * N, 401);
  QuantizedWeights q =
      quantizeRTN(w.data(), K, N, 3, Granularity::PerChannel, K, true);
  for (int64_t r : {1, 4, 16}) {
    LowRankFactors f = lowRankResidual(w.data(), q, r);
    QuantizedLowRank ql = quantizeLowRank(f);
    const QuantizedWeights &a = ql.a, &b = ql.b;
    // Layout.
    EXPECT_EQ(a.rows, K);
    EXPECT_EQ(a.cols, r);
    EXPECT_EQ(a.groupSize, K);
    EXPECT_EQ(a.granularity, Granularity::PerChannel);
    EXPECT_EQ(b.rows, r);
    EXPECT_EQ(b.cols, N);
    EXPECT_EQ(b.groupSize, r);
    EXPECT_EQ(b.granularity, Granularity::PerChannel);
    ASSERT_EQ(a.params.size(), size_t(r));
    ASSERT_EQ(b.params.size(), size_t(N));
    ASSERT_EQ(a.values.size(), size_t(K * r));
    ASSERT_EQ(b.values.size(), size_t(r * N));
    auto checkColumns = [](const QuantizedWeights &x,
                           const std::vector<float> &values, const char *name) {
      for (int64_t c = 0; c < x.cols; ++c) {
        float largest = 0;
        int largestCode = 0;
        for (int64_t k = 0; k < x.rows; ++k) {
          const int code = x.values[k * x.cols + c];
          EXPECT_LE(std::abs(code), 127) << name << " symmetric codes";
          largest = std::max(largest, std::abs(values[k * x.cols + c]));
          largestCode = std::max(largestCode, std::abs(code));
        }
        EXPECT_EQ(x.params[c].zeroPoint, 0) << name << " column " << c;
        EXPECT_EQ(x.params[c].scale, largest / 127.0f)
            << name << " column " << c;
        EXPECT_EQ(largestCode, 127) << name << " column " << c;
      }
    };
    checkColumns(a, f.a, "A");
    checkColumns(b, f.b, "B");

    // The bound, element-wise.
    std::vector<double> exact = product(f), stored = product(ql);
    double worst = 0, relative = 0;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n) {
        const double sb = b.params[n].scale;
        double bound = 0;
        for (int64_t i = 0; i < r; ++i) {
          const double sa = a.params[i].scale;
          bound += std::abs(double(f.a[k * r + i])) * sb / 2 +
                   std::abs(double(f.b[i * N + n])) * sa / 2 + sa * sb / 4;
        }
        const double diff = std::abs(stored[k * N + n] - exact[k * N + n]);
        EXPECT_LE(diff, bound * (1 + 1e-4))
            << "rank " << r << " at (" << k << ", " << n << ")";
        worst = std::max(worst, diff / bound);
        relative = std::max(relative, diff);
      }
    std::printf("[ info     ] rank %lld: max |dAB| %.3g, max |dAB| / bound "
                "%.3f, |AB - A^B^| / |AB| %.3g\n",
                (long long)r, relative, worst,
                std::sqrt(squaredDistance(exact, stored) / squaredNorm(exact)));
  }
}

TEST(LowRank, ShrinksTheErrorOfThreeBitRTN) {
  // The point of LoRC: W Gaussian 64 x 48, What = 3-bit symmetric RTN per
  // channel. The error |W - (What + A^ B^)|_F with 8-bit factors falls
  // below RTN's and keeps falling with the rank (non-increasing over
  // 1, 4, 8, 16). A random residual has a flat spectrum (Marchenko-Pastur),
  // so the gain is modest: observed ratios to RTN's error are 0.965, 0.868,
  // 0.750 and 0.550 (printed); the bound at rank 8, 0.8, leaves a margin
  // for another standard library's normal_distribution drawing other data.
  const int64_t K = 64, N = 48;
  std::vector<float> w = randomNormal(K * N, 501);
  QuantizedWeights q =
      quantizeRTN(w.data(), K, N, 3, Granularity::PerChannel, K, true);
  std::vector<double> e = residual(w, q);
  const double rtnError = std::sqrt(squaredNorm(e));
  double previous = rtnError, atRank8 = 0;
  for (int64_t r : {1, 4, 8, 16}) {
    QuantizedLowRank ql = quantizeLowRank(lowRankResidual(w.data(), q, r));
    const double error = std::sqrt(squaredDistance(e, product(ql)));
    std::printf("[ info     ] rank %2lld: |W - (What + A^B^)| = %.5g, RTN "
                "%.5g, ratio %.3f\n",
                (long long)r, error, rtnError, error / rtnError);
    EXPECT_LT(error, rtnError) << "rank " << r;
    EXPECT_LE(error, previous) << "rank " << r;
    previous = error;
    if (r == 8)
      atRank8 = error;
  }
  EXPECT_LE(atRank8, 0.8 * rtnError);
}

TEST(LowRank, ZeroResidualGivesZeroFactors) {
  // W = What exactly: E = 0, every singular value 0. The factors are exact
  // zeros (no NaN from a division by a zero singular value), and their
  // 8-bit form is codes 0 with unit scales (chooseParams' answer for a zero
  // range), so the correction dequantizes to exactly 0.
  const int64_t K = 20, N = 12;
  std::vector<float> w0 = randomNormal(K * N, 601);
  QuantizedWeights q =
      quantizeRTN(w0.data(), K, N, 4, Granularity::PerChannel, K, true);
  std::vector<float> w(K * N);
  for (int64_t k = 0; k < K; ++k)
    for (int64_t n = 0; n < N; ++n)
      w[k * N + n] = q.dequantized(k, n);
  for (int64_t r : {1, 4, 12}) {
    LowRankFactors f = lowRankResidual(w.data(), q, r);
    ASSERT_EQ(f.rank, r);
    EXPECT_TRUE(
        std::all_of(f.a.begin(), f.a.end(), [](float v) { return v == 0.0f; }));
    EXPECT_TRUE(
        std::all_of(f.b.begin(), f.b.end(), [](float v) { return v == 0.0f; }));
    QuantizedLowRank ql = quantizeLowRank(f);
    for (const QuantizedWeights *x : {&ql.a, &ql.b}) {
      EXPECT_TRUE(std::all_of(x->values.begin(), x->values.end(),
                              [](int8_t v) { return v == 0; }));
      for (const QuantParams &p : x->params) {
        EXPECT_EQ(p.scale, 1.0f);
        EXPECT_EQ(p.zeroPoint, 0);
      }
    }
    for (double v : product(ql))
      EXPECT_EQ(v, 0.0);
  }
}

TEST(LowRank, ClampsTheRankAndAllowsRankZero) {
  // A rank above min(K, N) is clamped to it (and then A B is E, to the
  // float rounding of the factors: 1e-6 relative). Rank 0: empty factors,
  // and a stored form without codes: A is K x 0 with no scales, B is 0 x N
  // with N unit scales.
  const int64_t K = 6, N = 4;
  std::vector<float> w = randomNormal(K * N, 701);
  QuantizedWeights q =
      quantizeRTN(w.data(), K, N, 2, Granularity::PerChannel, K, true);
  std::vector<double> e = residual(w, q);
  LowRankFactors f = lowRankResidual(w.data(), q, 100);
  EXPECT_EQ(f.rows, K);
  EXPECT_EQ(f.rank, N);
  EXPECT_EQ(f.cols, N);
  ASSERT_EQ(f.a.size(), size_t(K * N));
  ASSERT_EQ(f.b.size(), size_t(N * N));
  EXPECT_LT(std::sqrt(squaredDistance(e, product(f)) / squaredNorm(e)), 1e-6);

  LowRankFactors zero = lowRankResidual(w.data(), q, 0);
  EXPECT_EQ(zero.rank, 0);
  EXPECT_TRUE(zero.a.empty());
  EXPECT_TRUE(zero.b.empty());
  QuantizedLowRank ql = quantizeLowRank(zero);
  EXPECT_EQ(ql.a.rows, K);
  EXPECT_EQ(ql.a.cols, 0);
  EXPECT_TRUE(ql.a.values.empty());
  EXPECT_TRUE(ql.a.params.empty());
  EXPECT_EQ(ql.b.rows, 0);
  EXPECT_EQ(ql.b.cols, N);
  EXPECT_TRUE(ql.b.values.empty());
  ASSERT_EQ(ql.b.params.size(), size_t(N));
  for (const QuantParams &p : ql.b.params)
    EXPECT_EQ(p.scale, 1.0f);

  // A single row or column: rank 1 at most, and that rank is all of E.
  // Per-tensor scales: per channel, a 1 x 7 weight would be exact.
  const int64_t thin[][2] = {{1, 7}, {7, 1}};
  for (const auto &t : thin) {
    std::vector<float> v = randomNormal(t[0] * t[1], 702);
    QuantizedWeights qv =
        quantizeRTN(v.data(), t[0], t[1], 2, Granularity::PerTensor, 0, true);
    std::vector<double> ev = residual(v, qv);
    LowRankFactors fv = lowRankResidual(v.data(), qv, 5);
    EXPECT_EQ(fv.rank, 1) << shape(t[0], t[1]);
    EXPECT_LT(std::sqrt(squaredDistance(ev, product(fv)) / squaredNorm(ev)),
              1e-6)
        << shape(t[0], t[1]);
  }
}

TEST(LowRank, FactorsAreReproducible) {
  // The sign of each (u_i, v_i) pair is fixed (u_i's largest entry
  // positive), so two runs give the same bits, and each column of A has
  // its largest-magnitude entry positive.
  const int64_t K = 32, N = 24, r = 8;
  std::vector<float> w = randomNormal(K * N, 801);
  QuantizedWeights q =
      quantizeRTN(w.data(), K, N, 4, Granularity::PerChannel, K, true);
  LowRankFactors f = lowRankResidual(w.data(), q, r);
  LowRankFactors g = lowRankResidual(w.data(), q, r);
  EXPECT_EQ(f.a, g.a);
  EXPECT_EQ(f.b, g.b);
  for (int64_t i = 0; i < r; ++i) {
    float largest = 0;
    for (int64_t k = 0; k < K; ++k)
      if (std::abs(f.a[k * r + i]) > std::abs(largest))
        largest = f.a[k * r + i];
    EXPECT_GT(largest, 0.0f) << "column " << i;
  }
}

} // namespace
