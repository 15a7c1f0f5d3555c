//===- SmoothOutliers.cpp - SmoothQuant activation smoothing --------------===//
//
// qc-smooth-outliers: per calibrated activation read by weight products, the
// alpha search of passes/algorithms/Smooth on the observer's sampled rows,
// then W -> diag(s) W and x -> x / s (passes/ChannelScaling) where it lowers
// the quantized layers' output error.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "dialects/qc/IR/QcOps.h"
#include "passes/ChannelScaling.h"
#include "passes/ObservedProducts.h"
#include "passes/PackedWeights.h"
#include "passes/algorithms/Smooth.h"

namespace mlir::qc {
#define GEN_PASS_DEF_SMOOTHOUTLIERS
#include "passes/Passes.h.inc"
} // namespace mlir::qc

using namespace mlir;
using namespace mlir::qc;
namespace alg = quantc::algorithms;

namespace {

struct SmoothOutliers : qc::impl::SmoothOutliersBase<SmoothOutliers> {
  using Base::Base;

  void runOnOperation() override {
    if (weightBits < 2 || weightBits > 8 || activationBits < 2 ||
        activationBits > 8 || grid < 1 || grid > 1000 || alpha > 1) {
      emitError(getOperation().getLoc())
          << "qc-smooth-outliers: weight-bits and activation-bits must be in "
             "[2, 8], grid in [1, 1000] and alpha in [0, 1] (or negative: "
             "searched)";
      return signalPassFailure();
    }
    SmallVector<ObserveOp> observers;
    getOperation().walk([&](ObserveOp op) { observers.push_back(op); });
    for (ObserveOp op : observers)
      if (failed(smooth(op)))
        return signalPassFailure();
  }

  LogicalResult smooth(ObserveOp op) {
    FailureOr<std::optional<ObservedProducts>> found =
        observedProducts(op, /*needGram=*/false);
    if (failed(found))
      return failure();
    if (!*found)
      return success();
    ObservedProducts &o = **found;
    int64_t k = o.k;
    std::vector<float> maxAbs = channelVector(op, kChannelMaxAbsAttr, k);
    std::optional<std::vector<float>> rows;
    if (Attribute a = op->getAttr(kInputSampleAttr))
      rows = readFloatConstant(a);
    // Without them the layer would silently stay unsmoothed.
    if (maxAbs.empty() || !rows || rows->empty() || rows->size() % k)
      return op.emitOpError("feeds weight products but has no ")
             << kChannelMaxAbsAttr << " of " << k << " values and "
             << kInputSampleAttr << " of [S, " << k
             << "] rows (a stats file from `quantc calibrate --row-samples "
                "N`, through qc-apply-stats)";
    std::vector<alg::SmoothLayer> layers;
    for (auto [mm, w] : llvm::zip(o.products, o.weights))
      layers.push_back(
          {w.data(),
           cast<RankedTensorType>(mm.getRhs().getType()).getDimSize(1)});
    alg::SmoothSettings settings;
    settings.weightBits = weightBits;
    settings.activationBits = activationBits;
    settings.dynamicActivations = dynamic;
    settings.grid = static_cast<int>(grid);
    settings.alpha = alpha;
    alg::SmoothChoice choice =
        alg::searchSmoothing(layers, k, maxAbs.data(), rows->data(),
                             static_cast<int64_t>(rows->size()) / k, settings);
    op.emitRemark() << "SmoothQuant: alpha " << choice.alpha
                    << ", output error " << choice.unsmoothedError << " -> "
                    << choice.error
                    << (choice.kept ? ", smoothed" : ", left unsmoothed");
    if (choice.kept)
      moveChannelFactor(op, o.products, o.weights, choice.scales);
    return success();
  }
};

} // namespace
