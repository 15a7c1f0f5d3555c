//===- InterchangeReductions.cpp - parallel innermost loops ---------------===//

#include "backends/cpu/Passes.h"

#include "passes/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_INTERCHANGEREDUCTIONS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

/// The new loop order (old loop indices, outermost first), or empty when the
/// op should keep its order.
SmallVector<unsigned> innermostParallelOrder(linalg::LinalgOp op) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1)
    return {};
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0)
    return {};
  auto inner = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!inner)
    return {};
  unsigned dim = inner.getPosition();
  // Every operand reads `dim` as its innermost dimension or not at all.
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, e] : llvm::enumerate(map.getResults())) {
      if (!e.isFunctionOfDim(dim))
        continue;
      if (i + 1 != map.getNumResults() || e != inner)
        return {};
    }
  }
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (dim + 1 == iterators.size())
    return {}; // already innermost
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (i != dim && iterators[i] == utils::IteratorType::parallel)
      order.push_back(i);
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (iterators[i] == utils::IteratorType::reduction)
      order.push_back(i);
  order.push_back(dim);
  return order;
}

struct InterchangeReductions
    : qc::cpu::impl::InterchangeReductionsBase<InterchangeReductions> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (!innermostParallelOrder(op).empty())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      SmallVector<unsigned> order = innermostParallelOrder(op);
      bool notGeneralizable;
      // A named op without a region builder stays as it is.
      if (failed(qc::reorderLoops(rewriter, op, order, &notGeneralizable)) &&
          !notGeneralizable)
        return signalPassFailure();
    }
  }
};

} // namespace
