//===- LinalgFront.cpp - imported qc IR to fused linalg on tensors --------===//

#include "backends/common/LinalgFront.h"

#include "backends/common/Passes.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qc::buildLinalgFront(OpPassManager &pm,
                          const LinalgFrontOptions &options) {
  pm.addPass(createRecordWeightInfo());
  LowerObserversOptions observers;
  observers.instrument = options.instrumentObservers;
  pm.addPass(createLowerObservers(observers));
  pm.addPass(createLowerChecks());
  if (options.addTargetKernels)
    options.addTargetKernels(pm);
  OpPassManager &lower = pm.nest<func::FuncOp>();
  lower.addPass(createLowerToLinalg());
  lower.addPass(createLowerQuantized());
  lower.addPass(createDecomposeAggregatedOps());
  lower.addPass(createCheckLowered());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.nest<func::FuncOp>().addPass(createFuseElementwise());
}

void qc::addBufferization(OpPassManager &pm) {
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  // A loop may yield a fresh tensor each step (LSTM's state: a new H and C
  // per time step), not only the one it was given.
  bufferize.allowReturnAllocsFromLoops = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
}
