//===- Requantize.h - int32 accumulators back to int8 -----------*- C++ -*-===//
//
// y = saturate(round(acc * realScale) + zeroPoint), with realScale =
// sx * sw / sy expressed as a Q31 fixed-point multiplier and a right shift
// (the gemmlowp/TFLite form integer kernels use). Rounding is half away
// from zero, in both the fixed-point multiply and the shift, so that it
// matches `std::round(acc * realScale)` up to the multiplier's precision.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_PASSES_ALGORITHMS_REQUANTIZE_H
#define QUANTC_PASSES_ALGORITHMS_REQUANTIZE_H

#include <cstdint>

namespace quantc::algorithms {

/// realScale = multiplier * 2^-31 * 2^-shift, multiplier in [2^30, 2^31).
struct FixedPointScale {
  int32_t multiplier = 0;
  int32_t shift = 0; // right shift, >= 0 for scales below 1
};

/// Fixed-point form of a positive scale below 2^31. Zero gives multiplier 0.
FixedPointScale toFixedPoint(double realScale);

/// round(acc * scale) + zeroPoint, saturated to [qmin, qmax].
int32_t requantize(int32_t acc, FixedPointScale scale, int32_t zeroPoint,
                   int32_t qmin, int32_t qmax);

} // namespace quantc::algorithms

#endif // QUANTC_PASSES_ALGORITHMS_REQUANTIZE_H
