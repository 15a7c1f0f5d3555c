//===- Smooth.cpp - SmoothQuant outlier smoothing -------------------------===//

#include "passes/algorithms/Smooth.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>

using namespace quantc::algorithms;

namespace {
using RowMajorF =
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Rounds v / scale to the symmetric grid [-qmax, qmax] and back (ties to
/// even, as the integer kernels' quantization rounds).
float roundTrip(float v, float scale, float qmax) {
  if (scale <= 0)
    return 0;
  float q = std::nearbyint(v / scale);
  return std::clamp(q, -qmax, qmax) * scale;
}
} // namespace

std::vector<float> quantc::algorithms::smoothingScales(const float *maxAbsX,
                                                       const float *maxAbsW,
                                                       int64_t k,
                                                       double alpha) {
  std::vector<float> s(k, 1.0f);
  for (int64_t i = 0; i < k; ++i)
    if (maxAbsX[i] > 0 && maxAbsW[i] > 0)
      s[i] = static_cast<float>(std::pow(double(maxAbsX[i]), alpha) /
                                std::pow(double(maxAbsW[i]), 1.0 - alpha));
  return s;
}

double quantc::algorithms::smoothedOutputError(
    const std::vector<SmoothLayer> &layers, int64_t k, const float *rows,
    int64_t sampleRows, const float *maxAbsX, const std::vector<float> &s,
    const SmoothSettings &settings) {
  if (sampleRows == 0 || layers.empty())
    return 0;
  Eigen::Map<const RowMajorF> x(rows, sampleRows, k);
  std::vector<float> inv(k, 1.0f);
  if (!s.empty())
    for (int64_t i = 0; i < k; ++i)
      inv[i] = 1.0f / s[i];
  // X / s, quantized per tensor (static) or per row (dynamic).
  float qa = float((1u << (settings.activationBits - 1)) - 1);
  RowMajorF xq(sampleRows, k);
  float tensorScale = 0;
  for (int64_t i = 0; i < k; ++i)
    tensorScale = std::max(tensorScale, maxAbsX[i] * inv[i]);
  tensorScale /= qa;
  for (int64_t r = 0; r < sampleRows; ++r) {
    float scale = tensorScale;
    if (settings.dynamicActivations) {
      float m = 0;
      for (int64_t i = 0; i < k; ++i)
        m = std::max(m, std::fabs(x(r, i) * inv[i]));
      scale = m / qa;
    }
    for (int64_t i = 0; i < k; ++i)
      xq(r, i) = roundTrip(x(r, i) * inv[i], scale, qa);
  }
  float qw = float((1u << (settings.weightBits - 1)) - 1);
  double sum = 0;
  int64_t outputs = 0;
  for (const SmoothLayer &layer : layers) {
    Eigen::Map<const RowMajorF> w(layer.weights, k, layer.cols);
    // diag(s) W, quantized per column.
    RowMajorF wq(k, layer.cols);
    for (int64_t j = 0; j < layer.cols; ++j) {
      float m = 0;
      for (int64_t i = 0; i < k; ++i)
        m = std::max(m, std::fabs(w(i, j) / inv[i]));
      for (int64_t i = 0; i < k; ++i)
        wq(i, j) = roundTrip(w(i, j) / inv[i], m / qw, qw);
    }
    RowMajorF diff = x * w - xq * wq;
    sum += diff.cast<double>().squaredNorm();
    outputs += sampleRows * layer.cols;
  }
  return sum / static_cast<double>(outputs);
}

SmoothChoice quantc::algorithms::searchSmoothing(
    const std::vector<SmoothLayer> &layers, int64_t k, const float *maxAbsX,
    const float *rows, int64_t sampleRows, const SmoothSettings &settings) {
  std::vector<float> maxAbsW(k, 0.0f);
  for (const SmoothLayer &layer : layers)
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < layer.cols; ++j)
        maxAbsW[i] =
            std::max(maxAbsW[i], std::fabs(layer.weights[i * layer.cols + j]));
  SmoothChoice best;
  best.unsmoothedError =
      smoothedOutputError(layers, k, rows, sampleRows, maxAbsX, {}, settings);
  best.error = INFINITY;
  std::vector<double> alphas;
  if (settings.alpha >= 0)
    alphas.push_back(settings.alpha);
  else
    for (int i = 0; i <= settings.grid; ++i)
      alphas.push_back(double(i) / settings.grid);
  for (double alpha : alphas) {
    std::vector<float> s = smoothingScales(maxAbsX, maxAbsW.data(), k, alpha);
    double e =
        smoothedOutputError(layers, k, rows, sampleRows, maxAbsX, s, settings);
    if (e < best.error) {
      best.error = e;
      best.alpha = alpha;
      best.scales = std::move(s);
    }
  }
  best.kept = best.error < best.unsmoothedError;
  return best;
}
