//===- SerializeInnerParallel.cpp - threads on outermost loops only -------===//

#include "backends/cpu/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_SERIALIZEINNERPARALLEL
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

bool isNestedInLoop(Operation *op) {
  for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
    if (isa<scf::ForOp, scf::ParallelOp, scf::WhileOp>(p))
      return true;
  return false;
}

/// Clones `op`'s body into nested scf.for loops over `dims` (built at the
/// rewriter's insertion point), with the other induction variables taken
/// from `fixed`.
void cloneBodyInLoops(RewriterBase &rewriter, scf::ParallelOp op,
                      ArrayRef<unsigned> dims, IRMapping &fixed) {
  SmallVector<Value> lbs, ubs, steps;
  for (unsigned d : dims) {
    lbs.push_back(op.getLowerBound()[d]);
    ubs.push_back(op.getUpperBound()[d]);
    steps.push_back(op.getStep()[d]);
  }
  scf::buildLoopNest(rewriter, op.getLoc(), lbs, ubs, steps,
                     [&](OpBuilder &b, Location, ValueRange ivs) {
                       IRMapping map = fixed;
                       for (auto [d, iv] : llvm::zip(dims, ivs))
                         map.map(op.getInductionVars()[d], iv);
                       for (Operation &nested :
                            op.getBody()->without_terminator())
                         b.clone(nested, map);
                     });
}

/// The dimension of a top-level loop that threads should split: the first
/// one whose trip count is not statically 1 (a batch of 1 leads most
/// activations).
unsigned threadedDim(scf::ParallelOp op) {
  for (unsigned d = 0; d < op.getNumLoops(); ++d) {
    auto lb = getConstantIntValue(op.getLowerBound()[d]);
    auto ub = getConstantIntValue(op.getUpperBound()[d]);
    auto step = getConstantIntValue(op.getStep()[d]);
    if (!lb || !ub || !step || *ub - *lb > *step)
      return d;
  }
  return 0;
}

struct SerializeInnerParallel
    : qc::cpu::impl::SerializeInnerParallelBase<SerializeInnerParallel> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp op) { loops.push_back(op); });
    IRRewriter rewriter(&getContext());
    // Post-order walk: inner loops first, so each body is already serial.
    for (scf::ParallelOp op : loops) {
      if (op.getNumReductions() != 0) {
        op.emitOpError("with reductions is not expected here");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      IRMapping none;
      if (isNestedInLoop(op)) {
        SmallVector<unsigned> all =
            llvm::to_vector(llvm::seq<unsigned>(0, op.getNumLoops()));
        cloneBodyInLoops(rewriter, op, all, none);
        rewriter.eraseOp(op);
        continue;
      }
      if (op.getNumLoops() == 1)
        continue;
      // One threaded dimension; the others run inside each thread's share.
      // (OpenMP's collapse of several dimensions miscompiled on MLIR 22.)
      unsigned t = threadedDim(op);
      SmallVector<unsigned> rest;
      for (unsigned d = 0; d < op.getNumLoops(); ++d)
        if (d != t)
          rest.push_back(d);
      scf::ParallelOp::create(
          rewriter, op.getLoc(), ValueRange{op.getLowerBound()[t]},
          ValueRange{op.getUpperBound()[t]}, ValueRange{op.getStep()[t]},
          [&](OpBuilder &b, Location loc, ValueRange ivs) {
            IRMapping fixed;
            fixed.map(op.getInductionVars()[t], ivs[0]);
            OpBuilder::InsertionGuard guard(rewriter);
            rewriter.setInsertionPoint(b.getInsertionBlock(),
                                       b.getInsertionPoint());
            cloneBodyInLoops(rewriter, op, rest, fixed);
          });
      rewriter.eraseOp(op);
    }
  }
};

} // namespace
