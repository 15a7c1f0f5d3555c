//===- Commands.h - quantc subcommands --------------------------*- C++ -*-===//

#ifndef QUANTC_TOOLS_QUANTC_COMMANDS_H
#define QUANTC_TOOLS_QUANTC_COMMANDS_H

#include "dialects/qc/IR/QcAttrs.h"

#include "llvm/Support/CommandLine.h"

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace quantc {

/// `quantc import`: each subcommand's options are registered by its own file;
/// `is...Command` says whether the command line selected it.
bool isImportCommand();
int runImport(mlir::MLIRContext &context);
bool isCompileCommand();
int runCompile(mlir::MLIRContext &context);
bool isCalibrateCommand();
int runCalibrate(mlir::MLIRContext &context);
bool isRunCommand();
int runRun();
bool isConformanceCommand();
int runConformance();
bool isDevicesCommand();
int runDevices();
bool isEvalCommand();
int runEval(mlir::MLIRContext &context);
bool isSensitivityCommand();
int runSensitivity(mlir::MLIRContext &context);

/// `--dim`'s help, the same in every command that imports an ONNX model.
inline constexpr const char *kDimHelp =
    "Fix a dynamic input size (repeatable): NAME is a dim_param, or "
    "INPUT:AXIS. The model is compiled for that size only; shape "
    "arithmetic and conditions on it are decided at compile time";

/// The calibration observers, as `--observer` takes them (calibrate and
/// compile).
inline auto observerValues() {
  using mlir::qc::ObserverKind;
  return llvm::cl::values(
      clEnumValN(ObserverKind::MinMax, "minmax", "the extrema (default)"),
      clEnumValN(ObserverKind::Percentile, "percentile",
                 "a symmetric clip at --percentile of |x|"),
      clEnumValN(ObserverKind::Mse, "mse",
                 "the clip that minimizes the int8 grid's squared error"),
      clEnumValN(ObserverKind::Kl, "kl",
                 "the clip that minimizes the KL divergence (TensorRT)"));
}

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_COMMANDS_H
