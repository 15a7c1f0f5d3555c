//===- CompileCommand.cpp - `quantc compile` ------------------------------===//

#include "tools/quantc/Commands.h"
#include "tools/quantc/Compiler.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
cl::SubCommand compileCmd(
    "compile", "Compile an ONNX model or qc MLIR into a loadable artifact");

cl::opt<std::string> inputPath(cl::Positional,
                               cl::desc("MODEL.onnx|MODEL.mlir|MODEL.mlirbc"),
                               cl::Required, cl::sub(compileCmd));
cl::opt<std::string> outputPath(
    "o", cl::desc("Output shared library (MODEL.so); MODEL.h is written "
                  "beside it"),
    cl::value_desc("MODEL.so"), cl::Required, cl::sub(compileCmd));
cl::opt<std::string> target("target", cl::desc("Target: cpu"),
                            cl::init("cpu"), cl::sub(compileCmd));
cl::opt<std::string>
    mcpu("mcpu", cl::desc("Target CPU (default: this machine's, with its "
                          "feature list)"),
         cl::sub(compileCmd));
cl::opt<std::string> mattr("mattr",
                           cl::desc("Extra target features, e.g. -avx512f"),
                           cl::sub(compileCmd));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::init(3), cl::Prefix, cl::sub(compileCmd));
cl::opt<bool> noHeader("no-header", cl::desc("Do not write MODEL.h"),
                       cl::sub(compileCmd));
cl::opt<bool> emitLLVM("keep-llvm-ir",
                       cl::desc("Also write the optimized LLVM IR as "
                                "MODEL.so.ll"),
                       cl::sub(compileCmd));
cl::opt<bool> printPipeline(
    "print-pipeline",
    cl::desc("Print the pass pipeline as a quant-opt command line"),
    cl::sub(compileCmd));
cl::opt<bool> verifyEach("verify-each",
                         cl::desc("Verify the IR after every pass (default "
                                  "on; --verify-each=false saves time)"),
                         cl::init(true), cl::sub(compileCmd));
} // namespace

bool quantc::isCompileCommand() { return static_cast<bool>(compileCmd); }

int quantc::runCompile(MLIRContext &context) {
  if (target != "cpu") {
    llvm::errs() << "quantc: error: unknown target '" << target
                 << "' (available: cpu)\n";
    return 1;
  }
  std::string error;
  OwningOpRef<ModuleOp> module = loadModule(context, inputPath, error);
  if (!module) {
    llvm::errs() << "quantc: error: " << inputPath << ": " << error << "\n";
    return 1;
  }
  CompileOptions options;
  options.emit.cpu = mcpu;
  options.emit.features = mattr;
  options.emit.optLevel = optLevel;
  options.emit.keepLLVMIR = emitLLVM;
  options.writeHeader = !noHeader;
  options.printPipeline = printPipeline;
  options.verifyEach = verifyEach;
  if (failed(compileForCpu(*module, outputPath, options, error))) {
    llvm::errs() << "quantc: error: " << inputPath << ": " << error << "\n";
    return 1;
  }
  return 0;
}
