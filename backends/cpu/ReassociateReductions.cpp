//===- ReassociateReductions.cpp - vectorizable float reductions ----------===//

#include "backends/cpu/Passes.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_REASSOCIATEREDUCTIONS
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

struct ReassociateReductions
    : qc::cpu::impl::ReassociateReductionsBase<ReassociateReductions> {
  using Base::Base;

  void runOnOperation() override {
    auto flags = arith::FastMathFlags::reassoc | arith::FastMathFlags::contract;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.getNumReductionLoops() == 0)
        return;
      op->walk([&](arith::ArithFastMathInterface math) {
        arith::FastMathFlags current = arith::FastMathFlags::none;
        if (arith::FastMathFlagsAttr attr = math.getFastMathFlagsAttr())
          current = attr.getValue();
        math->setAttr(
            math.getFastMathAttrName(),
            arith::FastMathFlagsAttr::get(op->getContext(), current | flags));
      });
    });
  }
};

} // namespace
