//===- VulkanPipeline.cpp - imported IR to SPIR-V kernels -----------------===//
//
// The recipe of ../shared/PIPELINES.md ("linalg -> SPIR-V -> Vulkan"),
// verified on MLIR 22 and lavapipe: parallel loops tiled 16 x 16 and mapped
// innermost-first (x along the contiguous dimension), index computations
// sunk into the kernels (else loop bounds become extra buffers), kernels
// outlined, a Vulkan target environment attached, the workgroup size copied
// into each kernel's entry point ABI, then gpu to spirv with the ABI lowered
// and the version/capability/extension triple updated (spirv-val needs the
// entry points; serialization needs the triple).
//
// Matmul-like kernels get the generic parallel-loop lowering here, which
// keeps the accumulator in the output buffer; the tiled register-accumulator
// form is the next step of issue 5.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/VulkanPipeline.h"

#include "backends/cpu/Passes.h"
#include "backends/vulkan/Passes.h"
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir;
using namespace mlir::qc;

/// Appends upstream passes given in textual form (the inner list only:
/// "builtin.module(...)" on a module pass manager would nest a second module
/// and do nothing). The text is fixed, so a parse failure is a bug here.
static void addUpstream(OpPassManager &pm, StringRef pipeline) {
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error("qc-vulkan-pipeline: bad upstream pipeline text");
}

void mlir::qc::vulkan::buildVulkanPipeline(
    OpPassManager &pm, const VulkanPipelineOptions &options) {
  // Tensors: the same linalg level as the CPU backend.
  pm.addPass(cpu::createLowerObservers());
  OpPassManager &lower = pm.nest<func::FuncOp>();
  lower.addPass(createLowerToLinalg());
  lower.addPass(createLowerQuantized());
  lower.addPass(createDecomposeAggregatedOps());
  lower.addPass(createFuseElementwise());
  lower.addPass(vulkan::createParallelLoopsOutermost());
  addUpstream(pm, "canonicalize,cse,"
                  "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map},"
                  "buffer-deallocation-pipeline");

  // Workgroups and kernels.
  // Strided copies (padding, slices) become linalg.copy and so kernels;
  // contiguous ones stay host memcpy.
  OpPassManager &kernels = pm.nest<func::FuncOp>();
  if (options.workgroupMemory)
    kernels.addPass(vulkan::createTileMatmuls());
  kernels.addPass(cpu::createLowerStridedCopies());
  addUpstream(kernels, "convert-linalg-to-parallel-loops");
  kernels.addPass(vulkan::createHoistAccumulators());
  kernels.addPass(vulkan::createBlockRegisters());
  kernels.addPass(vulkan::createLinearizeAccesses());
  // The CPU's polynomials for f32 exp/erf/tanh/log: SPIR-V has no erf, and
  // the same arithmetic on both targets keeps their results together.
  kernels.addPass(cpu::createApproximateMath());
  kernels.addPass(vulkan::createTileParallelLoops());
  addUpstream(kernels, "gpu-map-parallel-loops{mapping-policy=innermost-first},"
                       "convert-parallel-loops-to-gpu");
  addUpstream(pm, "canonicalize");
  pm.nest<func::FuncOp>().addPass(vulkan::createSinkIndexComputations());
  addUpstream(pm, "gpu-kernel-outlining,lower-affine,canonicalize,cse");
  pm.nest<func::FuncOp>().addPass(vulkan::createCheckOutlined());

  // SPIR-V for Vulkan 1.1 (SPIR-V 1.3).
  // Optional capabilities end up in a kernel only when it uses them (spirv-
  // update-vce); the runtime checks them against the device at load time.
  std::string caps =
      "Shader,Int16,Int64,Float16,Float64,StorageBuffer16BitAccess";
  std::string exts =
      "SPV_KHR_storage_buffer_storage_class,SPV_KHR_16bit_storage";
  if (options.int8Storage) {
    caps += ",Int8,StorageBuffer8BitAccess";
    exts += ",SPV_KHR_8bit_storage";
  }
  addUpstream(pm, "spirv-attach-target{ver=v1.3 client_api=Vulkan caps=" +
                      caps + " exts=" + exts + "}");
  pm.nest<gpu::GPUModuleOp>().addPass(vulkan::createSetEntryPointAbi());
  // convert-gpu-to-spirv converts arith but not math.
  addUpstream(pm, "gpu.module(convert-math-to-spirv),convert-gpu-to-spirv,"
                  "spirv.module(spirv-lower-abi-attrs)");
  pm.nest<spirv::ModuleOp>().addPass(vulkan::createPushConstants());
  addUpstream(pm, "spirv.module(spirv-update-vce),canonicalize");
  if (!options.lowerHost)
    return;

  // The host: kernels serialized into the artifact, launches into runtime
  // calls, then the same memref-to-LLVM lowering as a CPU artifact (the C
  // interface requested before the runtime's functions are declared).
  addUpstream(pm, "func.func(llvm-request-c-wrappers)");
  pm.addPass(vulkan::createLowerLaunches());
  addUpstream(pm, "convert-bufferization-to-memref,canonicalize");
  // A strided copy that appears only now (after the kernels were formed)
  // runs as host loops rather than through a libmlir_c_runner_utils call.
  pm.nest<func::FuncOp>().addPass(cpu::createLowerStridedCopies());
  addUpstream(pm, "func.func(convert-linalg-to-loops)");
  addUpstream(pm, "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
                  "canonicalize,cse,convert-math-to-funcs,"
                  "convert-math-to-llvm,convert-math-to-libm,"
                  "finalize-memref-to-llvm{use-generic-functions},"
                  "convert-to-llvm,reconcile-unrealized-casts");
}

void mlir::qc::vulkan::registerVulkanPipeline() {
  registerQcVulkanPasses();
  PassPipelineRegistration<VulkanPipelineOptions>(
      "qc-vulkan-pipeline",
      "Lower imported qc IR to SPIR-V kernels for Vulkan (host side keeps "
      "gpu.launch_func)",
      buildVulkanPipeline);
}
