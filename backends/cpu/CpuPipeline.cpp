//===- CpuPipeline.cpp - imported IR to the LLVM dialect ------------------===//
//
// The recipe follows ../shared/PIPELINES.md (verified on MLIR 22): decompose
// aggregated ops before anything else, fuse elementwise producers on tensors,
// bufferize across function boundaries with identity layouts, let the
// ownership-based deallocation make every returned buffer a fresh allocation
// the caller owns (the runtime frees it), expand strided metadata before
// lowering affine, and only then convert to LLVM. math ops without an LLVM
// intrinsic (erf, tanh, ...) become libm calls.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/CpuPipeline.h"

#include "backends/cpu/Passes.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::qc;

/// Appends upstream passes given in textual form. The text is fixed, so a
/// parse failure is a bug in this file.
static void addUpstream(OpPassManager &pm, StringRef pipeline) {
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("qc-cpu-pipeline: bad upstream pipeline text");
}

void mlir::qc::cpu::buildCpuPipeline(OpPassManager &pm,
                                     const CpuPipelineOptions &options) {
  // Tensors: qc (float and quantized) to linalg, softmax decomposed,
  // elementwise chains fused.
  cpu::LowerObserversOptions observers;
  observers.instrument = options.instrumentObservers;
  pm.addPass(cpu::createLowerObservers(observers));
  OpPassManager &lower = pm.nest<func::FuncOp>();
  lower.addPass(createLowerToLinalg());
  lower.addPass(createLowerQuantized());
  lower.addPass(createDecomposeAggregatedOps());
  lower.addPass(cpu::createCheckLowered());
  addUpstream(pm, "canonicalize,cse");

  // Loop order and register tiles for reductions, still on tensors.
  OpPassManager &tile = pm.nest<func::FuncOp>();
  tile.addPass(createFuseElementwise());
  tile.addPass(cpu::createInterchangeReductions());
  tile.addPass(cpu::createReassociateReductions());
  tile.addPass(cpu::createVectorizeContractions());
  addUpstream(pm, "canonicalize,loop-invariant-subset-hoisting,canonicalize,"
                  "cse");

  // Buffers: results come back as fresh allocations owned by the caller.
  addUpstream(pm,
              "one-shot-bufferize{bufferize-function-boundaries "
              "function-boundary-type-conversion=identity-layout-map},"
              "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
              "canonicalize");

  // Loops; the outermost parallel ones run on OpenMP threads. The C
  // interface goes on the entry only, before any helper functions (libm
  // declarations, math-to-funcs bodies) exist.
  OpPassManager &loops = pm.nest<func::FuncOp>();
  addUpstream(loops, "llvm-request-c-wrappers");
  loops.addPass(cpu::createLowerStridedCopies());
  addUpstream(loops, "scf-forall-to-parallel,convert-linalg-to-parallel-loops");
  loops.addPass(cpu::createSerializeInnerParallel());
  loops.addPass(cpu::createApproximateMath());
  // convert-scf-to-openmp wraps each body in memref.alloca_scope, which
  // convert-scf-to-cf cannot handle once it holds several blocks;
  // canonicalize inlines the scopes (they hold no allocas) in between.
  addUpstream(pm, "expand-strided-metadata,lower-affine,convert-scf-to-openmp,"
                  "canonicalize,convert-scf-to-cf,canonicalize,cse");

  // LLVM. Integer powers get function bodies; math ops without an LLVM
  // intrinsic become libm calls.
  addUpstream(pm, "convert-vector-to-scf{full-unroll},"
                  "convert-math-to-funcs,convert-math-to-llvm,"
                  "convert-math-to-libm,convert-vector-to-llvm,"
                  "finalize-memref-to-llvm{use-generic-functions},"
                  "convert-openmp-to-llvm,"
                  "convert-to-llvm,reconcile-unrealized-casts");
}

void mlir::qc::cpu::registerCpuPipeline() {
  registerQcCpuPasses();
  PassPipelineRegistration<CpuPipelineOptions>(
      "qc-cpu-pipeline",
      "Lower imported qc IR to the LLVM dialect for a CPU artifact",
      buildCpuPipeline);
}
