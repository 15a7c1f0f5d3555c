//===- Awq.cpp - activation-aware weight scaling (AWQ) --------------------===//

#include "passes/algorithms/Awq.h"

#include <Eigen/Core>

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace quantc::algorithms;

double quantc::algorithms::outputError(const float *w, const float *what,
                                       int64_t k, int64_t n,
                                       const float *gram) {
  using RowMajor =
      Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using MapF = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic,
                                              Eigen::Dynamic, Eigen::RowMajor>>;
  RowMajor d = MapF(w, k, n).cast<double>() - MapF(what, k, n).cast<double>();
  RowMajor h = MapF(gram, k, k).cast<double>();
  // tr(D^T H D) = sum of (H D) .* D.
  return (h * d).cwiseProduct(d).sum();
}

AwqChoice quantc::algorithms::searchAwqScales(
    const std::vector<AwqLayer> &layers, int64_t k, const float *meanAbs,
    const float *gram, const RoundTrip &roundTrip, int grid) {
  assert(k > 0 && grid > 0 && "a search over K > 0 channels");
  float top = *std::max_element(meanAbs, meanAbs + k);
  std::vector<double> base(k);
  for (int64_t i = 0; i < k; ++i)
    base[i] = std::max<double>(meanAbs[i], 1e-4 * top > 0 ? 1e-4 * top : 1.0);

  AwqChoice best;
  std::vector<float> scaled, restored;
  for (int step = 0; step <= grid; ++step) {
    double alpha = static_cast<double>(step) / grid;
    std::vector<float> s(k);
    double lo = INFINITY, hi = 0;
    for (int64_t i = 0; i < k; ++i) {
      double v = std::pow(base[i], alpha);
      s[i] = static_cast<float>(v);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    double norm = std::sqrt(lo * hi);
    for (float &v : s)
      v = static_cast<float>(v / norm);
    double error = 0;
    for (const AwqLayer &layer : layers) {
      int64_t n = layer.cols;
      scaled.assign(layer.weights, layer.weights + k * n);
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j)
          scaled[i * n + j] *= s[i];
      restored = roundTrip(scaled, k, n, s);
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j)
          restored[i * n + j] /= s[i];
      error += outputError(layer.weights, restored.data(), k, n, gram);
    }
    if (step == 0) {
      best = {0, std::vector<float>(k, 1.0f), error, error};
    } else if (error < best.error) {
      best.alpha = alpha;
      best.scales = s;
      best.error = error;
    }
  }
  return best;
}
