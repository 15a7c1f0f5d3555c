//===- Calibration.h - observer statistics from compiled runs ---*- C++ -*-===//
//
// Calibration compiles an instrumented copy of the model for the CPU (every
// qc.observe reports its tensor through the runtime), runs it over the
// samples and reduces each observed tensor into a fixed-size histogram, so
// memory does not grow with the number of samples. The ranges go to a
// quantc-stats JSON file (the format qc-apply-stats reads).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_QUANTC_CALIBRATION_H
#define QUANTC_TOOLS_QUANTC_CALIBRATION_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace quantc {

struct CalibrationOptions {
  std::string observer = "minmax"; // minmax | percentile | mse | kl
  double percentile = 99.99;       // for `percentile`, in percent
  unsigned bits = 8;               // grid the mse and kl observers fit
  unsigned window = 256;           // ids per window for token models
  int threads = 0;                 // 0: the runtime's default
  /// One sample per entry: FILE (.npy/.pb) for a single-input model (an
  /// int64 ids file is cut into windows), or NAME=FILE[,NAME=FILE...].
  std::vector<std::string> samples;
};

/// Whether `name` is one of the observer kinds above.
bool isObserverKind(llvm::StringRef name);

/// Runs calibration on `module` (which must already hold its qc.observe
/// ops; it is not modified) and writes the stats file. Returns false with a
/// one-line `error`.
bool calibrate(mlir::ModuleOp module, const CalibrationOptions &options,
               llvm::StringRef statsPath, std::string &error);

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_CALIBRATION_H
