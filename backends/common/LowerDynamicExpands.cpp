//===- LowerDynamicExpands.cpp - expand_shape as reinterpret_cast ---------===//
//
// Upstream expand-strided-metadata (LLVM 22.1) crashes on a memref.expand_shape
// that splits one dimension into several dynamic ones (llvm-project issue
// 186830, fixed after 22.1): it reads a dynamic size as a constant. The
// importer's matmuls produce exactly that for an activation [B, T, K] times
// a weight: rows [B*T, N] expanded back to [B, T, N]. For a source with the
// identity layout the expanded view is the same bytes with row-major
// strides, which memref.reinterpret_cast states directly; the upstream pass
// then only has to lower that.
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

struct LowerDynamicExpands
    : qc::impl::LowerDynamicExpandsBase<LowerDynamicExpands> {
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> expands;
    getOperation().walk([&](memref::ExpandShapeOp op) {
      if (op.getSrcType().getLayout().isIdentity() &&
          op.getResultType().getLayout().isIdentity() &&
          splitsIntoDynamicSizes(op))
        expands.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (memref::ExpandShapeOp op : expands) {
      rewriter.setInsertionPoint(op);
      Location loc = op.getLoc();
      SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
      // Row-major strides: the product of the sizes to the right.
      SmallVector<OpFoldResult> strides(sizes.size());
      OpFoldResult stride = rewriter.getIndexAttr(1);
      for (int64_t d = static_cast<int64_t>(sizes.size()) - 1; d >= 0; --d) {
        strides[d] = stride;
        auto a = getConstantIntValue(stride), s = getConstantIntValue(sizes[d]);
        stride = a && s ? OpFoldResult(rewriter.getIndexAttr(*a * *s))
                        : OpFoldResult(arith::MulIOp::create(
                                           rewriter, loc,
                                           getValueOrCreateConstantIndexOp(
                                               rewriter, loc, stride),
                                           getValueOrCreateConstantIndexOp(
                                               rewriter, loc, sizes[d]))
                                           .getResult());
      }
      rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
          op, op.getResultType(), op.getSrc(), rewriter.getIndexAttr(0), sizes,
          strides);
    }
  }
};

} // namespace
