//===- quant-opt.cpp - quantc's mlir-opt ----------------------------------===//
//
// mlir-opt with the qc dialect, quantc's passes and pipelines, and the
// upstream dialects and passes those pipelines use.
//
//===----------------------------------------------------------------------===//

#include "tools/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::qc::registerAllDialects(registry);
  mlir::qc::registerAllPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "quantc optimizer driver: runs any pass pipeline on MLIR\n",
      registry));
}
