//===- QuantizePipeline.cpp - float qc IR to quantized qc IR --------------===//

#include "passes/QuantizePipeline.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::qc;

/// The rounding settings shared by the passes that round weights (or, like
/// qc-awq and qc-rotate-inputs, measure what rounding will do).
template <typename PassOptions>
static PassOptions withRounding(const QuantizePipelineOptions &options) {
  PassOptions o;
  o.bits = options.weightBits;
  o.groupSize = options.groupSize;
  o.symmetric = options.symmetricWeights;
  o.clip = options.clip;
  return o;
}

QuantizeWeightsOptions
qc::quantizeWeightsOptions(const QuantizePipelineOptions &options) {
  auto weights = withRounding<QuantizeWeightsOptions>(options);
  weights.method = options.method;
  weights.actOrder = options.actOrder;
  weights.lorcRank = options.lorcRank;
  weights.codebook = options.codebook;
  return weights;
}

void qc::buildQuantizePipeline(OpPassManager &pm,
                               const QuantizePipelineOptions &options) {
  if (options.weightBits == 0)
    return;
  OpPassManager &funcs = pm.nest<func::FuncOp>();
  // Observers carry calibrated statistics for static activations, for the
  // clip search to weight weight rows by their input channels, and GPTQ's
  // Hessians.
  if (options.needsStats()) {
    InsertObserversOptions observers;
    observers.activationProducts = false; // only weight matmuls quantize
    funcs.addPass(createInsertObservers(observers));
    ApplyStatsOptions stats;
    stats.statsFile = options.statsFile;
    funcs.addPass(createApplyStats(stats));
  }
  if (options.rotate && options.rotateResidual)
    funcs.addPass(
        createRotateResidual(withRounding<RotateResidualOptions>(options)));
  if (options.rotate)
    funcs.addPass(
        createRotateInputs(withRounding<RotateInputsOptions>(options)));
  if (options.awq)
    funcs.addPass(createActivationAwareScaling(
        withRounding<ActivationAwareScalingOptions>(options)));
  if (options.smooth && options.integerActivations()) {
    SmoothOutliersOptions smooth;
    smooth.alpha = options.smoothAlpha;
    smooth.weightBits = options.weightBits;
    smooth.activationBits = options.activationBits;
    smooth.dynamic = options.activations == ActivationMode::Dynamic;
    funcs.addPass(createSmoothOutliers(smooth));
  }
  if (!options.sensitivityFile.empty()) {
    AllocateBitsOptions allocate;
    allocate.sensitivityFile = options.sensitivityFile;
    allocate.budget = options.budget;
    allocate.sizeBudget = options.sizeBudget;
    allocate.defaultBits = options.weightBits;
    allocate.layerBits.assign(options.layerBits.begin(),
                              options.layerBits.end());
    funcs.addPass(createAllocateBits(allocate));
  }
  funcs.addPass(createQuantizeWeights(quantizeWeightsOptions(options)));
  if (options.integerActivations()) {
    QuantizeActivationsOptions activations;
    activations.mode = options.activations;
    funcs.addPass(createQuantizeActivations(activations));
  }
}

void qc::registerQuantizePipeline() {
  PassPipelineRegistration<QuantizePipelineOptions>(
      "qc-quantize-pipeline",
      "Quantize a float qc module: observers and calibrated ranges (static "
      "int8 activations), RTN weights, integer activations",
      buildQuantizePipeline);
}
