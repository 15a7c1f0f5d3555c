//===- PushConstants.cpp - scalar kernel arguments as push constants ------===//
//
// convert-gpu-to-spirv gives every scalar kernel argument (a dynamic size,
// stride or offset) its own storage buffer, `struct<(i32 [0])>` at (0, i),
// which the runtime must back with memory and a descriptor per dispatch.
// Upstream lowers at most one push-constant block per entry point, so this
// pass packs the scalars into one: each 32-bit scalar argument becomes
// member j of `@__push_constants` (offset 4 j, PushConstant storage), its
// storage buffer disappears, and the module records which bindings moved
// in `qc.push_constants` (binding i of member j at position j) for
// qc-vulkan-lower-launches to put in the kernel table. At most 32 scalars
// (128 bytes, the push-constant size every Vulkan device has) move; the
// rest, and scalars of other widths, stay storage buffers.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_PUSHCONSTANTS
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

constexpr unsigned kMaxPushConstants = 32; // 128 bytes

/// The scalar of a `struct<(T [0])>` storage buffer whose only uses are
/// `addressof` -> `AccessChain [0]` -> loads; null otherwise.
Type movableScalar(spirv::GlobalVariableOp var, spirv::ModuleOp module) {
  auto ptr = dyn_cast<spirv::PointerType>(var.getType());
  if (!ptr || ptr.getStorageClass() != spirv::StorageClass::StorageBuffer ||
      !var.getBinding() || !var.getDescriptorSet() || *var.getDescriptorSet())
    return {};
  auto st = dyn_cast<spirv::StructType>(ptr.getPointeeType());
  if (!st || st.getNumElements() != 1 || !st.hasOffset() ||
      st.getMemberOffset(0) != 0)
    return {};
  Type scalar = st.getElementType(0);
  if (!isa<IntegerType, FloatType>(scalar) ||
      scalar.getIntOrFloatBitWidth() != 32)
    return {};
  std::optional<SymbolTable::UseRange> uses =
      SymbolTable::getSymbolUses(var.getSymNameAttr(), module);
  if (!uses)
    return {};
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto addr = dyn_cast<spirv::AddressOfOp>(use.getUser());
    if (!addr)
      return {};
    for (Operation *user : addr->getUsers()) {
      auto chain = dyn_cast<spirv::AccessChainOp>(user);
      if (!chain || chain.getIndices().size() != 1)
        return {};
      for (Operation *load : chain->getUsers())
        if (!isa<spirv::LoadOp>(load))
          return {};
    }
  }
  return scalar;
}

struct PushConstants : qc::vulkan::impl::PushConstantsBase<PushConstants> {
  using Base::Base;

  void runOnOperation() override {
    spirv::ModuleOp module = getOperation();
    SmallVector<spirv::GlobalVariableOp> moved;
    SmallVector<Type> members;
    for (auto var : module.getOps<spirv::GlobalVariableOp>()) {
      if (moved.size() == kMaxPushConstants)
        break;
      if (Type scalar = movableScalar(var, module)) {
        moved.push_back(var);
        members.push_back(scalar);
      }
    }
    if (moved.empty())
      return;

    MLIRContext *ctx = &getContext();
    SmallVector<spirv::StructType::OffsetInfo> offsets;
    for (unsigned j = 0; j < members.size(); ++j)
      offsets.push_back(4 * j);
    auto block = spirv::StructType::get(members, offsets);
    auto blockPtr =
        spirv::PointerType::get(block, spirv::StorageClass::PushConstant);
    OpBuilder b(ctx);
    b.setInsertionPoint(moved.front());
    auto pushVar = spirv::GlobalVariableOp::create(
        b, moved.front().getLoc(), TypeAttr::get(blockPtr),
        b.getStringAttr("__push_constants"), nullptr);

    Type i32 = b.getI32Type();
    SmallVector<Attribute> bindings;
    for (auto [j, var] : llvm::enumerate(moved)) {
      bindings.push_back(b.getI32IntegerAttr(*var.getBinding()));
      auto memberPtr = spirv::PointerType::get(
          members[j], spirv::StorageClass::PushConstant);
      std::optional<SymbolTable::UseRange> uses =
          SymbolTable::getSymbolUses(var.getSymNameAttr(), module);
      for (const SymbolTable::SymbolUse &use : llvm::to_vector(*uses)) {
        auto addr = cast<spirv::AddressOfOp>(use.getUser());
        b.setInsertionPoint(addr);
        Value base = spirv::AddressOfOp::create(b, addr.getLoc(), pushVar);
        Value member = spirv::ConstantOp::create(
            b, addr.getLoc(), i32, b.getI32IntegerAttr(static_cast<int>(j)));
        for (Operation *user : llvm::to_vector(addr->getUsers())) {
          auto chain = cast<spirv::AccessChainOp>(user);
          b.setInsertionPoint(chain);
          Value ptr = spirv::AccessChainOp::create(b, chain.getLoc(), memberPtr,
                                                   base, ValueRange{member});
          chain.replaceAllUsesWith(ptr);
          chain.erase();
        }
        addr.erase();
      }
      var.erase();
    }
    module->setAttr("qc.push_constants", b.getArrayAttr(bindings));
  }
};

} // namespace
