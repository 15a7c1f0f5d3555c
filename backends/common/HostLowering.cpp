//===- HostLowering.cpp - host loops to the LLVM dialect ------------------===//

#include "backends/common/HostLowering.h"

#include "backends/common/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void qc::addHostLowering(OpPassManager &pm,
                         const HostLoweringOptions &options) {
  // Expands upstream's pass would crash on are lowered first.
  pm.addNestedPass<func::FuncOp>(createLowerDynamicExpands());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  if (options.openmp) {
    // convert-scf-to-openmp wraps each body in memref.alloca_scope, which
    // convert-scf-to-cf cannot handle once it holds several blocks;
    // canonicalize inlines the scopes (they hold no allocas) in between.
    pm.addPass(createConvertSCFToOpenMPPass());
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  if (options.vectors) {
    VectorTransferToSCFOptions vectorToSCF;
    vectorToSCF.enableFullUnroll();
    pm.addPass(createConvertVectorToSCFPass(vectorToSCF));
    // Transfers it cannot unroll (a strided view's reads) become scf loops
    // with affine index maps, lowered like the others.
    pm.addPass(createLowerAffinePass());
    pm.addPass(createSCFToControlFlowPass());
  }
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  if (options.vectors)
    pm.addPass(createConvertVectorToLLVMPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  if (options.openmp)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}
