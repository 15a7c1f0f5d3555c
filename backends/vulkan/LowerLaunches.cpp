//===- LowerLaunches.cpp - kernels into the artifact, launches into calls -===//
//
// The host side of a Vulkan artifact is CPU code; this pass turns what the
// kernel pipeline left for it into plain calls the CPU lowering can take:
//
// - every `spirv.module` is serialized (upstream `spirv::serialize`) into
//   one constant, `quantc_kernels`, that the runtime reads at load time:
//     "QCVK" u32 version=2  u32 count
//     count x { u32 entry-name bytes, name padded to 4 bytes,
//               u32 bindings, u32 capability bits,
//               u32 push constants, the binding of each (member order;
//               qc-vulkan-push-constants), u32 SPIR-V words, the words }
//   (all u32 little endian). The kernel at position i has id i.
// - every `gpu.launch_func` becomes
//     call @quantc_gpu_dispatch(id, grid x, grid y, grid z, n, records)
//   where `records` is the address of n x {value, bytes, kind} i64 triples
//   on the stack, one per kernel argument = binding: kind 0 is a buffer
//   (value = the aligned base address, bytes = the extent its strides
//   reach), kind 1 a scalar (value = its bits, bytes = its SPIR-V size);
//   a scalar binding listed as a push constant is pushed, not bound.
// - a `memref.copy` between row-major buffers becomes
//     call @quantc_gpu_copy(source address, target address, bytes)
//   which the runtime queues as a device copy when both are device buffers
//   (else it waits and copies on the host);
// - the runtime records dispatches and copies and runs them in batches;
//   before host code that reads or writes memory (a copy, a load, a call,
//   the return) the pass puts `call @quantc_gpu_sync()`, which waits for
//   them.
//
// The functions are declared here and defined by the artifact emitter,
// which forwards them to the runtime (`quantc_gpu` in the artifact).
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/BufferExtent.h"
#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Target/SPIRV/Serialization.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_LOWERLAUNCHES
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

constexpr StringLiteral kDispatch = "quantc_gpu_dispatch";
constexpr StringLiteral kSync = "quantc_gpu_sync";
constexpr StringLiteral kCopy = "quantc_gpu_copy";

void appendWord(std::vector<int8_t> &out, uint32_t w) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<int8_t>((w >> (8 * i)) & 0xff));
}

void appendName(std::vector<int8_t> &out, StringRef name) {
  appendWord(out, name.size());
  for (char c : name)
    out.push_back(static_cast<int8_t>(c));
  while (out.size() % 4)
    out.push_back(0);
}

/// The optional device features a kernel's module declares, as the bits
/// the runtime checks (QUANTC_VULKAN_CAP_* in quantc_runtime.h).
uint32_t capabilityBits(spirv::ModuleOp module) {
  uint32_t bits = 0;
  std::optional<spirv::VerCapExtAttr> triple = module.getVceTriple();
  if (!triple)
    return bits;
  for (spirv::Capability c : triple->getCapabilities()) {
    switch (c) {
    case spirv::Capability::Int8:
      bits |= 1;
      break;
    case spirv::Capability::StorageBuffer8BitAccess:
      bits |= 2;
      break;
    case spirv::Capability::Int16:
      bits |= 4;
      break;
    case spirv::Capability::Float16:
      bits |= 8;
      break;
    case spirv::Capability::Int64:
      bits |= 16;
      break;
    case spirv::Capability::StorageBuffer16BitAccess:
      bits |= 32;
      break;
    case spirv::Capability::Float64:
      bits |= 64;
      break;
    default:
      break;
    }
  }
  return bits;
}

/// Bytes a scalar kernel argument takes in its SPIR-V storage buffer
/// (index is i32 in the target environment the pipeline attaches).
std::optional<int64_t> scalarBytes(Type type) {
  if (type.isIndex())
    return 4;
  if (type.isIntOrFloat())
    return std::max<int64_t>(4, type.getIntOrFloatBitWidth() / 8);
  return std::nullopt;
}

/// `value` as the i64 of its record (index truncated to the i32 the kernel
/// reads; narrower types widened).
Value scalarBits(OpBuilder &b, Location loc, Value value) {
  Type i64 = b.getI64Type();
  Type type = value.getType();
  if (type.isIndex())
    return arith::IndexCastUIOp::create(b, loc, i64, value);
  if (auto f = dyn_cast<FloatType>(type)) {
    Type bits = b.getIntegerType(f.getWidth());
    value = arith::BitcastOp::create(b, loc, bits, value);
    type = bits;
  }
  if (type.getIntOrFloatBitWidth() < 64)
    return arith::ExtUIOp::create(b, loc, i64, value);
  return value;
}

/// The bytes from a memref's aligned base to one past the last element its
/// sizes and strides reach (0 when it has no elements).
Value extentBytes(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value count = qc::vulkan::reachedElements(b, loc, meta);
  unsigned bits = type.getElementType().isIntOrFloat()
                      ? type.getElementType().getIntOrFloatBitWidth()
                      : 64;
  Value elem = arith::ConstantIndexOp::create(b, loc, std::max(1u, bits / 8));
  return arith::MulIOp::create(b, loc, count, elem);
}

/// Whether host code `op` may read or write memory the GPU also uses.
bool touchesMemory(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op))
    return call.getCallee() != kDispatch && call.getCallee() != kSync &&
           call.getCallee() != kCopy;
  if (isa<func::ReturnOp>(op))
    return true;
  // The dispatch records live on the stack, which the GPU never sees.
  Value memref;
  if (auto store = dyn_cast<memref::StoreOp>(op))
    memref = store.getMemRef();
  else if (auto load = dyn_cast<memref::LoadOp>(op))
    memref = load.getMemRef();
  if (memref && memref.getDefiningOp<memref::AllocaOp>())
    return false;
  if (op->getNumRegions()) {
    WalkResult r = op->walk([&](Operation *nested) {
      return nested != op && touchesMemory(nested) ? WalkResult::interrupt()
                                                   : WalkResult::advance();
    });
    return r.wasInterrupted();
  }
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return !isPure(op);
  return effects.hasEffect<MemoryEffects::Read>() ||
         effects.hasEffect<MemoryEffects::Write>();
}

/// Whether `op` queues device work (a dispatch or a device copy).
bool containsDispatch(Operation *op) {
  WalkResult r = op->walk([](func::CallOp call) {
    return call.getCallee() == kDispatch || call.getCallee() == kCopy
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  return r.wasInterrupted();
}

/// Puts a sync before every memory-touching op that follows a dispatch in
/// the same block (nested blocks are handled on their own first).
void insertSyncs(Block &block, func::FuncOp sync) {
  bool pending = false;
  for (Operation &op : llvm::make_early_inc_range(block)) {
    for (Region &region : op.getRegions())
      for (Block &nested : region)
        insertSyncs(nested, sync);
    if (pending && touchesMemory(&op)) {
      OpBuilder b(&op);
      func::CallOp::create(b, op.getLoc(), sync, ValueRange{});
      pending = false;
    }
    if (containsDispatch(&op))
      pending = true;
  }
}

/// `memref.copy` between row-major buffers (identity layouts, whole-byte
/// elements) becomes `quantc_gpu_copy(source, target, bytes)`: a copy in
/// the device's queue where both are device buffers, with no sync before
/// it; other copies stay host copies.
void lowerCopy(memref::CopyOp copy, func::FuncOp copyFn) {
  auto source = cast<MemRefType>(copy.getSource().getType());
  auto target = cast<MemRefType>(copy.getTarget().getType());
  Type element = source.getElementType();
  if (!source.getLayout().isIdentity() || !target.getLayout().isIdentity() ||
      !element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8)
    return;
  OpBuilder b(copy);
  Location loc = copy.getLoc();
  Type i64 = b.getI64Type();
  auto address = [&](Value memref) -> Value {
    Value index =
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
    return arith::IndexCastUIOp::create(b, loc, i64, index);
  };
  // An identity layout has offset 0: the extent is the whole buffer.
  Value bytes = extentBytes(b, loc, copy.getSource());
  func::CallOp::create(
      b, loc, copyFn,
      ValueRange{address(copy.getSource()), address(copy.getTarget()),
                 arith::IndexCastUIOp::create(b, loc, i64, bytes)});
  copy.erase();
}

struct LowerLaunches : qc::vulkan::impl::LowerLaunchesBase<LowerLaunches> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    Type i64 = b.getI64Type();
    auto dispatch =
        func::FuncOp::create(b, module.getLoc(), kDispatch,
                             b.getFunctionType(SmallVector<Type>(6, i64), {}));
    dispatch.setPrivate();
    auto sync = func::FuncOp::create(b, module.getLoc(), kSync,
                                     b.getFunctionType({}, {}));
    sync.setPrivate();
    auto copyFn =
        func::FuncOp::create(b, module.getLoc(), kCopy,
                             b.getFunctionType(SmallVector<Type>(3, i64), {}));
    copyFn.setPrivate();

    // Kernels, in launch order; one id per (module, entry point).
    std::vector<int8_t> table;
    uint32_t count = 0;
    llvm::StringMap<int64_t> ids;
    std::vector<int8_t> entries;
    SmallVector<gpu::LaunchFuncOp> launches;
    module.walk([&](gpu::LaunchFuncOp l) { launches.push_back(l); });
    for (gpu::LaunchFuncOp launch : launches) {
      StringRef moduleName = launch.getKernelModuleName().getValue();
      StringRef entry = launch.getKernelName().getValue();
      std::string key = (moduleName + "::" + entry).str();
      auto [it, inserted] = ids.try_emplace(key, count);
      if (inserted) {
        auto spirvModule = module.lookupSymbol<spirv::ModuleOp>(
            ("__spv__" + moduleName).str());
        if (!spirvModule) {
          launch.emitOpError("has no SPIR-V module '__spv__")
              << moduleName << "' (run convert-gpu-to-spirv first)";
          return signalPassFailure();
        }
        SmallVector<uint32_t> words;
        if (failed(spirv::serialize(spirvModule, words)))
          return signalPassFailure();
        appendName(entries, entry);
        appendWord(entries, launch.getNumKernelOperands());
        appendWord(entries, capabilityBits(spirvModule));
        auto pushed =
            spirvModule->getAttrOfType<ArrayAttr>("qc.push_constants");
        appendWord(entries, pushed ? pushed.size() : 0);
        if (pushed)
          for (auto binding : pushed.getAsRange<IntegerAttr>())
            appendWord(entries, binding.getInt());
        appendWord(entries, words.size());
        for (uint32_t w : words)
          appendWord(entries, w);
        ++count;
      }
      if (failed(lowerLaunch(launch, it->second, dispatch)))
        return signalPassFailure();
    }
    for (char c : StringRef("QCVK"))
      table.push_back(c);
    appendWord(table, 2);
    appendWord(table, count);
    table.insert(table.end(), entries.begin(), entries.end());

    // The SPIR-V now lives in the table; the host no longer needs the
    // GPU-side modules.
    for (Operation &op : llvm::make_early_inc_range(*module.getBody()))
      if (isa<gpu::GPUModuleOp, spirv::ModuleOp>(op))
        op.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());

    auto tableType = MemRefType::get({static_cast<int64_t>(table.size())},
                                     b.getIntegerType(8));
    auto data = DenseElementsAttr::get(
        RankedTensorType::get(tableType.getShape(), b.getIntegerType(8)),
        ArrayRef<int8_t>(table));
    b.setInsertionPointToStart(module.getBody());
    memref::GlobalOp::create(b, module.getLoc(), "quantc_kernels",
                             b.getStringAttr("public"), tableType, data,
                             /*constant=*/true, b.getI64IntegerAttr(4));

    for (auto func : module.getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      SmallVector<memref::CopyOp> copies;
      func.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
      for (memref::CopyOp copy : copies)
        lowerCopy(copy, copyFn);
      for (Block &block : func.getBody())
        insertSyncs(block, sync);
    }
  }

  LogicalResult lowerLaunch(gpu::LaunchFuncOp launch, int64_t id,
                            func::FuncOp dispatch) {
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    Type i64 = b.getI64Type();
    if (launch.getClusterSizeX() || launch.getAsyncToken() ||
        !launch.getAsyncDependencies().empty() ||
        launch.getDynamicSharedMemorySize())
      return launch.emitOpError("uses clusters, async tokens or dynamic "
                                "shared memory, which the Vulkan runtime "
                                "does not support");
    auto operands = launch.getKernelOperands();
    int64_t n = operands.size();
    Value records = memref::AllocaOp::create(
        b, loc, MemRefType::get({3 * std::max<int64_t>(n, 1)}, i64));
    auto store = [&](Value v, int64_t slot) {
      Value index = arith::ConstantIndexOp::create(b, loc, slot);
      memref::StoreOp::create(b, loc, v, records, index);
    };
    auto constant = [&](int64_t v) -> Value {
      return arith::ConstantIntOp::create(b, loc, i64, v);
    };
    for (auto [i, arg] : llvm::enumerate(operands)) {
      if (auto type = dyn_cast<MemRefType>(arg.getType())) {
        Value ptr = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, arg);
        store(arith::IndexCastUIOp::create(b, loc, i64, ptr), 3 * i);
        store(
            arith::IndexCastUIOp::create(b, loc, i64, extentBytes(b, loc, arg)),
            3 * i + 1);
        store(constant(0), 3 * i + 2);
        continue;
      }
      std::optional<int64_t> bytes = scalarBytes(arg.getType());
      if (!bytes)
        return launch.emitOpError("kernel argument ")
               << i << " has type " << arg.getType()
               << ", which cannot be bound as a buffer or a scalar";
      store(scalarBits(b, loc, arg), 3 * i);
      store(constant(*bytes), 3 * i + 1);
      store(constant(1), 3 * i + 2);
    }
    Value address = arith::IndexCastUIOp::create(
        b, loc, i64,
        memref::ExtractAlignedPointerAsIndexOp::create(b, loc, records));
    auto grid = [&](Value v) -> Value {
      return arith::IndexCastUIOp::create(b, loc, i64, v);
    };
    func::CallOp::create(b, loc, dispatch,
                         ValueRange{constant(id), grid(launch.getGridSizeX()),
                                    grid(launch.getGridSizeY()),
                                    grid(launch.getGridSizeZ()), constant(n),
                                    address});
    launch.erase();
    return success();
  }
};

} // namespace
