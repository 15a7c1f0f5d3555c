//===- CheckLowered.cpp - no qc op reaches bufferization ------------------===//

#include "backends/common/Passes.h"

#include "dialects/qc/IR/QcDialect.h"

namespace mlir::qc {
#define GEN_PASS_DEF_CHECKLOWERED
#include "backends/common/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

struct CheckLowered : qc::impl::CheckLoweredBase<CheckLowered> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult result = getOperation().walk([](Operation *op) {
      if (!isa<qc::QcDialect>(op->getDialect()))
        return WalkResult::advance();
      op->emitOpError("has no lowering in this pipeline");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
