//===- LowerStridedCopies.cpp - strided memref.copy to linalg.copy --------===//

#include "backends/common/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::qc {
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIES
#include "backends/common/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;

namespace {

bool isContiguous(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getLayout().isIdentity();
}

struct LowerStridedCopies
    : qc::impl::LowerStridedCopiesBase<LowerStridedCopies> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) {
      if (!isContiguous(op.getSource()) || !isContiguous(op.getTarget()))
        copies.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp op : copies) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(op, op.getSource(),
                                                  op.getTarget());
    }
  }
};

} // namespace
