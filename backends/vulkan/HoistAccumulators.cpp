//===- HoistAccumulators.cpp - reduction accumulators in registers --------===//
//
// `convert-linalg-to-parallel-loops` lowers a contraction to
//   scf.parallel (i, j) { scf.for k { c = load C[i, j]; ...; store C[i, j] } }
// so every step of the reduction reads and writes the output buffer: on a
// GPU that is a global-memory round trip per multiply-add (PIPELINES.md
// measured the register form 5x faster on lavapipe). This pass keeps the
// accumulator in a register: when the body of an `scf.for` loads and
// stores one element of a buffer at loop-invariant indices, and nothing
// else in the loop touches that buffer's allocation, the load moves before
// the loop, the value is carried as an iter_arg and the store moves after
// it. Nested reductions (k inside a window loop) are handled inside out.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_HOISTACCUMULATORS
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

/// The allocation (or function argument) a buffer is a view of.
Value rootOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto view = dyn_cast<ViewLikeOpInterface>(def))
      v = view.getViewSource();
    else
      break;
  }
  return v;
}

/// Hoists one load/store pair out of `loop`; returns the new loop or null.
scf::ForOp hoistOne(scf::ForOp loop, IRRewriter &rewriter) {
  SmallVector<memref::LoadOp> loads;
  SmallVector<memref::StoreOp> stores;
  bool unknown = false;
  loop.getBody()->walk([&](Operation *op) {
    if (auto l = dyn_cast<memref::LoadOp>(op))
      loads.push_back(l);
    else if (auto s = dyn_cast<memref::StoreOp>(op))
      stores.push_back(s);
    else if (!isPure(op) && !isa<scf::YieldOp, scf::ForOp, scf::IfOp>(op))
      unknown = true; // calls, copies, ...: leave the loop alone
  });
  if (unknown)
    return nullptr;
  auto invariant = [&](ValueRange values) {
    return llvm::all_of(
        values, [&](Value v) { return loop.isDefinedOutsideOfLoop(v); });
  };
  for (memref::StoreOp store : stores) {
    // The pair: a store directly in the body, one load of the same element
    // directly in the body before it, nothing else on that allocation.
    if (store->getBlock() != loop.getBody() ||
        !loop.isDefinedOutsideOfLoop(store.getMemRef()) ||
        !invariant(store.getIndices()))
      continue;
    Value root = rootOf(store.getMemRef());
    memref::LoadOp pair;
    bool alone = true;
    for (memref::LoadOp load : loads) {
      if (rootOf(load.getMemRef()) != root)
        continue;
      if (!pair && load.getMemRef() == store.getMemRef() &&
          load.getIndices() == store.getIndices() &&
          load->getBlock() == loop.getBody() && load->isBeforeInBlock(store))
        pair = load;
      else
        alone = false;
    }
    for (memref::StoreOp other : stores)
      if (other != store && rootOf(other.getMemRef()) == root)
        alone = false;
    if (!pair || !alone)
      continue;

    rewriter.setInsertionPoint(loop);
    auto initial = memref::LoadOp::create(
        rewriter, pair.getLoc(), store.getMemRef(), store.getIndices());
    Value stored = store.getValueToStore();
    auto newLoop = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
        rewriter, ValueRange{initial.getResult()},
        /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{stored};
        }));
    BlockArgument carried = newLoop.getRegionIterArgs().back();
    rewriter.replaceAllUsesWith(pair.getResult(), carried);
    rewriter.eraseOp(pair);
    rewriter.setInsertionPointAfter(newLoop);
    memref::StoreOp::create(rewriter, store.getLoc(),
                            newLoop.getResults().back(), store.getMemRef(),
                            store.getIndices());
    rewriter.eraseOp(store);
    return newLoop;
  }
  return nullptr;
}

struct HoistAccumulators
    : qc::vulkan::impl::HoistAccumulatorsBase<HoistAccumulators> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Innermost loops first (post-order), so that an accumulator hoisted
    // out of k can then leave an enclosing reduction loop too.
    SmallVector<scf::ForOp> loops;
    // Only loops that will run inside kernels: a sequential nest at the top
    // level is wrapped into a one-thread kernel later, as a whole, and must
    // keep its accesses inside.
    getOperation().walk<WalkOrder::PostOrder>([&](scf::ForOp loop) {
      if (loop->getParentOfType<scf::ParallelOp>())
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops)
      while (scf::ForOp next = hoistOne(loop, rewriter))
        loop = next;
  }
};

} // namespace
