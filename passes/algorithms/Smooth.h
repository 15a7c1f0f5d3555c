//===- Smooth.h - SmoothQuant outlier smoothing -----------------*- C++ -*-===//
//
// SmoothQuant (Xiao et al., 2023; ../shared/ALGORITHMS.md): a few input
// channels of an activation carry outliers that a per-tensor (or per-token)
// int8 grid cannot hold without crushing the rest. Per-channel factors
//   s_k = max|x_k|^alpha / max|w_k|^(1 - alpha)
// move the difficulty into the weights, Y = (X diag(s)^-1)(diag(s) W), the
// same function with flatter activations. alpha is searched per layer to
// minimise the quantized layers' output error on sampled calibration rows:
// with integer activations the error is not a quadratic form of E[x x^T]
// (the activation grid depends on the rows), so real rows are needed.
// Plain C++; Eigen for the products.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_SMOOTH_H
#define QUANTC_PASSES_ALGORITHMS_SMOOTH_H

#include <cstdint>
#include <vector>

namespace quantc::algorithms {

/// One layer reading the shared activation: its K x `cols` weight.
struct SmoothLayer {
  const float *weights;
  int64_t cols;
};

/// How the layers will be quantized: symmetric per-column weights and
/// symmetric activations, one scale per tensor (static: from the calibrated
/// channel maxima) or per row (dynamic: each row's max |x|).
struct SmoothSettings {
  unsigned weightBits = 8;
  unsigned activationBits = 8;
  bool dynamicActivations = false;
  int grid = 20;     // alpha in {0, 1/grid, ..., 1}
  double alpha = -1; // >= 0: only this alpha
};

struct SmoothChoice {
  double alpha = 0;
  std::vector<float> scales;  // s at alpha, K values
  double error = 0;           // mean squared output error at alpha
  double unsmoothedError = 0; // the same with s = 1
  bool kept = false;          // error < unsmoothedError
};

/// s_k = maxAbsX_k^alpha / maxAbsW_k^(1 - alpha); 1 for a channel where
/// either maximum is 0 (nothing to balance).
std::vector<float> smoothingScales(const float *maxAbsX, const float *maxAbsW,
                                   int64_t k, double alpha);

/// The layers' mean squared output error E (X W - Qa(X / s) Qw(diag(s) W))^2
/// over `rows` (S x K row-major) under `settings`; `s` empty means 1.
/// `maxAbsX` (K) gives the static activation range: max_k maxAbsX_k / s_k.
double smoothedOutputError(const std::vector<SmoothLayer> &layers, int64_t k,
                           const float *rows, int64_t sampleRows,
                           const float *maxAbsX, const std::vector<float> &s,
                           const SmoothSettings &settings);

/// The alpha of the grid (or settings.alpha) with the least output error;
/// `kept` says whether it beats s = 1 (ties keep s = 1).
SmoothChoice searchSmoothing(const std::vector<SmoothLayer> &layers, int64_t k,
                             const float *maxAbsX, const float *rows,
                             int64_t sampleRows,
                             const SmoothSettings &settings);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_SMOOTH_H
