//===- UniformQuant.h - uniform quantization arithmetic ---------*- C++ -*-===//
//
// The base of every weight and activation scheme (../shared/ALGORITHMS.md,
// "Uniform quantization"): q = clamp(round(x / s) + z, qmin, qmax),
// x^ = s * (q - z). Plain C++ without MLIR, so gtest checks it directly.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_UNIFORMQUANT_H
#define QUANTC_PASSES_ALGORITHMS_UNIFORMQUANT_H

#include <cstdint>
#include <vector>

namespace quantc::algorithms {

/// The integer range of a `bits`-bit signed grid: [-2^(b-1), 2^(b-1) - 1].
struct QuantRange {
  int32_t qmin, qmax;
  static QuantRange signedBits(unsigned bits);
};

struct QuantParams {
  float scale = 1.0f;
  int32_t zeroPoint = 0;
};

/// Scale and zero point covering [min, max] (widened to include 0, so that
/// zero padding is exact). Symmetric: z = 0, s = max(|min|, |max|) / qmax.
/// Asymmetric: s = (max - min) / (qmax - qmin), z = qmin - round(min / s).
/// A range of width 0 gets scale 1 (every value is exactly representable
/// as the zero point then).
QuantParams chooseParams(float min, float max, QuantRange range,
                         bool symmetric);

/// The parameters for `count` values (`stride` apart) that minimise the
/// squared reconstruction error sum (x - dequantize(quantize(x)))^2 over
/// clipped ranges: ratio r times the full range (symmetric: [-r b, r b]
/// with b = max|x|; asymmetric: [r min, r max]) for r = 1, 0.99, ..., 0.5.
/// Ties keep the larger r; r = 1 is chooseParams' result, so the error
/// never exceeds RTN's.
/// `importance`, when given, weights value i's squared error by
/// importance[i] (e.g. the mean x^2 of the input channel the weight meets:
/// diag(X^T X) up to a constant).
QuantParams chooseMseParams(const float *values, int64_t count, int64_t stride,
                            QuantRange range, bool symmetric,
                            const float *importance = nullptr);

/// round-half-to-even(x / s) + z, saturated to the range.
int32_t quantize(float x, QuantParams p, QuantRange range);
inline float dequantize(int32_t q, QuantParams p) {
  return p.scale * static_cast<float>(q - p.zeroPoint);
}

/// How weights share scales. Weights are row-major W[K][N] (Y = X * W): a
/// channel is a column n; a group is `groupSize` consecutive rows of one
/// column, the last group of a column holding the K % groupSize rest.
enum class Granularity { PerTensor, PerChannel, PerGroup };

/// The granularity a weight pass's group size means for K rows: -1 per
/// tensor, 0 (or a group of at least K rows) per channel, else groups.
Granularity granularityFor(int64_t groupSize, int64_t rows);
/// Rows per scale for that granularity (K unless group-wise).
inline int64_t rowsPerScale(int64_t groupSize, int64_t rows) {
  return granularityFor(groupSize, rows) == Granularity::PerGroup ? groupSize
                                                                  : rows;
}

/// Round-to-nearest quantization of W[K][N].
struct QuantizedWeights {
  int64_t rows = 0, cols = 0; // K, N
  int64_t groupSize = 0;      // rows per scale (K for per-channel/tensor)
  Granularity granularity = Granularity::PerTensor;
  std::vector<int8_t> values;      // K * N, row-major, in [qmin, qmax]
  std::vector<QuantParams> params; // [numGroups][N] (one entry per tensor)

  int64_t numGroups() const;
  /// The parameters that scale element (k, n).
  const QuantParams &paramsAt(int64_t k, int64_t n) const;
  float dequantized(int64_t k, int64_t n) const {
    return dequantize(values[k * cols + n], paramsAt(k, n));
  }
  /// Every element dequantized, K x N row-major.
  std::vector<float> dequantizedAll() const {
    std::vector<float> out(rows * cols);
    for (int64_t k = 0; k < rows; ++k)
      for (int64_t n = 0; n < cols; ++n)
        out[k * cols + n] = dequantized(k, n);
    return out;
  }
};

/// How the range of each scale's values is chosen: their min/max, or the
/// MSE-optimal clipping of it (chooseMseParams).
enum class RangeChoice { MinMax, Mse };

/// With RangeChoice::Mse, `rowImportance` (one per row k, or null) weights
/// each weight's squared error in the search.
QuantizedWeights quantizeRTN(const float *weights, int64_t rows, int64_t cols,
                             unsigned bits, Granularity granularity,
                             int64_t groupSize, bool symmetric,
                             RangeChoice choice = RangeChoice::MinMax,
                             const float *rowImportance = nullptr);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_UNIFORMQUANT_H
