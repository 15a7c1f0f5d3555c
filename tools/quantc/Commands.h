//===- Commands.h - quantc subcommands --------------------------*- C++ -*-===//

#ifndef QUANTC_TOOLS_QUANTC_COMMANDS_H
#define QUANTC_TOOLS_QUANTC_COMMANDS_H

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

} // namespace quantc

#endif // QUANTC_TOOLS_QUANTC_COMMANDS_H
