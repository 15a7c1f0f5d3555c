//===- Awq.h - activation-aware weight scaling (AWQ) ------------*- C++ -*-===//
//
// AWQ (Lin et al., 2023; ../shared/ALGORITHMS.md, "AWQ-style activation-aware
// scaling"): the layers reading one activation x (q/k/v, gate/up) multiply
// their weight rows by s_k = mean|x_k|^alpha before rounding and divide x by
// s, which protects the rows that meet large activations. alpha is searched
// on a grid to minimise the layers' output error
// E || x W - (x / s) Q(diag(s) W) ||^2 = tr(D^T H D), D = W - Q(diag(s) W) / s,
// H = E[x x^T]: the calibrated second moment replaces the paper's cache of
// input rows exactly (the error is a quadratic form in x). Plain C++.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_AWQ_H
#define QUANTC_PASSES_ALGORITHMS_AWQ_H

#include <cstdint>
#include <functional>
#include <vector>

namespace quantc::algorithms {

/// The dequantized result of quantizing a K x N row-major weight diag(s) W
/// with the caller's scheme (bits, groups, clipping); `s` lets a weighted
/// clip search weight row k by the statistics of x_k / s_k.
using RoundTrip =
    std::function<std::vector<float>(const std::vector<float> &w, int64_t k,
                                     int64_t n, const std::vector<float> &s)>;

/// One layer reading the shared activation: its K x `cols` weight.
struct AwqLayer {
  const float *weights;
  int64_t cols;
};

struct AwqChoice {
  double alpha = 0;          // 0: no scaling (s = 1)
  std::vector<float> scales; // s, K values (all 1 for alpha = 0)
  double error = 0;          // the layers' summed tr(D^T H D) at alpha
  double unscaledError = 0;  // the same at alpha = 0 (plain rounding)
};

/// Searches alpha in {0, 1/grid, ..., 1}: s_k = max(meanAbs_k, 1e-4 max)^alpha
/// normalised so that max(s) min(s) = 1 (as the paper does), keeping the
/// alpha with the least summed output error (ties keep the smaller alpha,
/// so the result is never worse than plain rounding by this measure).
/// `gram` is H, K x K row-major.
AwqChoice searchAwqScales(const std::vector<AwqLayer> &layers, int64_t k,
                          const float *meanAbs, const float *gram,
                          const RoundTrip &roundTrip, int grid = 20);

/// tr((W - What)^T H (W - What)) for K x N row-major W, What and K x K H.
double outputError(const float *w, const float *what, int64_t k, int64_t n,
                   const float *gram);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_AWQ_H
