//===- QuantizePipeline.cpp - float qc IR to quantized qc IR --------------===//

#include "passes/QuantizePipeline.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;
using namespace mlir::qc;

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
  if (options.rotate) {
    RotateInputsOptions rotate;
    rotate.bits = options.weightBits;
    rotate.groupSize = options.groupSize;
    rotate.symmetric = options.symmetricWeights;
    rotate.clip = options.clip;
    funcs.addPass(createRotateInputs(rotate));
  }
  if (options.awq) {
    ActivationAwareScalingOptions awq;
    awq.bits = options.weightBits;
    awq.groupSize = options.groupSize;
    awq.symmetric = options.symmetricWeights;
    awq.clip = options.clip;
    funcs.addPass(createActivationAwareScaling(awq));
  }
  QuantizeWeightsOptions weights;
  weights.bits = options.weightBits;
  weights.groupSize = options.groupSize;
  weights.symmetric = options.symmetricWeights;
  weights.clip = options.clip;
  weights.method = options.method;
  weights.actOrder = options.actOrder;
  weights.lorcRank = options.lorcRank;
  weights.codebook = options.codebook;
  funcs.addPass(createQuantizeWeights(weights));
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
