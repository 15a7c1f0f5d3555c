//===- ActivationAwareScaling.cpp - AWQ weight scaling --------------------===//
//
// qc-awq: per observed activation, the alpha search of passes/algorithms/Awq
// (rounding as qc-quantize-weights will), then W -> diag(s) W on every
// product reading it and x -> x / s (passes/ChannelScaling).
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/ChannelScaling.h"
#include "passes/ObservedProducts.h"
#include "passes/algorithms/Awq.h"
#include "passes/algorithms/UniformQuant.h"

namespace mlir::qc {
#define GEN_PASS_DEF_ACTIVATIONAWARESCALING
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

struct ActivationAwareScaling
    : qc::impl::ActivationAwareScalingBase<ActivationAwareScaling> {
  using Base::Base;

  void runOnOperation() override {
    if (bits < 2 || bits > 8 || groupSize < -1 || grid < 1 || grid > 1000) {
      emitError(getOperation().getLoc())
          << "qc-awq: bits must be in [2, 8], group-size >= -1 and grid in "
             "[1, 1000]";
      return signalPassFailure();
    }
    SmallVector<ObserveOp> observers;
    getOperation().walk([&](ObserveOp op) { observers.push_back(op); });
    for (ObserveOp op : observers)
      if (failed(scale(op)))
        return signalPassFailure();
  }

  LogicalResult scale(ObserveOp op) {
    FailureOr<std::optional<ObservedProducts>> found = observedProducts(op);
    if (failed(found))
      return failure();
    if (!*found || (*found)->meanAbs.empty())
      return success(); // nothing to scale, or no statistics for it
    ObservedProducts &o = **found;
    int64_t k = o.k;
    SmallVector<MatmulOp> &products = o.products;
    std::vector<std::vector<float>> &weights = o.weights;
    std::vector<float> &meanAbs = o.meanAbs, &importance = o.meanSquare;
    WeightRounding rounding{bits, groupSize, symmetric, clip};

    std::vector<alg::AwqLayer> layers;
    for (auto [mm, w] : llvm::zip(products, weights))
      layers.push_back(
          {w.data(),
           cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1)});
    // The clip search weights rows of diag(s) W by the mean x^2 of x / s,
    // as qc-quantize-weights will after this pass.
    alg::AwqChoice choice = alg::searchAwqScales(
        layers, k, meanAbs.data(), o.gram.data(),
        [&](const std::vector<float> &w, int64_t rows, int64_t cols,
            const std::vector<float> &s) {
          if (importance.empty())
            return rounding.roundTrip(w, rows, cols, nullptr);
          std::vector<float> scaled(rows);
          for (int64_t i = 0; i < rows; ++i)
            scaled[i] = importance[i] / (s[i] * s[i]);
          return rounding.roundTrip(w, rows, cols, scaled.data());
        },
        static_cast<int>(grid));
    op.emitRemark() << "AWQ: alpha " << choice.alpha << ", output error "
                    << choice.unscaledError << " -> " << choice.error;
    if (choice.alpha == 0)
      return success();

    moveChannelFactor(op, products, weights, choice.scales);
    return success();
  }
};

} // namespace
