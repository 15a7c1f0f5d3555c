//===- CpuPipeline.cpp - imported IR to the LLVM dialect ------------------===//
//
// The recipe follows ../shared/PIPELINES.md (verified on MLIR 22): the shared
// linalg front (backends/common/LinalgFront.h), reduction loop order and
// register tiles on tensors, bufferization across function boundaries with
// identity layouts, ownership-based deallocation that makes every returned
// buffer a fresh allocation the caller owns (the runtime frees it), strided
// metadata expanded before affine is lowered, and only then LLVM. math ops
// without an LLVM intrinsic (erf, tanh, ...) become libm calls.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/CpuPipeline.h"

#include "backends/common/HostLowering.h"
#include "backends/common/LinalgFront.h"
#include "backends/common/Passes.h"
#include "backends/cpu/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::cpu::buildCpuPipeline(OpPassManager &pm,
                                     const CpuPipelineOptions &options) {
  // Tensors: qc (float and quantized) to linalg, softmax decomposed,
  // elementwise chains fused.
  LinalgFrontOptions front;
  front.instrumentObservers = options.instrumentObservers;
  // W8A8 and WbA8 products call the runtime's int8 microkernels, W4A16
  // products its 4-bit one, other weight-only products its decoding f32
  // one; LoRC products are split into products those take first.
  front.addTargetKernels = [](OpPassManager &module) {
    module.addPass(cpu::createSplitLowRank());
    module.addPass(cpu::createInt8Matmuls());
    module.addPass(cpu::createW4Matmuls());
    module.addPass(cpu::createWqMatmuls());
  };
  buildLinalgFront(pm, front);
  // Masks read as bytes, not bit by bit.
  pm.nest<func::FuncOp>().addPass(cpu::createWidenBoolTensors());

  // f32 matmuls with constant weights call the runtime's f32 microkernels
  // on prepacked panels; other reductions are reordered and row-tiled,
  // still on tensors.
  pm.addPass(cpu::createPackMatmuls());
  OpPassManager &tile = pm.nest<func::FuncOp>();
  tile.addPass(cpu::createInterchangeReductions());
  tile.addPass(cpu::createReassociateReductions());
  tile.addPass(cpu::createVectorizeContractions());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLoopInvariantSubsetHoistingPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Buffers: results come back as fresh allocations owned by the caller.
  addBufferization(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());

  // Loops; the outermost parallel ones run on OpenMP threads. The C
  // interface goes on the entry only, before any helper functions (libm
  // declarations, math-to-funcs bodies) exist.
  OpPassManager &loops = pm.nest<func::FuncOp>();
  loops.addPass(LLVM::createLLVMRequestCWrappersPass());
  loops.addPass(createLowerStridedCopies());
  loops.addPass(createForallToParallelLoopPass());
  loops.addPass(createConvertLinalgToParallelLoopsPass());
  loops.addPass(cpu::createSerializeInnerParallel());
  loops.addPass(createApproximateMath());

  // Threads, then LLVM (the tail the Vulkan host code takes too).
  HostLoweringOptions host;
  host.openmp = true;
  host.vectors = true;
  addHostLowering(pm, host);
}

void mlir::qc::cpu::registerCpuPipeline() {
  registerQcCpuPasses();
  PassPipelineRegistration<CpuPipelineOptions>(
      "qc-cpu-pipeline",
      "Lower imported qc IR to the LLVM dialect for a CPU artifact",
      buildCpuPipeline);
}
