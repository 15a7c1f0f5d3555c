//===- ApproximateMath.cpp - f32 math ops as polynomials ------------------===//

#include "backends/cpu/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::qc::cpu {
#define GEN_PASS_DEF_APPROXIMATEMATH
#include "backends/cpu/Passes.h.inc"
} // namespace mlir::qc::cpu

using namespace mlir;

namespace {

struct ApproximateMath : qc::cpu::impl::ApproximateMathBase<ApproximateMath> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
