//===- LowerStridedCopies.cpp - strided memref.copy to linalg.copy --------===//

#include "backends/cpu/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_LOWERSTRIDEDCOPIES
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

bool isContiguous(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && type.getLayout().isIdentity();
}

struct LowerStridedCopies
    : qc::cpu::impl::LowerStridedCopiesBase<LowerStridedCopies> {
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
