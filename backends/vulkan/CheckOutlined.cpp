//===- CheckOutlined.cpp - no loops left on the host ----------------------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_CHECKOUTLINED
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

struct CheckOutlined : qc::vulkan::impl::CheckOutlinedBase<CheckOutlined> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult result = getOperation().walk([](Operation *op) {
      if (!isa<scf::ParallelOp, scf::ForOp, scf::WhileOp>(op))
        return WalkResult::advance();
      op->emitOpError("was not mapped to a GPU kernel: a Vulkan artifact "
                      "cannot run loops on the host");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
