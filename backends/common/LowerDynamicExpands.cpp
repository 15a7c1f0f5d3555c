//===- LowerDynamicExpands.cpp - expand_shape as reinterpret_cast ---------===//
//
// Upstream expand-strided-metadata (LLVM 22.1) crashes on a memref.expand_shape
// that splits one dimension into several dynamic ones (llvm-project issue
// 186830, fixed after 22.1): it reads a dynamic size as a constant. The
// importer's matmuls produce exactly that for an activation [B, T, K] times
// a weight: rows [B*T, N] expanded back to [B, T, N]. For a source with the
// identity layout the expanded view is the same bytes with row-major
// strides, which memref.reinterpret_cast states directly; the upstream pass
// then only has to lower that. A strided source (a transposed or sliced
// view) is cast from its base buffer: its offset stays, the last dimension
// of each group takes the source dimension's stride, and each dimension to
// its left that stride times the sizes to its right.
//
//===----------------------------------------------------------------------===//

#include "backends/common/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::qc {
#define GEN_PASS_DEF_LOWERDYNAMICEXPANDS
#include "backends/common/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

/// Whether some group of `op` splits into two or more dynamic sizes.
bool splitsIntoDynamicSizes(memref::ExpandShapeOp op) {
  ArrayRef<int64_t> shape = op.getResultType().getShape();
  for (const ReassociationIndices &group : op.getReassociationIndices())
    if (llvm::count_if(group, [&](int64_t d) {
          return ShapedType::isDynamic(shape[d]);
        }) > 1)
      return true;
  return false;
}

/// a * b, folded where both are constants, one is 1 or one is 0 (as the
/// expand's result type folds its strides: a static 0 there must stay one).
OpFoldResult multiply(OpBuilder &b, Location loc, OpFoldResult x,
                      OpFoldResult y) {
  auto cx = getConstantIntValue(x), cy = getConstantIntValue(y);
  if (cx && cy)
    return b.getIndexAttr(*cx * *cy);
  if (cx == 0 || cy == 0)
    return b.getIndexAttr(0);
  if (cx == 1)
    return y;
  if (cy == 1)
    return x;
  return arith::MulIOp::create(b, loc,
                               getValueOrCreateConstantIndexOp(b, loc, x),
                               getValueOrCreateConstantIndexOp(b, loc, y))
      .getResult();
}

struct LowerDynamicExpands
    : qc::impl::LowerDynamicExpandsBase<LowerDynamicExpands> {
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> expands;
    getOperation().walk([&](memref::ExpandShapeOp op) {
      if (splitsIntoDynamicSizes(op))
        expands.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (memref::ExpandShapeOp op : expands) {
      rewriter.setInsertionPoint(op);
      Location loc = op.getLoc();
      MemRefType srcType = op.getSrcType();
      SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
      // The source's strides and offset: static ones from its type, the
      // others read from its descriptor.
      SmallVector<OpFoldResult> srcStrides;
      OpFoldResult offset = rewriter.getIndexAttr(0);
      Value source = op.getSrc();
      if (srcType.getLayout().isIdentity()) {
        OpFoldResult stride = rewriter.getIndexAttr(1);
        srcStrides.resize(srcType.getRank());
        for (int64_t d = srcType.getRank() - 1; d >= 0; --d) {
          srcStrides[d] = stride;
          if (d > 0)
            stride = multiply(rewriter, loc, stride,
                              memref::getMixedSize(rewriter, loc, source, d));
        }
      } else {
        auto [staticStrides, staticOffset] = srcType.getStridesAndOffset();
        auto meta =
            memref::ExtractStridedMetadataOp::create(rewriter, loc, source);
        for (auto [d, st] : llvm::enumerate(staticStrides))
          srcStrides.push_back(ShapedType::isDynamic(st)
                                   ? OpFoldResult(meta.getStrides()[d])
                                   : OpFoldResult(rewriter.getIndexAttr(st)));
        offset = ShapedType::isDynamic(staticOffset)
                     ? OpFoldResult(meta.getOffset())
                     : OpFoldResult(rewriter.getIndexAttr(staticOffset));
        source = meta.getBaseBuffer();
      }
      SmallVector<OpFoldResult> strides(sizes.size());
      for (auto [i, group] : llvm::enumerate(op.getReassociationIndices())) {
        OpFoldResult stride = srcStrides[i];
        for (int64_t d : llvm::reverse(group)) {
          strides[d] = stride;
          if (d != group.front())
            stride = multiply(rewriter, loc, stride, sizes[d]);
        }
      }
      rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
          op, op.getResultType(), source, offset, sizes, strides);
    }
  }
};

} // namespace
