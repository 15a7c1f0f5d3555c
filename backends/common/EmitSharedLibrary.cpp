//===- EmitSharedLibrary.cpp - LLVM dialect to MODEL.so -------------------===//
//
// LLVM dialect -> LLVM IR (+ the runtime's entry points) -> O3 -> object
// files emitted in-process by LLVM's TargetMachine, a large module's
// partitions on parallel threads (ParallelCodegen.h) -> ld.lld -> MODEL.so.
//
// The object is linked by running ld.lld as a subprocess: Debian ships lld as
// a library only in liblld-22-dev, which the fixed dependency set leaves out.
//
//===----------------------------------------------------------------------===//

#include "backends/common/EmitSharedLibrary.h"

#include "backends/common/ParallelCodegen.h"

#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
using namespace mlir::qc;

namespace {

/// The symbols the runtime looks up; everything else is hidden.
constexpr StringLiteral kExported[] = {
    "quantc_signature",      "quantc_invoke",
    "quantc_allocator",      "quantc_observer",
    "quantc_observer_names", "quantc_weights",
    "quantc_kernels",        "quantc_gpu",
    "quantc_ukernels",       "quantc_checks",
    "quantc_check_messages"};

/// Gives the declared function `f` (if any) a body that calls the function
/// pointer in slot `slot` of `table` with f's arguments, preceded by the
/// pointer in slot 0 when `withContext`, and returns its result: how
/// generated code reaches what the runtime stores in the artifact's tables.
void defineForwarder(llvm::Function *f, llvm::StructType *tableType,
                     llvm::GlobalVariable *table, unsigned slot,
                     bool withContext) {
  if (!f || !f->isDeclaration())
    return;
  llvm::LLVMContext &ctx = f->getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  f->setLinkage(llvm::GlobalValue::InternalLinkage);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", f));
  SmallVector<llvm::Value *> args;
  SmallVector<llvm::Type *> types;
  if (withContext) {
    args.push_back(b.CreateLoad(ptr, b.CreateStructGEP(tableType, table, 0)));
    types.push_back(ptr);
  }
  for (llvm::Argument &a : f->args()) {
    args.push_back(&a);
    types.push_back(a.getType());
  }
  llvm::Value *target =
      b.CreateLoad(ptr, b.CreateStructGEP(tableType, table, slot));
  llvm::Value *result = b.CreateCall(
      llvm::FunctionType::get(f->getReturnType(), types, false), target, args);
  if (f->getReturnType()->isVoidTy())
    b.CreateRetVoid();
  else
    b.CreateRet(result);
}

/// A constant `symbol` holding `strings` NUL-terminated one after another,
/// then one more NUL (what the runtime reads until an empty string).
void addStringList(llvm::Module &module, ArrayRef<std::string> strings,
                   StringRef symbol) {
  std::string joined;
  for (const std::string &s : strings)
    joined += s + '\0';
  llvm::Constant *text =
      llvm::ConstantDataArray::getString(module.getContext(), joined);
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text, symbol);
}

/// Artifacts with run-time checks (qc-lower-checks) call
/// `quantc_check_failed(id, lhs, rhs)` when one fails: defined here to call
/// through `quantc_checks` = {fail}, which the runtime fills at load with a
/// function that ends the run with message `id` of
/// `quantc_check_messages` (NUL-separated, from the module's `qc.checks`).
/// Until then it aborts: a failed check must never fall through to the
/// out-of-bounds access it guards.
void addCheckTable(llvm::Module &module, ArrayRef<std::string> messages) {
  // Through the C interface when the module emits one for its externals.
  llvm::Function *failed =
      module.getFunction("_mlir_ciface_quantc_check_failed");
  if (!failed)
    failed = module.getFunction("quantc_check_failed");
  if (!failed || !failed->isDeclaration())
    return;
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *abortFn = llvm::Function::Create(failed->getFunctionType(),
                                         llvm::GlobalValue::InternalLinkage,
                                         "quantc_check_abort", module);
  {
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", abortFn));
    b.CreateCall(module.getOrInsertFunction(
        "abort", llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false)));
    b.CreateUnreachable();
  }
  auto *tableType =
      llvm::StructType::get(ctx, llvm::ArrayRef<llvm::Type *>{ptr});
  auto *table = new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/false,
      llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(tableType, {abortFn}), "quantc_checks");
  addStringList(module, messages, "quantc_check_messages");
  defineForwarder(failed, tableType, table, 0, /*withContext=*/false);
}

/// `quantc_weights`: {quantized params, quantized bytes, float params,
/// float bytes} from the module's `qc.weights` (all 0 when absent).
void addWeightInfo(llvm::Module &module, DictionaryAttr info) {
  llvm::LLVMContext &ctx = module.getContext();
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  SmallVector<llvm::Constant *> values;
  for (StringRef key :
       {"quantized_params", "quantized_bytes", "float_params", "float_bytes"}) {
    int64_t v = 0;
    if (info)
      if (auto attr = info.getAs<IntegerAttr>(key))
        v = attr.getInt();
    values.push_back(llvm::ConstantInt::get(i64, v));
  }
  auto *type = llvm::ArrayType::get(i64, values.size());
  new llvm::GlobalVariable(
      module, type, /*isConstant=*/true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantArray::get(type, values), "quantc_weights");
}

/// Calibration builds (qc-lower-observers{instrument}) call
/// `_mlir_ciface_quantc_observe(i64 id, ptr unranked)` (the pipeline requests
/// C wrappers for every function; `unranked` points to {i64 rank, ptr
/// descriptor}). It is defined here to call through
/// `quantc_observer` = {fn, context}, which the runtime fills in:
/// `fn(context, id, rank, descriptor)`; a null `fn` ignores the call.
/// `quantc_observer_names` holds the names, each NUL-terminated, then an
/// empty one.
void addObserverTable(llvm::Module &module, ArrayRef<std::string> names) {
  llvm::Function *observe = module.getFunction("_mlir_ciface_quantc_observe");
  if (!observe || !observe->isDeclaration())
    return;
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *tableType = llvm::StructType::get(ctx, {ptr, ptr});
  auto *table = new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/false,
      llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantAggregateZero::get(tableType), "quantc_observer");
  addStringList(module, names, "quantc_observer_names");

  observe->setLinkage(llvm::GlobalValue::InternalLinkage);
  auto *entry = llvm::BasicBlock::Create(ctx, "entry", observe);
  auto *call = llvm::BasicBlock::Create(ctx, "call", observe);
  auto *done = llvm::BasicBlock::Create(ctx, "done", observe);
  llvm::IRBuilder<> b(entry);
  llvm::Value *fn = b.CreateLoad(ptr, b.CreateStructGEP(tableType, table, 0));
  b.CreateCondBr(b.CreateIsNull(fn), done, call);
  b.SetInsertPoint(call);
  llvm::Value *context =
      b.CreateLoad(ptr, b.CreateStructGEP(tableType, table, 1));
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *unrankedType = llvm::StructType::get(ctx, {i64, ptr});
  llvm::Value *unranked = observe->getArg(1);
  llvm::Value *rank =
      b.CreateLoad(i64, b.CreateStructGEP(unrankedType, unranked, 0));
  llvm::Value *descriptor =
      b.CreateLoad(ptr, b.CreateStructGEP(unrankedType, unranked, 1));
  auto *fnType = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx),
                                         {ptr, i64, i64, ptr}, false);
  b.CreateCall(fnType, fn, {context, observe->getArg(0), rank, descriptor});
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
}

/// A Vulkan artifact's host code (backends/vulkan/LowerLaunches.cpp) calls
/// `quantc_gpu_dispatch(id, x, y, z, n, records)`, `quantc_gpu_sync()` and
/// `quantc_gpu_copy(source, target, bytes)`. They are defined here to call
/// through `quantc_gpu` = {context, dispatch, sync, copy}, which the runtime
/// fills in at load time, with the context first.
void addGpuTable(llvm::Module &module) {
  llvm::Function *dispatch = module.getFunction("quantc_gpu_dispatch");
  if (!dispatch || !dispatch->isDeclaration())
    return;
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *tableType = llvm::StructType::get(ctx, {ptr, ptr, ptr, ptr});
  auto *table = new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/false,
      llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantAggregateZero::get(tableType), "quantc_gpu");
  defineForwarder(dispatch, tableType, table, 1, /*withContext=*/true);
  defineForwarder(module.getFunction("quantc_gpu_sync"), tableType, table, 2,
                  /*withContext=*/true);
  defineForwarder(module.getFunction("quantc_gpu_copy"), tableType, table, 3,
                  /*withContext=*/true);
}

/// The functions `quantc_ukernels` reaches, in slot order (slot 0 holds the
/// version). Version v of the table's layout has slots 1 to v; an artifact
/// states the lowest version that has every slot it calls, and the runtime
/// refuses a version it does not know.
constexpr StringLiteral kUkernelSlots[] = {
    "_mlir_ciface_quantc_qgemm_s8", "_mlir_ciface_quantc_sgemm_f32",
    "_mlir_ciface_quantc_sgemm_w4", "_mlir_ciface_quantc_sgemm_wq",
    "_mlir_ciface_quantc_qgemm_grouped"};

/// The table version the module needs: the last slot whose function it
/// calls (declares); 0 when it calls none.
int64_t ukernelTableVersion(llvm::Module &module) {
  int64_t version = 0;
  for (auto [slot, name] : llvm::enumerate(kUkernelSlots)) {
    llvm::Function *f = module.getFunction(name);
    if (f && f->isDeclaration())
      version = static_cast<int64_t>(slot) + 1;
  }
  return version;
}

/// Whether the module calls any microkernel.
bool needsUkernelTable(llvm::Module &module) {
  return ukernelTableVersion(module) != 0;
}

/// CPU artifacts call the runtime's microkernels: W8A8 products
/// (backends/cpu/Int8Matmuls.cpp) `_mlir_ciface_quantc_qgemm_s8(...)`, f32
/// products with constant weights (backends/cpu/PackMatmuls.cpp)
/// `_mlir_ciface_quantc_sgemm_f32(...)`, W4A16 products
/// (backends/cpu/W4Matmuls.cpp) `_mlir_ciface_quantc_sgemm_w4(...)`, other
/// weight-only products (backends/cpu/WqMatmuls.cpp)
/// `_mlir_ciface_quantc_sgemm_wq(...)`, WbA8 products with group-wise
/// weights (Int8Matmuls.cpp again) `_mlir_ciface_quantc_qgemm_grouped(...)`.
/// They are defined here to call through `quantc_ukernels` = {version,
/// qgemm_s8, sgemm_f32, sgemm_w4, sgemm_wq, qgemm_grouped}, which the
/// runtime fills at load time with the variants for the CPU it runs on
/// (runtime/src/CpuKernels.cpp).
void addUkernelTable(llvm::Module &module) {
  int64_t version = ukernelTableVersion(module);
  if (version == 0)
    return;
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  SmallVector<llvm::Type *> fields{i64};
  SmallVector<llvm::Constant *> values{llvm::ConstantInt::get(i64, version)};
  for (int64_t slot = 1; slot <= version; ++slot) {
    fields.push_back(ptr);
    values.push_back(llvm::ConstantPointerNull::get(ptr));
  }
  auto *tableType = llvm::StructType::get(ctx, fields);
  auto *table = new llvm::GlobalVariable(
      module, tableType, /*isConstant=*/false,
      llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(tableType, values), "quantc_ukernels");
  for (auto [slot, name] : llvm::enumerate(kUkernelSlots))
    if (static_cast<int64_t>(slot) < version)
      defineForwarder(module.getFunction(name), tableType, table, slot + 1,
                      /*withContext=*/false);
}

/// Adds `quantc_signature` (the text), `quantc_allocator` and
/// `quantc_invoke(void **inputs,
/// void *results)`, which forwards to `_mlir_ciface_main(results, inputs[0],
/// ...)`: the C interface takes the result descriptors first, then a pointer
/// to each input's descriptor.
LogicalResult addRuntimeEntryPoints(llvm::Module &module,
                                    const ModelSignature &signature,
                                    ArrayRef<std::string> observers,
                                    ArrayRef<std::string> checks,
                                    Location loc) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Function *ciface = module.getFunction("_mlir_ciface_main");
  if (!ciface || ciface->arg_size() != 1 + signature.inputs.size())
    return emitError(loc) << "the LLVM module has no C interface for @main "
                             "taking "
                          << signature.inputs.size() << " inputs";

  // Version 2 marks artifacts whose microkernel table the runtime must fill.
  llvm::Constant *text = llvm::ConstantDataArray::getString(
      ctx, formatSignature(signature, needsUkernelTable(module) ? 2 : 1));
  new llvm::GlobalVariable(module, text->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, text,
                           "quantc_signature");

  auto *ptr = llvm::PointerType::getUnqual(ctx);
  auto *type = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr, ptr},
                                       /*isVarArg=*/false);
  auto *invoke = llvm::Function::Create(
      type, llvm::GlobalValue::ExternalLinkage, "quantc_invoke", module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", invoke));
  llvm::Value *inputs = invoke->getArg(0);
  SmallVector<llvm::Value *> args{invoke->getArg(1)};
  for (unsigned i = 0; i < signature.inputs.size(); ++i)
    args.push_back(
        b.CreateLoad(ptr, b.CreateConstInBoundsGEP1_64(ptr, inputs, i)));
  b.CreateCall(ciface, args);
  b.CreateRetVoid();

  // Buffers come from the runtime: `quantc_allocator` holds {alloc, free},
  // malloc/free until the runtime stores its caching allocator there (a
  // fresh mmap per large buffer costs more page faults than the model's
  // arithmetic).
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *allocatorType = llvm::StructType::get(ctx, {ptr, ptr});
  auto *mallocFn = module
                       .getOrInsertFunction(
                           "malloc", llvm::FunctionType::get(ptr, {i64}, false))
                       .getCallee();
  auto *freeFn =
      module
          .getOrInsertFunction(
              "free",
              llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false))
          .getCallee();
  auto *allocator = new llvm::GlobalVariable(
      module, allocatorType, /*isConstant=*/false,
      llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(allocatorType,
                                {llvm::cast<llvm::Constant>(mallocFn),
                                 llvm::cast<llvm::Constant>(freeFn)}),
      "quantc_allocator");
  defineForwarder(module.getFunction("_mlir_memref_to_llvm_alloc"),
                  allocatorType, allocator, 0, /*withContext=*/false);
  defineForwarder(module.getFunction("_mlir_memref_to_llvm_free"),
                  allocatorType, allocator, 1, /*withContext=*/false);

  addObserverTable(module, observers);
  addCheckTable(module, checks);
  addGpuTable(module);
  addUkernelTable(module);

  // Only the entry points stay visible.
  for (llvm::GlobalValue &g : module.global_values())
    if (!g.isDeclaration() && !g.hasLocalLinkage() &&
        !llvm::is_contained(kExported, g.getName()))
      g.setVisibility(llvm::GlobalValue::HiddenVisibility);
  return success();
}

std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const EmitOptions &options, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = options.cpu;
  std::string features;
  error = checkTargetCpu(cpu);
  if (!error.empty())
    return nullptr;
  if (cpu.empty()) {
    cpu = llvm::sys::getHostCPUName().str();
    for (auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
  }
  if (!options.features.empty())
    features += (features.empty() ? "" : ",") + options.features;
  llvm::TargetOptions targetOptions;
  // Multiply-adds become FMAs (one rounding instead of two), as clang's
  // -ffp-contract=fast does; ONNX fixes no evaluation order either.
  targetOptions.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  auto level =
      static_cast<llvm::CodeGenOptLevel>(std::min(options.optLevel, 3u));
  std::unique_ptr<llvm::TargetMachine> tm(
      target->createTargetMachine(triple, cpu, features, targetOptions,
                                  llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm)
    error = "cannot create a target machine for " + triple.str() + " " + cpu;
  return tm;
}

void optimize(llvm::Module &module, llvm::TargetMachine &tm, unsigned level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(&tm);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel opt = level >= 3   ? llvm::OptimizationLevel::O3
                                : level == 2 ? llvm::OptimizationLevel::O2
                                : level == 1 ? llvm::OptimizationLevel::O1
                                             : llvm::OptimizationLevel::O0;
  pb.buildPerModuleDefaultPipeline(opt).run(module, mam);
}

/// On AVX-512 targets, LLVM's vectorizers use 256-bit vectors unless a
/// function asks for more (clang's -mprefer-vector-width=512), which halves
/// the throughput of every elementwise, normalization and softmax loop the
/// generated code has; the CPUs quantc targets (Sapphire Rapids, Zen 4) run
/// 512-bit code at full clock. stories260k fp32 at 1 thread: 12.2-12.4 ->
/// 10.5-10.7 ms on Sapphire Rapids.
void preferWideVectors(llvm::Module &module, llvm::TargetMachine &tm) {
  // checkFeatures aborts on a feature the target does not know.
  if (!tm.getTargetTriple().isX86() ||
      !tm.getMCSubtargetInfo()->checkFeatures("+avx512f"))
    return;
  for (llvm::Function &f : module)
    if (!f.isDeclaration())
      f.addFnAttr("prefer-vector-width", "512");
}

/// ld.lld from the LLVM installation quantc was built against, else PATH.
std::string findLinker() {
  for (StringRef dir : {QUANTC_LLVM_TOOLS_DIR, ""}) {
    for (StringRef name : {"ld.lld", "ld.lld-22"}) {
      if (!dir.empty()) {
        SmallString<128> path(dir);
        llvm::sys::path::append(path, name);
        if (llvm::sys::fs::can_execute(path))
          return path.str().str();
      } else if (auto found = llvm::sys::findProgramByName(name)) {
        return *found;
      }
    }
  }
  return "";
}

} // namespace

std::string mlir::qc::checkTargetCpu(StringRef cpu) {
  if (cpu.empty())
    return "";
  llvm::InitializeNativeTarget();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return error;
  // LLVM takes an unknown CPU name with a warning and then fails on it
  // (e.g. "64-bit code requested on a subtarget that doesn't support it").
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, "", ""));
  if (!info || !info->isCPUStringValid(cpu))
    return "unknown CPU '" + cpu.str() + "' for " + triple.str() +
           " (`llc -mcpu=help` lists the known ones)";
  return "";
}

LogicalResult mlir::qc::emitSharedLibrary(ModuleOp module,
                                          const ModelSignature &signature,
                                          StringRef outputPath,
                                          const EmitOptions &options) {
  Location loc = module.getLoc();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  registerOpenMPDialectTranslation(*module.getContext());
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "quantc_model");
  if (!llvmModule)
    return emitError(loc) << "translation to LLVM IR failed";
  std::vector<std::string> observers;
  if (auto names = module->getAttrOfType<ArrayAttr>("qc.observers"))
    for (auto name : names.getAsRange<StringAttr>())
      observers.push_back(name.str());
  std::vector<std::string> checks;
  if (auto messages = module->getAttrOfType<ArrayAttr>("qc.checks"))
    for (auto message : messages.getAsRange<StringAttr>())
      checks.push_back(message.str());
  if (failed(addRuntimeEntryPoints(*llvmModule, signature, observers, checks,
                                   loc)))
    return failure();
  addWeightInfo(*llvmModule,
                module->getAttrOfType<DictionaryAttr>("qc.weights"));

  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(options, error);
  if (!tm)
    return emitError(loc) << error;
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setTargetTriple(tm->getTargetTriple());
  if (llvm::verifyModule(*llvmModule, &llvm::errs()))
    return emitError(loc) << "the generated LLVM IR does not verify";
  preferWideVectors(*llvmModule, *tm);
  optimize(*llvmModule, *tm, options.optLevel);

  if (!options.llvmIRPath.empty())
    // Written to a temporary and renamed: no partial file.
    if (llvm::Error e =
            llvm::writeToOutput(options.llvmIRPath, [&](llvm::raw_ostream &os) {
              llvmModule->print(os, nullptr);
              return llvm::Error::success();
            }))
      return emitError(loc) << "cannot write " << options.llvmIRPath << ": "
                            << llvm::toString(std::move(e));

  // Parallel loops call the OpenMP runtime (libomp, from the LLVM install).
  const bool usesOpenMP =
      llvmModule->getFunction("__kmpc_fork_call") != nullptr;

  // Object files, in temporaries beside nothing the user sees.
  SmallVector<std::string> objectPaths;
  llvm::scope_exit removeObjects([&] {
    for (const std::string &path : objectPaths)
      llvm::sys::fs::remove(path);
  });
  if (llvm::Error e = emitObjects(
          std::move(llvmModule),
          [&](std::string &error) {
            return createTargetMachine(options, error);
          },
          objectPaths))
    return emitError(loc) << llvm::toString(std::move(e));

  // Link into a temporary in the output's directory, then rename: no partial
  // output file on failure.
  std::string linker = findLinker();
  if (linker.empty())
    return emitError(loc) << "ld.lld not found (install lld-22)";
  SmallString<128> tempOutput(outputPath);
  tempOutput += ".tmp%%%%%%";
  int fd;
  if (auto ec = llvm::sys::fs::createUniqueFile(tempOutput, fd, tempOutput))
    return emitError(loc) << "cannot write next to " << outputPath << ": "
                          << ec.message();
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  llvm::FileRemover removeTemp(tempOutput);
  std::string libDir1 =
      "-L/usr/lib/" + tm->getTargetTriple().getArchName().str() + "-linux-gnu";
  std::string libDir2 =
      "-L/lib/" + tm->getTargetTriple().getArchName().str() + "-linux-gnu";
  SmallVector<StringRef> args{linker, "-shared", "--as-needed", "-o",
                              tempOutput};
  for (const std::string &path : objectPaths)
    args.push_back(path);
  args.append({libDir1, libDir2, "-lm"});
  std::string ompDir = "-L" QUANTC_LLVM_LIBRARY_DIR;
  if (usesOpenMP) {
    args.push_back(ompDir);
    args.push_back("-lomp");
  }
  std::string message;
  SmallString<128> logPath;
  if (auto ec = llvm::sys::fs::createTemporaryFile("quantc-ld", "log", logPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message();
  llvm::FileRemover removeLog(logPath);
  std::optional<StringRef> redirects[] = {std::nullopt, logPath.str(),
                                          logPath.str()};
  int rc = llvm::sys::ExecuteAndWait(linker, args, std::nullopt, redirects, 0,
                                     0, &message);
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    std::string details = log ? (*log)->getBuffer().trim().str() : message;
    return emitError(loc) << "linking with " << linker
                          << " failed: " << details;
  }
  if (auto ec = llvm::sys::fs::rename(tempOutput, outputPath))
    return emitError(loc) << "cannot write " << outputPath << ": "
                          << ec.message();
  removeTemp.releaseFile();
  return success();
}
