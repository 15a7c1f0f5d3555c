//===- Comparison.h - accuracy of an output against a reference -*- C++ -*-===//
//
// ../shared/ALGORITHMS.md, "Measuring the result": SQNR in dB
// (10 log10(|y|^2 / |y - y^|^2)), cosine similarity, max abs error and
// top-1 agreement (argmax over the last dimension), accumulated over every
// run so that the figures describe the whole evaluation set.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_COMPARISON_H
#define QUANTC_TOOLS_DRIVER_COMPARISON_H

#include "tools/driver/TensorFiles.h"

#include <string>

namespace quantc {

class OutputComparison {
public:
  explicit OutputComparison(std::string name) : name_(std::move(name)) {}

  /// Adds one run's output and its reference (same dtype and shape; float
  /// outputs are compared numerically, others for exact equality).
  llvm::Error add(const HostTensor &value, const HostTensor &reference);

  const std::string &name() const { return name_; }
  double sqnrDb() const; // +inf when identical
  double cosine() const;
  double maxAbsError() const { return maxAbs_; }
  double top1Agreement() const; // fraction of rows whose argmax agrees
  int64_t rows() const { return rows_; }

private:
  std::string name_;
  double signal_ = 0, noise_ = 0, dot_ = 0, valueNorm_ = 0, maxAbs_ = 0;
  int64_t rows_ = 0, agree_ = 0;
};

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_COMPARISON_H
