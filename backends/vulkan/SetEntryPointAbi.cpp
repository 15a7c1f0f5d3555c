//===- SetEntryPointAbi.cpp - kernel workgroup sizes for SPIR-V -----------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/SPIRV/IR/TargetAndABI.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_SETENTRYPOINTABI
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

struct SetEntryPointAbi
    : qc::vulkan::impl::SetEntryPointAbiBase<SetEntryPointAbi> {
  using Base::Base;

  void runOnOperation() override {
    // The math-to-SPIR-V patterns look the target environment up as the
    // `spirv.target_env` attribute, not in the module's targets: without
    // it they assume the default environment and leave f64/f16 math alone.
    gpu::GPUModuleOp module = getOperation();
    if (ArrayAttr targets = module.getTargetsAttr())
      for (Attribute t : targets)
        if (auto env = dyn_cast<spirv::TargetEnvAttr>(t))
          module->setAttr(spirv::getTargetEnvAttrName(), env);
    StringRef abiName = spirv::getEntryPointABIAttrName();
    WalkResult result = getOperation().walk([&](gpu::GPUFuncOp func) {
      if (!func.isKernel())
        return WalkResult::advance();
      std::optional<ArrayRef<int32_t>> size = func.getKnownBlockSize();
      if (!size) {
        func.emitOpError("kernel has no known_block_size to take its "
                         "workgroup size from");
        return WalkResult::interrupt();
      }
      func->setAttr(abiName, spirv::getEntryPointABIAttr(&getContext(), *size));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
