//===- ImportCommand.cpp - `quantc import` --------------------------------===//

#include "tools/quantc/Commands.h"

#include "frontends/onnx/OnnxImporter.h"
#include "tools/driver/Compiler.h"
#include "tools/driver/Support.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
cl::SubCommand importCmd("import", "Import an ONNX model into the qc dialect");

cl::opt<std::string> inputPath(cl::Positional, cl::desc("MODEL.onnx"),
                               cl::Required, cl::sub(importCmd));
cl::opt<std::string>
    outputPath("o",
               cl::desc("Output file: .mlir (text), .mlirbc (bytecode, keeps "
                        "weights compactly) or - (text to stdout)"),
               cl::value_desc("OUT"), cl::sub(importCmd));
cl::opt<bool> summary("summary",
                      cl::desc("Print a summary of the imported IR: inputs, "
                               "outputs, op counts and weight bytes"),
                      cl::sub(importCmd));
cl::opt<bool> keepWeights(
    "keep-weights",
    cl::desc("Keep weight blobs in text output (by default blobs over 1 KiB "
             "are elided from text; bytecode always keeps them)"),
    cl::sub(importCmd));
cl::opt<bool> debugInfo("debug-info",
                        cl::desc("Print locations (ONNX node names) in text"),
                        cl::sub(importCmd));
cl::list<std::string> dims("dim", cl::desc(quantc::kDimHelp),
                           cl::value_desc("NAME=SIZE"), cl::sub(importCmd));

constexpr int64_t kElideLimitBytes = 1024;

void printSummary(ModuleOp module, llvm::raw_ostream &os) {
  auto func = *module.getOps<func::FuncOp>().begin();
  os << "model:   " << inputPath;
  if (auto name = module->getAttrOfType<StringAttr>("onnx.graph_name"))
    os << " (graph '" << name.getValue() << "')";
  if (auto opset = module->getAttrOfType<IntegerAttr>("onnx.opset"))
    os << ", opset " << opset.getInt();
  os << "\n";
  auto printValues = [&](StringRef what, TypeRange types,
                         function_ref<DictionaryAttr(unsigned)> attrs) {
    for (auto [i, type] : llvm::enumerate(types)) {
      auto name = attrs(i) ? attrs(i).getAs<StringAttr>("onnx.name") : nullptr;
      os << what << (name ? name.getValue() : StringRef("?")) << ": " << type
         << "\n";
    }
  };
  printValues("input:   ", func.getArgumentTypes(),
              [&](unsigned i) { return func.getArgAttrDict(i); });
  printValues("output:  ", func.getResultTypes(),
              [&](unsigned i) { return func.getResultAttrDict(i); });

  llvm::MapVector<StringRef, int64_t> counts;
  int64_t weightElements = 0, weightBytes = 0, weightTensors = 0;
  func.walk([&](Operation *op) {
    counts[op->getName().getStringRef()]++;
    for (NamedAttribute attr : op->getAttrs()) {
      auto resource = dyn_cast<DenseResourceElementsAttr>(attr.getValue());
      if (!resource)
        continue;
      ++weightTensors;
      weightElements += resource.getType().getNumElements();
      if (AsmResourceBlob *blob = resource.getRawHandle().getBlob())
        weightBytes += blob->getData().size();
    }
  });
  os << "weights: " << weightTensors << " tensors, " << weightElements
     << " elements, " << weightBytes << " bytes\n";
  int64_t total = 0;
  for (auto &[name, count] : counts)
    total += count;
  os << "ops:     " << total << "\n";
  SmallVector<std::pair<StringRef, int64_t>> sorted(counts.begin(),
                                                    counts.end());
  llvm::sort(sorted, [](auto &a, auto &b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  for (auto &[name, count] : sorted)
    os << llvm::format("  %6lld  ", static_cast<long long>(count)) << name
       << "\n";
}

/// True if any resource blob is larger than the elision limit.
bool hasLargeBlob(ModuleOp module) {
  bool large = false;
  module.walk([&](Operation *op) {
    for (NamedAttribute attr : op->getAttrs())
      if (auto r = dyn_cast<DenseResourceElementsAttr>(attr.getValue()))
        if (AsmResourceBlob *blob = r.getRawHandle().getBlob())
          large |=
              static_cast<int64_t>(blob->getData().size()) > kElideLimitBytes;
  });
  return large;
}
} // namespace

bool quantc::isImportCommand() { return static_cast<bool>(importCmd); }

int quantc::runImport(MLIRContext &context) {
  if (outputPath.empty() && !summary) {
    llvm::errs() << "quantc: error: import needs -o OUT or --summary\n";
    return 1;
  }
  if (!outputPath.empty())
    if (llvm::Error e = checkNotAnInput(outputPath, {inputPath})) {
      llvm::errs() << "quantc: error: " << llvm::toString(std::move(e)) << "\n";
      return 1;
    }
  llvm::Expected<qc::onnx::ImportOptions> importOptions = parseDimSizes(dims);
  if (!importOptions) {
    llvm::errs() << "quantc: error: "
                 << llvm::toString(importOptions.takeError()) << "\n";
    return 1;
  }
  std::string error;
  OwningOpRef<ModuleOp> module =
      qc::onnx::importOnnxFile(&context, inputPath, error, *importOptions);
  if (!module) {
    llvm::errs() << "quantc: error: " << inputPath << ": " << error << "\n";
    return 1;
  }
  if (summary)
    printSummary(*module, llvm::outs());
  if (outputPath.empty())
    return 0;

  // Written to a temporary and renamed: no partial output on failure, and
  // an existing file stays as it was.
  llvm::Expected<PendingOutput> output = PendingOutput::create(outputPath);
  if (!output) {
    llvm::errs() << "quantc: error: " << llvm::toString(output.takeError())
                 << "\n";
    return 1;
  }
  if (StringRef(outputPath).ends_with(".mlirbc")) {
    if (failed(writeBytecodeToFile(*module, output->os()))) {
      llvm::errs() << "quantc: error: cannot write bytecode to " << outputPath
                   << "\n";
      return 1;
    }
  } else {
    OpPrintingFlags flags;
    if (debugInfo)
      flags.enableDebugInfo();
    if (!keepWeights && hasLargeBlob(*module)) {
      flags.elideLargeResourceString(kElideLimitBytes);
      llvm::errs() << "quantc: note: weight blobs over " << kElideLimitBytes
                   << " bytes are elided from text output; write .mlirbc or "
                      "pass --keep-weights to keep them\n";
    }
    module->print(output->os(), flags);
  }
  if (llvm::Error e = output->commit()) {
    llvm::errs() << "quantc: error: " << llvm::toString(std::move(e)) << "\n";
    return 1;
  }
  return 0;
}
