//===- VectorizeContractions.cpp - register accumulators for reductions ---===//
//
// A reduction whose innermost loop is parallel with a static size N (after
// qc-cpu-interchange-reductions: matmuls, probs * v) is tiled to rows:
//
//   scf.forall over the other parallel dims (tile 1)   -> threads
//     scf.for over the reduction dims (tile 1)
//       one 1 x ... x 1 x N linalg op, vectorized: acc[0:N] += a * b[0:N]
//
// (a row of at most 16 values takes 4 rows of a static parallel dim per
// tile, so that 4 independent accumulators hide the FMA latency)
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

/// Rows per tile where a row is short: one row of at most kShortRow values
/// is one or two vector registers, a single chain of dependent FMAs that
/// runs at the FMA latency (stories260k's probs * v, 8 values a row: a
/// quarter of a forward on Zen 3). kRowBlock rows give as many independent
/// chains; each row's sum keeps its order, so results are unchanged.
constexpr int64_t kShortRow = 16, kRowBlock = 4;

/// The parallel dim (not the innermost) tiled by kRowBlock rows: the
/// innermost one with a static size that kRowBlock divides, when the row
/// (`n` values) is short; -1 for none.
int64_t blockedRowDim(linalg::LinalgOp op, int64_t n) {
  if (n > kShortRow)
    return -1;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (int64_t i = int64_t(iterators.size()) - 2; i >= 0; --i)
    if (iterators[i] == utils::IteratorType::parallel &&
        !ShapedType::isDynamic(ranges[i]) && ranges[i] % kRowBlock == 0)
      return i;
  return -1;
}

/// Tiles each dim by `size(iterator, dim)` (0: not tiled).
FailureOr<scf::SCFTilingResult>
tile(RewriterBase &rewriter, linalg::LinalgOp op,
     scf::SCFTilingOptions::LoopType loops,
     function_ref<int64_t(utils::IteratorType, unsigned)> size) {
  SmallVector<OpFoldResult> sizes;
  bool any = false;
  for (auto [i, it] : llvm::enumerate(op.getIteratorTypesArray())) {
    int64_t s = size(it, i);
    any |= s != 0;
    sizes.push_back(rewriter.getIndexAttr(s));
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
      const int64_t blocked = blockedRowDim(op, vectorWidth(op, maxWidth));
      rewriter.setInsertionPoint(op);
      linalg::LinalgOp current = op;
      // Rows: the parallel dims but the innermost, as scf.forall (a short
      // row's block of rows together).
      FailureOr<scf::SCFTilingResult> rows =
          tile(rewriter, current, scf::SCFTilingOptions::LoopType::ForallOp,
               [&](utils::IteratorType it, unsigned i) -> int64_t {
                 if (it != utils::IteratorType::parallel || i == last)
                   return 0;
                 return int64_t(i) == blocked ? kRowBlock : 1;
               });
      if (succeeded(rows)) {
        rewriter.replaceOp(current, rows->replacements);
        current = cast<linalg::LinalgOp>(rows->tiledOps.back());
      }
      // The reduction, one step at a time, as scf.for.
      rewriter.setInsertionPoint(current);
      FailureOr<scf::SCFTilingResult> steps =
          tile(rewriter, current, scf::SCFTilingOptions::LoopType::ForOp,
               [](utils::IteratorType it, unsigned) -> int64_t {
                 return it == utils::IteratorType::reduction ? 1 : 0;
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
