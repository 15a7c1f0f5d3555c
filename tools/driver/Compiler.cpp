//===- Compiler.cpp - load, lower and emit a model ------------------------===//

#include "tools/driver/Compiler.h"

#include "backends/common/ModelSignature.h"
#include "backends/cpu/CpuPipeline.h"
#include "backends/vulkan/VulkanPipeline.h"
#include "frontends/onnx/OnnxImporter.h"
#include "passes/BoundedParse.h"
#include "passes/QuantizePipeline.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

llvm::Expected<OwningOpRef<ModuleOp>>
quantc::loadModule(MLIRContext &context, StringRef path,
                   const qc::onnx::ImportOptions &import) {
  if (path.ends_with(".mlir") || path.ends_with(".mlirbc")) {
    if (!import.dimSizes.empty())
      return makeError("--dim applies to ONNX models; an MLIR module's "
                       "types are its own");
    FirstError diag(&context);
    llvm::SourceMgr sourceMgr;
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path);
    if (!buffer)
      return makeError("cannot read: " + buffer.getError().message());
    // MLIR's parser recurses per nesting level: bounded first (qc IR nests
    // a few dozen levels).
    if (!path.ends_with(".mlirbc"))
      if (std::optional<size_t> at = qc::tooDeep((*buffer)->getBuffer(), 1024))
        return makeError("cannot parse: brackets nest deeper than 1024 "
                         "levels at offset " +
                         llvm::Twine(*at));
    sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
    OwningOpRef<ModuleOp> module =
        parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return diag.takeError("cannot parse");
    return std::move(module);
  }
  std::string error;
  OwningOpRef<ModuleOp> module =
      qc::onnx::importOnnxFile(&context, path.str(), error, import);
  if (!module)
    return makeError(error);
  return std::move(module);
}

llvm::Expected<qc::onnx::ImportOptions>
quantc::parseDimSizes(ArrayRef<std::string> values) {
  qc::onnx::ImportOptions options;
  for (StringRef value : values) {
    // The name may hold '=' (dim_params are free text): the size is after
    // the last one.
    auto [name, size] = value.rsplit('=');
    int64_t n;
    if (name.empty() || size.getAsInteger(10, n) || n < 0)
      return makeError("--dim '" + value +
                       "': expected NAME=SIZE with SIZE >= 0 (NAME a "
                       "dim_param, or INPUT:AXIS)");
    if (!options.dimSizes.try_emplace(name, n).second)
      return makeError("--dim " + name + " is given twice");
  }
  return options;
}

llvm::Expected<quantc::Target> quantc::parseTarget(StringRef name) {
  if (name == "cpu")
    return Target::Cpu;
  if (name == "vulkan")
    return Target::Vulkan;
  return makeError("unknown target '" + name + "' (available: cpu, vulkan)");
}

void quantc::buildCompilePipeline(OpPassManager &pm,
                                  const CompileOptions &options) {
  qc::QuantizePipelineOptions quantize;
  options.quantize.toPipelineOptions(quantize);
  qc::buildQuantizePipeline(pm, quantize);
  if (options.debugCrash)
    pm.addPass(qc::createDebugCrash());
  if (options.target == Target::Vulkan) {
    qc::vulkan::VulkanPipelineOptions pipeline;
    pipeline.int8Storage = options.vulkanInt8Storage;
    pipeline.workgroupMemory = options.vulkanWorkgroupMemory;
    qc::vulkan::buildVulkanPipeline(pm, pipeline);
  } else {
    qc::cpu::CpuPipelineOptions pipeline;
    pipeline.instrumentObservers = options.instrumentObservers;
    qc::cpu::buildCpuPipeline(pm, pipeline);
  }
}

namespace {

/// What MLIR's crash recovery writes its reproducer to. MLIR asks for one
/// after every failed pipeline, also after an ordinary error: that one is
/// discarded (the error is reported first), so a large model's IR is only
/// written to `$TMPDIR` for a crash.
class CrashReproducer {
public:
  explicit CrashReproducer(const quantc::FirstError &diag) : diag(diag) {}

  ReproducerStreamFactory factory() {
    return [this](std::string &) -> std::unique_ptr<ReproducerStream> {
      if (!diag.text.empty())
        return std::make_unique<Stream>("(discarded)", nullptr);
      int fd = -1;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
              "quantc-crash", "mlir", fd, path)) {
        problem = ec.message();
        return std::make_unique<Stream>("(not written)", nullptr);
      }
      return std::make_unique<Stream>(
          path, std::make_unique<llvm::raw_fd_ostream>(fd, true));
    };
  }

  /// For the error message: where the reproducer is, or why it is not.
  std::string describe() const {
    if (!problem.empty())
      return "the reproducer could not be written to the temp directory (" +
             problem + ")";
    return ("reproducer written to " + path + " (quant-opt --run-reproducer " +
            path + ")")
        .str();
  }

private:
  struct Stream : ReproducerStream {
    Stream(StringRef name, std::unique_ptr<llvm::raw_fd_ostream> file)
        : name(name.str()), file(std::move(file)) {}
    StringRef description() override { return name; }
    raw_ostream &os() override {
      if (file)
        return *file;
      return llvm::nulls();
    }
    std::string name;
    std::unique_ptr<llvm::raw_fd_ostream> file;
  };

  const quantc::FirstError &diag;
  SmallString<128> path;
  std::string problem;
};

} // namespace

llvm::Error quantc::compileModel(ModuleOp module, StringRef outputPath,
                                 const CompileOptions &options) {
  MLIRContext *ctx = module.getContext();
  FirstError diag(ctx);

  auto entry = module.lookupSymbol<func::FuncOp>("main");
  if (!entry)
    return makeError("the module has no func.func @main");
  FailureOr<qc::ModelSignature> signature = qc::getModelSignature(entry);
  if (failed(signature))
    return diag.takeError("the entry function has an unsupported signature");
  bool vulkan = options.target == Target::Vulkan;
  if (vulkan && options.instrumentObservers)
    return makeError("calibration builds run on the CPU target only");
  if (options.quantize.staticActivations() &&
      options.quantize.statsFile.empty())
    return makeError("static activations need calibrated ranges (a stats "
                     "file; see prepareCalibration)");

  PassManager pm(ctx, ModuleOp::getOperationName());
  pm.enableVerifier(options.verifyEach);
  buildCompilePipeline(pm, options);
  if (options.printPipeline) {
    llvm::errs() << "quant-opt --pass-pipeline='";
    pm.printAsTextualPipeline(llvm::errs());
    llvm::errs() << "'\n";
  }
  // A pass that crashes (upstream passes assert or trap on IR they do not
  // expect) becomes an error naming it, with MLIR's reproducer (the IR
  // before the pipeline and the pipeline) kept in the temp directory.
  CrashReproducer reproducer(diag);
  llvm::CrashRecoveryContext::Enable();
  pm.enableCrashReproducerGeneration(reproducer.factory(),
                                     /*genLocalReproducer=*/false);
  if (failed(pm.run(module))) {
    if (!diag.crashedPass.empty())
      return makeError("internal compiler error in pass " + diag.crashedPass +
                       "; " + reproducer.describe());
    return diag.takeError(vulkan ? "the Vulkan pipeline failed"
                                 : "the CPU pipeline failed");
  }
  if (!options.instrumentObservers)
    reportRemarks(options.quantize, diag.remarks, diag.warnings);
  // Every output is written to a temporary; they replace their paths
  // together once all are written (commitAll).
  std::vector<PendingOutput> pending;
  llvm::Expected<PendingOutput> library = PendingOutput::create(outputPath);
  if (!library)
    return library.takeError();
  pending.push_back(std::move(*library));
  if (!options.loweredMlirPath.empty()) {
    llvm::Expected<PendingOutput> lowered =
        PendingOutput::create(options.loweredMlirPath);
    if (!lowered)
      return lowered.takeError();
    module.print(lowered->os());
    lowered->os() << "\n";
    pending.push_back(std::move(*lowered));
  }
  if (options.writeHeader) {
    SmallString<128> headerPath(outputPath);
    llvm::sys::path::replace_extension(headerPath, "h");
    llvm::Expected<PendingOutput> header = PendingOutput::create(headerPath);
    if (!header)
      return header.takeError();
    header->os() << qc::formatCHeader(*signature,
                                      llvm::sys::path::stem(outputPath));
    pending.push_back(std::move(*header));
  }
  qc::EmitOptions emit = options.emit;
  if (!emit.llvmIRPath.empty()) {
    llvm::Expected<PendingOutput> ir = PendingOutput::create(emit.llvmIRPath);
    if (!ir)
      return ir.takeError();
    pending.push_back(std::move(*ir));
    emit.llvmIRPath = pending.back().stagePath().str();
  }
  // The linker and the IR printer write by path: into the temporaries.
  if (failed(qc::emitSharedLibrary(module, *signature,
                                   pending.front().stagePath(), emit)))
    return diag.takeError("emitting the shared library failed");
  return commitAll(pending);
}
