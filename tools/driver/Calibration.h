//===- Calibration.h - observer statistics from compiled runs ---*- C++ -*-===//
//
// Calibration compiles an instrumented copy of the model for the CPU (every
// qc.observe reports its tensor through the runtime), runs it over the
// samples and reduces each observed tensor into a fixed-size histogram, so
// memory does not grow with the number of samples. The ranges go to a
// quantc-stats file (passes/StatsFile.h, the format qc-apply-stats reads).
// Part of the driver library (QuantcDriver).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_TOOLS_DRIVER_CALIBRATION_H
#define QUANTC_TOOLS_DRIVER_CALIBRATION_H

#include "dialects/qc/IR/QcAttrs.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace quantc {

struct CalibrationOptions {
  mlir::qc::ObserverKind observer = mlir::qc::ObserverKind::MinMax;
  double percentile = 99.99; // for `percentile`, in percent
  unsigned bits = 8;         // grid the mse and kl observers fit
  unsigned window = 256;     // ids per window for token models
  int threads = 0;           // 0: the runtime's default
  /// Also gather E[x x^T] per observed tensor (K x K each; GPTQ's Hessian)
  /// into the stats file's gram side file.
  bool grams = false;
  /// With `grams`: only for these observers (empty: all).
  std::vector<std::string> gramTensors;
  /// Also keep a uniform sample of this many rows of every observed tensor
  /// (0: none), for searches that need real rows (qc-smooth-outliers).
  int64_t rowSamples = 0;
  /// One sample per entry: FILE (.npy/.pb) for a single-input model (an
  /// int64 ids file is cut into windows), or NAME=FILE[,NAME=FILE...].
  std::vector<std::string> samples;
};

/// Inserts the observers calibration fills (qc-insert-observers): on the
/// activations weight matmuls and convolutions read, and with
/// `activationProducts` also on matmuls of two activations.
llvm::Error insertObservers(mlir::ModuleOp module, bool activationProducts);

/// Runs calibration on `module` (which must already hold its qc.observe
/// ops; it is not modified) and writes the stats file.
llvm::Error calibrate(mlir::ModuleOp module, const CalibrationOptions &options,
                      llvm::StringRef statsPath);

} // namespace quantc

#endif // QUANTC_TOOLS_DRIVER_CALIBRATION_H
