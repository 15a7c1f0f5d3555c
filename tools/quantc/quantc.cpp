//===- quantc.cpp - the quantc driver -------------------------------------===//
//
// One binary, one subcommand per job:
//   quantc import MODEL.onnx -o OUT.mlir|OUT.mlirbc|- [--summary]
//   quantc compile MODEL.onnx|MODEL.mlir --target cpu|vulkan -o MODEL.so
//   quantc run MODEL.so --input NAME=FILE ... [--output-dir DIR]
//   quantc conformance [DIR...] [--jobs N] [--json OUT]
//   quantc eval MODEL.so --perplexity IDS.npy [--window 256]
//   quantc devices [--target vulkan]
//
//===----------------------------------------------------------------------===//

#include "tools/quantc/Commands.h"

#include "tools/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::cl::HideUnrelatedOptions({});
  // LLVM's parser reports an unknown subcommand without "error" and
  // continues with a usage line; say it as every other error is said.
  if (argc > 1 && argv[1][0] != '-') {
    std::string known;
    bool found = false;
    for (llvm::cl::SubCommand *sub : llvm::cl::getRegisteredSubcommands()) {
      if (sub->getName().empty())
        continue;
      found |= sub->getName() == argv[1];
      known += (known.empty() ? "" : ", ") + sub->getName().str();
    }
    if (!found) {
      llvm::errs() << "quantc: error: unknown subcommand '" << argv[1]
                   << "' (available: " << known << ")\n";
      return 1;
    }
  }
  if (!llvm::cl::ParseCommandLineOptions(
          argc, argv,
          "quantc: a quantizing compiler for ONNX models\n\n"
          "  quantc import MODEL.onnx -o OUT.mlir   import into the qc "
          "dialect\n"
          "  quantc calibrate MODEL.onnx --data SAMPLE... -o stats.json\n"
          "                                         record activation ranges\n"
          "  quantc compile MODEL.onnx -o MODEL.so [--scheme w4a16 ...]\n"
          "                                         compile, --target "
          "cpu|vulkan\n"
          "  quantc run MODEL.so --input NAME=FILE  run a compiled model\n"
          "  quantc conformance [DIR...]            run ONNX backend tests\n"
          "  quantc eval MODEL.so --perplexity IDS [--reference REF]\n"
          "                                         perplexity, accuracy vs. "
          "REF\n"
          "  quantc sensitivity MODEL.onnx --calib SAMPLE... -o sens.json\n"
          "                                         per-layer loss "
          "sensitivity\n"
          "  quantc devices                         the CPU and Vulkan device\n"
          "\nRun 'quantc SUBCOMMAND --help' for a subcommand's options.\n",
          &llvm::errs()))
    return 1;

  mlir::DialectRegistry registry;
  mlir::qc::registerAllDialects(registry);
  // Pipelines are built partly from textual upstream pass lists.
  mlir::qc::registerAllPasses();
  mlir::MLIRContext context(registry);
  // Imports of large models run faster without the context's thread pool
  // when nothing is parallel yet; keep it simple and deterministic.
  context.disableMultithreading();

  if (quantc::isImportCommand())
    return quantc::runImport(context);
  if (quantc::isCompileCommand())
    return quantc::runCompile(context);
  if (quantc::isCalibrateCommand())
    return quantc::runCalibrate(context);
  if (quantc::isRunCommand())
    return quantc::runRun();
  if (quantc::isConformanceCommand())
    return quantc::runConformance();
  if (quantc::isDevicesCommand())
    return quantc::runDevices();
  if (quantc::isEvalCommand())
    return quantc::runEval(context);
  if (quantc::isSensitivityCommand())
    return quantc::runSensitivity(context);
  llvm::errs() << "quantc: error: no subcommand given; see 'quantc --help'\n";
  return 1;
}
