//===- Requantize.cpp - int32 accumulators back to int8 -------------------===//

#include "passes/algorithms/Requantize.h"

#include <algorithm>
#include <cassert>
#include <cmath>

using namespace quantc::algorithms;

FixedPointScale quantc::algorithms::toFixedPoint(double realScale) {
  assert(realScale >= 0 && realScale < 2147483648.0 && "scale out of range");
  FixedPointScale f;
  if (realScale == 0)
    return f;
  int exponent;
  double mantissa = std::frexp(realScale, &exponent); // in [0.5, 1)
  int64_t q = static_cast<int64_t>(std::llround(mantissa * (1ll << 31)));
  if (q == (1ll << 31)) { // rounding reached 1.0
    q /= 2;
    ++exponent;
  }
  f.multiplier = static_cast<int32_t>(q);
  f.shift = -exponent;
  return f;
}

int32_t quantc::algorithms::requantize(int32_t acc, FixedPointScale scale,
                                       int32_t zeroPoint, int32_t qmin,
                                       int32_t qmax) {
  // acc * multiplier / 2^(31 + shift), rounded half away from zero, exact
  // in 128-bit arithmetic (no intermediate rounding).
  __int128 product = static_cast<__int128>(acc) * scale.multiplier;
  int total = 31 + scale.shift;
  __int128 rounded;
  if (total <= 0) {
    // Scales of 1 or more: |acc| * 2^31 * 2^-total stays below 2^94.
    rounded = product * (static_cast<__int128>(1) << -total);
  } else if (total >= 120) {
    rounded = 0;
  } else {
    __int128 half = static_cast<__int128>(1) << (total - 1);
    __int128 magnitude = product < 0 ? -product : product;
    __int128 q = (magnitude + half) >> total;
    rounded = product < 0 ? -q : q;
  }
  __int128 y = rounded + zeroPoint;
  return static_cast<int32_t>(std::clamp<__int128>(
      y, static_cast<__int128>(qmin), static_cast<__int128>(qmax)));
}
