//===- DecomposeAggregatedOps.cpp - linalg.softmax and friends ------------===//
//
// Calls each aggregated op's own decomposition (the one the transform
// dialect's structured.decompose_interface uses) as an ordinary pass, so the
// pipelines need no transform script.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

namespace mlir::qc {
#define GEN_PASS_DEF_DECOMPOSEAGGREGATEDOPS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

struct DecomposeAggregatedOps
    : qc::impl::DecomposeAggregatedOpsBase<DecomposeAggregatedOps> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> ops;
    getOperation().walk(
        [&](linalg::AggregatedOpInterface op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> parts = op.decomposeOperation(rewriter);
      if (failed(parts)) {
        op.emitOpError("has no decomposition");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *parts);
    }
  }
};

} // namespace
