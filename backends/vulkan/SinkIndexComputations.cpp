//===- SinkIndexComputations.cpp - constants into kernels, sizes as args --===//
//
// Upstream `gpu-launch-sink-index-computations` also sinks `memref.dim`,
// which SPIR-V cannot evaluate (a run-time array has no size the kernel
// can read), so every dynamically shaped model failed to legalize. This
// pass sinks the same kind of computations through the same upstream
// utility, minus `memref.dim`: sizes stay on the host and reach the kernel
// as scalar arguments.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/IR/Matchers.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_SINKINDEXCOMPUTATIONS
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

/// Constants, and pure index arithmetic over values that are themselves
/// sunk or passed in.
bool isSinkable(Operation *op) {
  if (matchPattern(op, m_Constant()))
    return true;
  if (isa<affine::AffineApplyOp, affine::AffineMinOp, affine::AffineMaxOp>(op))
    return true;
  if (op->getDialect() != op->getContext()->getLoadedDialect("arith") ||
      op->getNumRegions() != 0 || !isPure(op))
    return false;
  return llvm::all_of(op->getResultTypes(),
                      [](Type t) { return t.isIndex() || t.isInteger(1); });
}

struct SinkIndexComputations
    : qc::vulkan::impl::SinkIndexComputationsBase<SinkIndexComputations> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult result = getOperation().walk([](gpu::LaunchOp launch) {
      if (failed(sinkOperationsIntoLaunchOp(launch, isSinkable)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
