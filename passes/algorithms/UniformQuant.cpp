//===- UniformQuant.cpp - uniform quantization arithmetic -----------------===//

#include "passes/algorithms/UniformQuant.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace quantc::algorithms;

QuantRange QuantRange::signedBits(unsigned bits) {
  assert(bits >= 2 && bits <= 16 && "supported widths are 2..16 bits");
  int32_t half = int32_t(1) << (bits - 1);
  return {-half, half - 1};
}

QuantParams quantc::algorithms::chooseParams(float min, float max,
                                             QuantRange range, bool symmetric) {
  min = std::min(min, 0.0f);
  max = std::max(max, 0.0f);
  QuantParams p;
  if (symmetric) {
    float bound = std::max(-min, max);
    p.scale = bound > 0 ? bound / static_cast<float>(range.qmax) : 1.0f;
    p.zeroPoint = 0;
    return p;
  }
  float width = max - min;
  if (!(width > 0))
    return p; // scale 1, zero point 0: only zeros were seen
  p.scale = width / static_cast<float>(range.qmax - range.qmin);
  float z = static_cast<float>(range.qmin) - std::nearbyint(min / p.scale);
  p.zeroPoint = static_cast<int32_t>(std::clamp(
      z, static_cast<float>(range.qmin), static_cast<float>(range.qmax)));
  return p;
}

QuantParams quantc::algorithms::chooseMseParams(const float *values,
                                                int64_t count, int64_t stride,
                                                QuantRange range,
                                                bool symmetric,
                                                const float *importance) {
  float lo = 0.0f, hi = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    lo = std::min(lo, values[i * stride]);
    hi = std::max(hi, values[i * stride]);
  }
  QuantParams best;
  double bestError = 0;
  // r = 1 first: a clipped range must be strictly better to be taken.
  for (int step = 0; step <= 50; ++step) {
    float r = 1.0f - 0.01f * static_cast<float>(step);
    QuantParams p = chooseParams(r * lo, r * hi, range, symmetric);
    double error = 0;
    for (int64_t i = 0; i < count; ++i) {
      float x = values[i * stride];
      double d = double(x) - double(dequantize(quantize(x, p, range), p));
      error += (importance ? double(importance[i]) : 1.0) * d * d;
    }
    if (step == 0 || error < bestError) {
      best = p;
      bestError = error;
    }
  }
  return best;
}

int32_t quantc::algorithms::quantize(float x, QuantParams p, QuantRange range) {
  // nearbyint rounds half to even in the default rounding mode.
  float q = std::nearbyint(x / p.scale) + static_cast<float>(p.zeroPoint);
  if (!(q >= static_cast<float>(range.qmin))) // also catches NaN
    return std::isnan(q) ? p.zeroPoint : range.qmin;
  if (q > static_cast<float>(range.qmax))
    return range.qmax;
  return static_cast<int32_t>(q);
}

int64_t QuantizedWeights::numGroups() const {
  return groupSize > 0 ? (rows + groupSize - 1) / groupSize : 1;
}

const QuantParams &QuantizedWeights::paramsAt(int64_t k, int64_t n) const {
  switch (granularity) {
  case Granularity::PerTensor:
    return params[0];
  case Granularity::PerChannel:
    return params[n];
  case Granularity::PerGroup:
    break;
  }
  return params[(k / groupSize) * cols + n];
}

QuantizedWeights quantc::algorithms::quantizeRTN(
    const float *w, int64_t rows, int64_t cols, unsigned bits,
    Granularity granularity, int64_t groupSize, bool symmetric,
    RangeChoice choice, const float *rowImportance) {
  assert(bits >= 2 && bits <= 8 && "weights are stored as int8");
  QuantRange range = QuantRange::signedBits(bits);
  QuantizedWeights q;
  q.rows = rows;
  q.cols = cols;
  q.granularity = granularity;
  q.groupSize = granularity == Granularity::PerGroup ? groupSize : rows;
  assert(q.groupSize > 0 && "group size must be positive");
  q.values.resize(rows * cols);

  // Ranges per (group, column), or one for the tensor.
  int64_t groups = q.numGroups();
  int64_t slots = granularity == Granularity::PerTensor ? 1 : groups * cols;
  std::vector<float> lo(slots, 0.0f), hi(slots, 0.0f);
  auto slotOf = [&](int64_t k, int64_t n) -> int64_t {
    return granularity == Granularity::PerTensor ? 0
                                                 : (k / q.groupSize) * cols + n;
  };
  for (int64_t k = 0; k < rows; ++k)
    for (int64_t n = 0; n < cols; ++n) {
      int64_t s = slotOf(k, n);
      float v = w[k * cols + n];
      lo[s] = std::min(lo[s], v);
      hi[s] = std::max(hi[s], v);
    }
  q.params.resize(slots);
  if (choice == RangeChoice::Mse) {
    // Each slot's values: the tensor, or rows [g * groupSize, ...) of
    // column n (stride cols).
    for (int64_t s = 0; s < slots; ++s) {
      if (granularity == Granularity::PerTensor) {
        // Row k's importance for each of its cols values.
        std::vector<float> importance;
        if (rowImportance)
          for (int64_t k = 0; k < rows; ++k)
            importance.insert(importance.end(), cols, rowImportance[k]);
        q.params[s] =
            chooseMseParams(w, rows * cols, 1, range, symmetric,
                            rowImportance ? importance.data() : nullptr);
        continue;
      }
      int64_t g = s / cols, n = s % cols;
      int64_t first = g * q.groupSize;
      int64_t count = std::min(q.groupSize, rows - first);
      q.params[s] =
          chooseMseParams(w + first * cols + n, count, cols, range, symmetric,
                          rowImportance ? rowImportance + first : nullptr);
    }
  } else {
    for (int64_t s = 0; s < slots; ++s)
      q.params[s] = chooseParams(lo[s], hi[s], range, symmetric);
  }
  for (int64_t k = 0; k < rows; ++k)
    for (int64_t n = 0; n < cols; ++n)
      q.values[k * cols + n] = static_cast<int8_t>(
          quantize(w[k * cols + n], q.params[slotOf(k, n)], range));
  return q;
}

Granularity quantc::algorithms::granularityFor(int64_t groupSize,
                                               int64_t rows) {
  if (groupSize == -1)
    return Granularity::PerTensor;
  return groupSize == 0 || groupSize >= rows ? Granularity::PerChannel
                                             : Granularity::PerGroup;
}
