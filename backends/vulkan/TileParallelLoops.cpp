//===- TileParallelLoops.cpp - workgroups that follow the loop shapes -----===//
//
// Upstream `scf-parallel-loop-tiling` applies one list of tile sizes to the
// leading dimensions of every loop: a 16 x 16 tile on a (batch, row, column)
// nest leaves the contiguous column untiled (one thread wide), and a bound
// that the tile does not divide becomes `affine.min(16 * 1, n - i)` with the
// product unfolded, from which `convert-parallel-loops-to-gpu` cannot derive
// a workgroup size, so the nest silently stays on the host. This pass picks
// the tile of each dimension from its static extent (innermost first, at
// most `threads` per workgroup), tiles with upstream `tileParallelLoop`, and
// folds exactly the bound computations it created. A sequential loop nest
// outside any parallel loop (a full reduction) is wrapped in a one-iteration
// `scf.parallel` so that it, too, becomes a (one-thread) kernel. Nests of
// more than three dimensions first have their outer dimensions collapsed
// into one, so that every dimension reaches the grid.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc::vulkan {
#define GEN_PASS_DEF_TILEPARALLELLOOPS
#include "backends/vulkan/Passes.h.inc"
} // namespace mlir::qc::vulkan

using namespace mlir;

namespace {

/// The static trip count of dimension `d`, or nullopt.
std::optional<int64_t> tripCount(scf::ParallelOp loop, unsigned d) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound()[d]);
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound()[d]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[d]);
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return std::max<int64_t>(0, (*ub - *lb + *step - 1) / *step);
}

/// Tile sizes: the three innermost dimensions share `threads`, the
/// innermost (x, contiguous in memory) taking up to `innermost` of them;
/// a dimension never gets a tile larger than its extent.
SmallVector<int64_t> tileSizes(scf::ParallelOp loop, int64_t threads,
                               int64_t innermost) {
  unsigned rank = loop.getNumLoops();
  SmallVector<int64_t> sizes(rank, 1);
  int64_t budget = threads;
  for (unsigned k = 0; k < std::min(rank, 3u); ++k) {
    unsigned d = rank - 1 - k;
    int64_t cap = (k == 0 && rank > 1) ? std::min(innermost, budget) : budget;
    std::optional<int64_t> extent = tripCount(loop, d);
    int64_t size = std::max<int64_t>(1, extent ? std::min(*extent, cap) : cap);
    sizes[d] = size;
    budget = std::max<int64_t>(1, budget / size);
  }
  return sizes;
}

struct TileParallelLoops
    : qc::vulkan::impl::TileParallelLoopsBase<TileParallelLoops> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Sequential nests at the top level run as one-thread kernels.
    SmallVector<Operation *> lone;
    for (Block &block : func.getBody())
      for (Operation &op : block)
        if (isa<scf::ForOp, scf::WhileOp>(op))
          lone.push_back(&op);
    for (Operation *op : lone) {
      OpBuilder b(op);
      Value zero = arith::ConstantIndexOp::create(b, op->getLoc(), 0);
      Value one = arith::ConstantIndexOp::create(b, op->getLoc(), 1);
      auto wrapper = scf::ParallelOp::create(b, op->getLoc(), ValueRange{zero},
                                             ValueRange{one}, ValueRange{one});
      op->moveBefore(wrapper.getBody()->getTerminator());
    }

    // A GPU grid has three dimensions and `gpu-map-parallel-loops` runs the
    // dimensions beyond them sequentially inside each thread: a copy over
    // (1, 4, 1, 8, S) became 4 one-thread workgroups looping over 8 x S.
    // Nests of rank > 3 keep their two innermost dimensions and have the
    // others collapsed into one (upstream `collapseParallelLoops`).
    SmallVector<scf::ParallelOp> deep;
    func.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>() && loop.getNumLoops() > 3 &&
          loop.getInitVals().empty())
        deep.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : deep) {
      unsigned rank = loop.getNumLoops();
      std::vector<unsigned> outer;
      for (unsigned d = 0; d + 2 < rank; ++d)
        outer.push_back(d);
      rewriter.setInsertionPoint(loop);
      collapseParallelLoops(rewriter, loop, {outer, {rank - 2}, {rank - 1}});
    }

    SmallVector<scf::ParallelOp> outermost;
    func.walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        outermost.push_back(loop);
    });
    // The collapsed bounds are arithmetic on constants where the extents
    // were static: fold it, so that the tile sizes below see them.
    if (!deep.empty()) {
      SmallVector<Operation *> arithmetic;
      SmallVector<Value> pending;
      for (scf::ParallelOp loop : outermost)
        llvm::append_range(pending, loop.getUpperBound());
      while (!pending.empty()) {
        Operation *def = pending.pop_back_val().getDefiningOp();
        if (!def || !isa<arith::ArithDialect>(def->getDialect()) ||
            llvm::is_contained(arithmetic, def))
          continue;
        arithmetic.push_back(def);
        llvm::append_range(pending, def->getOperands());
      }
      GreedyRewriteConfig folding;
      folding.enableFolding();
      (void)applyOpPatternsGreedily(arithmetic,
                                    RewritePatternSet(&getContext()), folding);
    }
    SmallVector<Operation *> bounds;
    for (scf::ParallelOp loop : outermost) {
      if (!loop.getInitVals().empty()) {
        loop.emitOpError("with reductions cannot be tiled into workgroups");
        return signalPassFailure();
      }
      auto [outer, inner] = scf::tileParallelLoop(
          loop, tileSizes(loop, threads, innermost), /*noMinMaxBounds=*/false);
      for (Value ub : inner.getUpperBound())
        if (Operation *def = ub.getDefiningOp())
          bounds.push_back(def);
      for (Value step : outer.getStep())
        if (Operation *def = step.getDefiningOp())
          bounds.push_back(def);
    }
    // Fold `tile * step` and move the constants into each affine.min's map,
    // where the GPU mapping finds the static workgroup size. Only these ops:
    // a full canonicalization would also fold one-iteration outer loops and
    // map the inner ones to blocks.
    SmallVector<Operation *> work;
    for (Operation *op : bounds) {
      work.push_back(op);
      for (Value v : op->getOperands())
        if (Operation *def = v.getDefiningOp(); def && isa<arith::MulIOp>(def))
          work.push_back(def);
    }
    RewritePatternSet patterns(&getContext());
    affine::AffineMinOp::getCanonicalizationPatterns(patterns, &getContext());
    GreedyRewriteConfig config;
    config.enableFolding();
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    (void)applyOpPatternsGreedily(work, std::move(patterns), config);
  }
};

} // namespace
