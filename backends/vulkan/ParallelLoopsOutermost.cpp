//===- ParallelLoopsOutermost.cpp - parallel loops outside reductions -----===//

#include "backends/vulkan/Passes.h"

#include "passes/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_PARALLELLOOPSOUTERMOST
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

/// Parallel loops in order, then reductions in order; empty when `op`
/// already has that order.
SmallVector<unsigned> parallelFirst(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (iterators[i] == utils::IteratorType::parallel)
      order.push_back(i);
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      order.push_back(i);
  if (llvm::equal(order, llvm::seq<unsigned>(0, iterators.size())))
    return {};
  return order;
}

struct ParallelLoopsOutermost
    : qc::vulkan::impl::ParallelLoopsOutermostBase<ParallelLoopsOutermost> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!parallelFirst(op).empty())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<unsigned> order = parallelFirst(op);
      bool notGeneralizable;
      if (failed(qc::reorderLoops(rewriter, op, order, &notGeneralizable))) {
        if (notGeneralizable)
          op.emitOpError("cannot be generalized to reorder its loops");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
