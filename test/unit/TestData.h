//===- TestData.h - deterministic data for the algorithm gtests -*- C++ -*-===//
//
// Seeded random weights and calibration statistics shared by GptqTest,
// CodebookTest and LowRankTest (header-only: each test is its own binary).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TEST_UNIT_TESTDATA_H
#define QUANTC_TEST_UNIT_TESTDATA_H

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace quantc::testdata {

/// `count` draws of N(0, stddev^2) from a generator seeded with `seed`.
inline std::vector<float> randomNormal(int64_t count, unsigned seed,
                                       float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, stddev);
  std::vector<float> values(count);
  for (float &v : values)
    v = normal(rng);
  return values;
}

/// H = X^T X / n for X = Z * M (Z: n x K standard normal, M: K x K normal
/// mixing, so that the inputs are correlated), each input channel k then
/// scaled by channelScale[k] (when given).
inline std::vector<float>
correlatedGram(int64_t K, int64_t n, unsigned seed,
               const std::vector<float> &channelScale = {}) {
  std::vector<float> z = randomNormal(n * K, seed);
  std::vector<float> m = randomNormal(K * K, seed + 1, 1.0f / std::sqrt(K));
  std::vector<double> x(n * K, 0.0);
  for (int64_t t = 0; t < n; ++t)
    for (int64_t j = 0; j < K; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < K; ++k)
        sum += double(z[t * K + k]) * m[k * K + j];
      x[t * K + j] = sum * (channelScale.empty() ? 1.0 : channelScale[j]);
    }
  std::vector<float> h(K * K);
  for (int64_t a = 0; a < K; ++a)
    for (int64_t b = 0; b <= a; ++b) {
      double sum = 0;
      for (int64_t t = 0; t < n; ++t)
        sum += x[t * K + a] * x[t * K + b];
      h[a * K + b] = h[b * K + a] = static_cast<float>(sum / n);
    }
  return h;
}

/// scale * I, K x K row-major.
inline std::vector<float> identity(int64_t K, float scale = 1.0f) {
  std::vector<float> h(K * K, 0.0f);
  for (int64_t k = 0; k < K; ++k)
    h[k * K + k] = scale;
  return h;
}

} // namespace quantc::testdata

#endif // QUANTC_TEST_UNIT_TESTDATA_H
