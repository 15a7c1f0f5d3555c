//===- Comparison.cpp - accuracy of an output against a reference ---------===//

#include "tools/driver/Comparison.h"

#include "tools/driver/Support.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace quantc;

/// Element `i` of a float tensor as double; false for other dtypes.
static bool readFloats(const HostTensor &t, std::vector<double> &out) {
  int64_t n = t.numElements();
  out.resize(n);
  switch (t.dtype) {
  case QUANTC_DTYPE_FLOAT: {
    const auto *p = reinterpret_cast<const float *>(t.data.data());
    for (int64_t i = 0; i < n; ++i)
      out[i] = p[i];
    return true;
  }
  case QUANTC_DTYPE_DOUBLE: {
    const auto *p = reinterpret_cast<const double *>(t.data.data());
    for (int64_t i = 0; i < n; ++i)
      out[i] = p[i];
    return true;
  }
  default:
    return false;
  }
}

llvm::Error OutputComparison::add(const HostTensor &value,
                                  const HostTensor &reference) {
  if (value.dtype != reference.dtype || value.shape != reference.shape)
    return makeError("output '" + name_ +
                     "' differs from the reference in dtype or "
                     "shape");
  std::vector<double> y, r;
  if (!readFloats(value, y) || !readFloats(reference, r)) {
    // Integer and boolean outputs: exact agreement counts as one row each.
    bool same = value.data == reference.data;
    ++rows_;
    agree_ += same;
    if (!same)
      noise_ = maxAbs_ = std::numeric_limits<double>::infinity();
    return llvm::Error::success();
  }
  for (size_t i = 0; i < y.size(); ++i) {
    double e = y[i] - r[i];
    signal_ += r[i] * r[i];
    noise_ += e * e;
    dot_ += y[i] * r[i];
    valueNorm_ += y[i] * y[i];
    maxAbs_ = std::max(maxAbs_, std::fabs(e));
  }
  int64_t last = value.shape.empty() ? 1 : value.shape.back();
  if (last <= 0)
    return llvm::Error::success();
  for (size_t row = 0; row + last <= y.size(); row += last) {
    size_t best = row, bestRef = row;
    for (size_t i = row; i < row + last; ++i) {
      if (y[i] > y[best])
        best = i;
      if (r[i] > r[bestRef])
        bestRef = i;
    }
    ++rows_;
    agree_ += best == bestRef;
  }
  return llvm::Error::success();
}

double OutputComparison::sqnrDb() const {
  if (noise_ == 0)
    return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal_ / noise_);
}

double OutputComparison::cosine() const {
  double denom = std::sqrt(signal_) * std::sqrt(valueNorm_);
  return denom == 0 ? (signal_ == valueNorm_ ? 1.0 : 0.0) : dot_ / denom;
}

double OutputComparison::top1Agreement() const {
  return rows_ ? static_cast<double>(agree_) / rows_ : 1.0;
}
