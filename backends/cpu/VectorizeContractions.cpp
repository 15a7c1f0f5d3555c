//===- VectorizeContractions.cpp - register accumulators for reductions ---===//
//
// A reduction whose innermost loop is parallel with a static size N (after
// qc-cpu-interchange-reductions: matmuls, probs * v) is tiled to rows:
//
//   scf.forall over the other parallel dims (tile 1)   -> threads
//     scf.for over the reduction dims (tile 1)
//       one 1 x ... x 1 x N linalg op, vectorized: acc[0:N] += a * b[0:N]
//
// loop-invariant-subset-hoisting then carries acc[0:N] through the
// reduction loop as a vector value, instead of the load/store per step that
// the plain loop lowering does (LLVM cannot promote it: it cannot prove the
// buffers distinct once OpenMP outlines the loop body).
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_VECTORIZECONTRACTIONS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

/// The innermost loop's static size when `op` qualifies, else 0.
int64_t vectorWidth(linalg::LinalgOp op, int64_t maxWidth) {
  if (op.getNumReductionLoops() == 0 || op.getNumDpsInits() != 1 ||
      !op.hasPureTensorSemantics() || !op.hasOnlyProjectedPermutations())
    return 0;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.back() != utils::IteratorType::parallel)
    return 0;
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (outMap.getNumResults() == 0)
    return 0;
  auto inner = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!inner || inner.getPosition() + 1 != iterators.size())
    return 0;
  // f32 or i32 accumulators; operands may also be the integer storage and
  // f16 scales of quantized kernels.
  Type acc = cast<ShapedType>(op.getDpsInitOperand(0)->get().getType())
                 .getElementType();
  if (!acc.isF32() && !acc.isInteger(32))
    return 0;
  for (Value v : op->getOperands()) {
    Type t = cast<ShapedType>(v.getType()).getElementType();
    if (!t.isF32() && !t.isF16() && !t.isInteger(8) && !t.isInteger(32))
      return 0;
  }
  if (failed(linalg::vectorizeOpPrecondition(op)))
    return 0;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  int64_t n = ranges.back();
  if (ShapedType::isDynamic(n) || n < 4)
    return 0;
  // Up to twice as wide when whole zmm registers hold the row.
  if (n > maxWidth && (n % 16 != 0 || n > 2 * maxWidth))
    return 0;
  return n;
}

/// Tiles the dims for which `pick` holds by 1, the others not at all.
FailureOr<scf::SCFTilingResult>
tileByOne(RewriterBase &rewriter, linalg::LinalgOp op,
          scf::SCFTilingOptions::LoopType loops,
          function_ref<bool(utils::IteratorType, unsigned)> pick) {
  SmallVector<OpFoldResult> sizes;
  bool any = false;
  for (auto [i, it] : llvm::enumerate(op.getIteratorTypesArray())) {
    bool tile = pick(it, i);
    any |= tile;
    sizes.push_back(rewriter.getIndexAttr(tile ? 1 : 0));
  }
  if (!any)
    return failure();
  scf::SCFTilingOptions options;
  options.setTileSizes(sizes).setLoopType(loops);
  return scf::tileUsingSCF(rewriter, cast<TilingInterface>(op.getOperation()),
                           options);
}

struct VectorizeContractions
    : qc::cpu::impl::VectorizeContractionsBase<VectorizeContractions> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (vectorWidth(op, maxWidth))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      unsigned last = op.getNumLoops() - 1;
      rewriter.setInsertionPoint(op);
      linalg::LinalgOp current = op;
      // Rows: the parallel dims but the innermost, as scf.forall.
      FailureOr<scf::SCFTilingResult> rows = tileByOne(
          rewriter, current, scf::SCFTilingOptions::LoopType::ForallOp,
          [&](utils::IteratorType it, unsigned i) {
            return it == utils::IteratorType::parallel && i != last;
          });
      if (succeeded(rows)) {
        rewriter.replaceOp(current, rows->replacements);
        current = cast<linalg::LinalgOp>(rows->tiledOps.back());
      }
      // The reduction, one step at a time, as scf.for.
      rewriter.setInsertionPoint(current);
      FailureOr<scf::SCFTilingResult> steps =
          tileByOne(rewriter, current, scf::SCFTilingOptions::LoopType::ForOp,
                    [](utils::IteratorType it, unsigned) {
                      return it == utils::IteratorType::reduction;
                    });
      if (failed(steps)) {
        current.emitOpError("cannot be tiled along its reduction");
        return signalPassFailure();
      }
      rewriter.replaceOp(current, steps->replacements);
      auto tile = cast<linalg::LinalgOp>(steps->tiledOps.back());
      rewriter.setInsertionPoint(tile);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, tile);
      if (failed(vectorized)) {
        tile.emitOpError("cannot be vectorized");
        return signalPassFailure();
      }
      rewriter.replaceOp(tile, vectorized->replacements);
    }
  }
};

} // namespace
