//===- Compiler.cpp - load, lower and emit: the driver's shared steps -----===//

#include "tools/quantc/Compiler.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/PackedWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include "backends/common/ModelSignature.h"
#include "backends/cpu/CpuPipeline.h"
#include "backends/vulkan/VulkanPipeline.h"
#include "frontends/onnx/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

namespace {

/// "node 'NAME'" for a location carrying an ONNX node name, else the
/// location as MLIR prints it.
std::string describe(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return "node '" + name.getName().str() + "'";
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations())
      if (isa<NameLoc>(l))
        return describe(l);
  if (isa<UnknownLoc>(loc))
    return "";
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  std::string s;
  llvm::raw_string_ostream os(s);
  os << loc;
  return s;
}

/// What the artifact reports about its weights: quantized matmul and
/// convolution weights as qc-lower-quantized stores them, and every float
/// tensor constant.
DictionaryAttr weightInfo(ModuleOp module) {
  int64_t quantizedParams = 0, quantizedBytes = 0, floatParams = 0,
          floatBytes = 0;
  module.walk([&](Operation *op) {
    if (auto mm = dyn_cast<qc::QuantizedMatmulOp>(op)) {
      auto rhs = cast<RankedTensorType>(mm.getRhs().getType());
      auto lhs = cast<RankedTensorType>(mm.getLhs().getType());
      quantizedParams += lhs.getShape().back() * rhs.getDimSize(1);
      quantizedBytes += qc::PackedWeightLayout::get(rhs).storageBytes();
    } else if (auto conv = dyn_cast<qc::QuantizedConvOp>(op)) {
      auto weight = cast<RankedTensorType>(conv.getWeight().getType());
      quantizedParams += weight.getNumElements();
      quantizedBytes += qc::quantizedConvBytes(weight);
    } else if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
      auto type = dyn_cast<RankedTensorType>(cst.getType());
      if (type && type.getRank() > 0 && type.hasStaticShape() &&
          isa<FloatType>(type.getElementType())) {
        floatParams += type.getNumElements();
        floatBytes += type.getNumElements() *
                      type.getElementType().getIntOrFloatBitWidth() / 8;
      }
    }
  });
  Builder b(module.getContext());
  return b.getDictionaryAttr(
      {b.getNamedAttr("quantized_params", b.getI64IntegerAttr(quantizedParams)),
       b.getNamedAttr("quantized_bytes", b.getI64IntegerAttr(quantizedBytes)),
       b.getNamedAttr("float_params", b.getI64IntegerAttr(floatParams)),
       b.getNamedAttr("float_bytes", b.getI64IntegerAttr(floatBytes))});
}

} // namespace

quantc::FirstError::FirstError(MLIRContext *ctx)
    : ScopedDiagnosticHandler(ctx, [this](Diagnostic &d) {
        if (d.getSeverity() == DiagnosticSeverity::Error && text.empty()) {
          std::string where = describe(d.getLocation());
          text = (where.empty() ? "" : where + ": ") + d.str();
          for (char &c : text)
            if (c == '\n')
              c = ' ';
        }
        return success();
      }) {}

bool quantc::TemporaryFile::create(StringRef prefix, StringRef suffix,
                                   std::string &error) {
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile(prefix, suffix, path)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  return true;
}

quantc::TemporaryFile::~TemporaryFile() {
  if (!path.empty())
    llvm::sys::fs::remove(path);
}

OwningOpRef<ModuleOp> quantc::loadModule(MLIRContext &context, StringRef path,
                                         std::string &error) {
  if (path.ends_with(".mlir") || path.ends_with(".mlirbc")) {
    FirstError diag(&context);
    llvm::SourceMgr sourceMgr;
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path);
    if (!buffer) {
      error = "cannot read: " + buffer.getError().message();
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      error = diag.text.empty() ? "cannot parse" : diag.text;
    return module;
  }
  return qc::onnx::importOnnxFile(&context, path.str(), error);
}

bool quantc::parseTarget(StringRef name, Target &target) {
  if (name == "cpu")
    target = Target::Cpu;
  else if (name == "vulkan")
    target = Target::Vulkan;
  else
    return false;
  return true;
}

LogicalResult quantc::compileModel(ModuleOp module, StringRef outputPath,
                                   const CompileOptions &options,
                                   std::string &error) {
  MLIRContext *ctx = module.getContext();
  FirstError diag(ctx);
  auto fail = [&](StringRef fallback) {
    error = diag.text.empty() ? fallback.str() : diag.text;
    return failure();
  };

  auto entry = module.lookupSymbol<func::FuncOp>("main");
  if (!entry)
    return fail("the module has no func.func @main");
  FailureOr<qc::ModelSignature> signature = qc::getModelSignature(entry);
  if (failed(signature))
    return fail("the entry function has an unsupported signature");

  module->setAttr("qc.weights", weightInfo(module));
  PassManager pm(ctx, ModuleOp::getOperationName());
  pm.enableVerifier(options.verifyEach);
  bool vulkan = options.target == Target::Vulkan;
  if (vulkan && options.instrumentObservers)
    return fail("calibration builds run on the CPU target only");
  if (vulkan) {
    qc::vulkan::VulkanPipelineOptions pipeline;
    pipeline.int8Storage = options.vulkanInt8Storage;
    pipeline.workgroupMemory = options.vulkanWorkgroupMemory;
    qc::vulkan::buildVulkanPipeline(pm, pipeline);
  } else {
    qc::cpu::CpuPipelineOptions pipeline;
    pipeline.instrumentObservers = options.instrumentObservers;
    qc::cpu::buildCpuPipeline(pm, pipeline);
  }
  if (options.printPipeline) {
    llvm::errs() << "quant-opt --pass-pipeline='";
    pm.printAsTextualPipeline(llvm::errs());
    llvm::errs() << "'\n";
  }
  if (failed(pm.run(module)))
    return fail(vulkan ? "the Vulkan pipeline failed"
                       : "the CPU pipeline failed");

  // The header first, to a temporary; both files appear only together.
  std::unique_ptr<llvm::ToolOutputFile> header;
  if (options.writeHeader) {
    SmallString<128> headerPath(outputPath);
    llvm::sys::path::replace_extension(headerPath, "h");
    std::error_code ec;
    header = std::make_unique<llvm::ToolOutputFile>(headerPath, ec,
                                                    llvm::sys::fs::OF_Text);
    if (ec)
      return fail(("cannot write " + headerPath + ": " + ec.message()).str());
    header->os() << qc::formatCHeader(*signature,
                                      llvm::sys::path::stem(outputPath));
  }
  if (failed(qc::cpu::emitSharedLibrary(module, *signature, outputPath,
                                        options.emit)))
    return fail("emitting the shared library failed");
  if (header)
    header->keep();
  return success();
}
