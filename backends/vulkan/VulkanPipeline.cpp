//===- VulkanPipeline.cpp - imported IR to SPIR-V kernels -----------------===//
//
// The recipe of ../shared/PIPELINES.md ("linalg -> SPIR-V -> Vulkan"),
// verified on MLIR 22 and lavapipe: the shared linalg front, matmuls tiled
// through workgroup memory, other parallel loops tiled to follow their
// extents and mapped innermost-first (x along the contiguous dimension),
// reduction accumulators in registers, index computations sunk into the
// kernels (else loop bounds become extra buffers), kernels outlined, a
// Vulkan target environment attached, the workgroup size copied into each
// kernel's entry point ABI, then gpu to spirv with the ABI lowered, scalar
// arguments packed into push constants and the version/capability/extension
// triple updated (spirv-val needs the entry points; serialization needs the
// triple). The host side is lowered like a CPU artifact's.
//
//===----------------------------------------------------------------------===//

#include "backends/vulkan/VulkanPipeline.h"

#include "backends/common/HostLowering.h"
#include "backends/common/LinalgFront.h"
#include "backends/common/Passes.h"
#include "backends/vulkan/Passes.h"

#include "mlir/Conversion/GPUToSPIRV/GPUToSPIRVPass.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SPIRV/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qc;

void mlir::qc::vulkan::buildVulkanPipeline(
    OpPassManager &pm, const VulkanPipelineOptions &options) {
  // Tensors: the same linalg level as the CPU backend, then the parallel
  // dimensions of reductions outermost (they become the workgroup grid).
  buildLinalgFront(pm, LinalgFrontOptions());
  pm.nest<func::FuncOp>().addPass(vulkan::createParallelLoopsOutermost());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  addBufferization(pm);

  // Workgroups and kernels.
  // Strided copies (padding, slices) become linalg.copy and so kernels;
  // contiguous ones stay host memcpy.
  OpPassManager &kernels = pm.nest<func::FuncOp>();
  if (options.workgroupMemory)
    kernels.addPass(vulkan::createTileMatmuls());
  kernels.addPass(createLowerStridedCopies());
  kernels.addPass(createConvertLinalgToParallelLoopsPass());
  kernels.addPass(vulkan::createHoistAccumulators());
  kernels.addPass(vulkan::createBlockRegisters());
  kernels.addPass(vulkan::createLinearizeAccesses());
  // The CPU's polynomials for f32 exp/erf/tanh/log: SPIR-V has no erf, and
  // the same arithmetic on both targets keeps their results together.
  kernels.addPass(createApproximateMath());
  kernels.addPass(vulkan::createTileParallelLoops());
  GpuMapParallelLoopsPassOptions mapping;
  mapping.mappingPolicyStr = "innermost-first";
  kernels.addPass(createGpuMapParallelLoopsPass(mapping));
  kernels.addPass(createConvertParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  pm.nest<func::FuncOp>().addPass(vulkan::createSinkIndexComputations());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.nest<func::FuncOp>().addPass(vulkan::createCheckOutlined());

  // SPIR-V for Vulkan 1.1 (SPIR-V 1.3).
  // Optional capabilities end up in a kernel only when it uses them (spirv-
  // update-vce); the runtime checks them against the device at load time.
  GpuSPIRVAttachTargetOptions target;
  target.spirvVersion = "v1.3";
  target.clientApi = "Vulkan";
  // The options struct has no default here; the textual pass leaves the
  // option unset, which upstream reads as an unknown device.
  target.deviceId = spirv::TargetEnvAttr::kUnknownDeviceID;
  target.spirvCapabilities = {"Shader",  "Int16",   "Int64",
                              "Float16", "Float64", "StorageBuffer16BitAccess"};
  target.spirvExtensions = {"SPV_KHR_storage_buffer_storage_class",
                            "SPV_KHR_16bit_storage"};
  if (options.int8Storage) {
    target.spirvCapabilities.append({"Int8", "StorageBuffer8BitAccess"});
    target.spirvExtensions.push_back("SPV_KHR_8bit_storage");
  }
  pm.addPass(createGpuSPIRVAttachTarget(target));
  pm.nest<gpu::GPUModuleOp>().addPass(vulkan::createSetEntryPointAbi());
  // convert-gpu-to-spirv converts arith but not math, nor the arith ops
  // without a SPIR-V instruction (ceildivsi: a Slice's size with a step
  // of -2 or less, computed in the kernel): those are expanded first.
  pm.nest<gpu::GPUModuleOp>().addPass(arith::createArithExpandOpsPass());
  pm.nest<gpu::GPUModuleOp>().addPass(createConvertMathToSPIRVPass());
  pm.addPass(createConvertGPUToSPIRVPass());
  pm.nest<spirv::ModuleOp>().addPass(
      spirv::createSPIRVLowerABIAttributesPass());
  pm.nest<spirv::ModuleOp>().addPass(vulkan::createPushConstants());
  pm.nest<spirv::ModuleOp>().addPass(spirv::createSPIRVUpdateVCEPass());
  pm.addPass(createCanonicalizerPass());
  if (!options.lowerHost)
    return;

  // The host: kernels serialized into the artifact, launches into runtime
  // calls, then the same memref-to-LLVM lowering as a CPU artifact (the C
  // interface requested before the runtime's functions are declared).
  pm.nest<func::FuncOp>().addPass(LLVM::createLLVMRequestCWrappersPass());
  pm.addPass(vulkan::createLowerLaunches());
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());
  // A strided copy that appears only now (after the kernels were formed)
  // runs as host loops rather than through a libmlir_c_runner_utils call.
  pm.nest<func::FuncOp>().addPass(createLowerStridedCopies());
  pm.nest<func::FuncOp>().addPass(createConvertLinalgToLoopsPass());
  addHostLowering(pm, HostLoweringOptions());
}

void mlir::qc::vulkan::registerVulkanPipeline() {
  registerQcVulkanPasses();
  PassPipelineRegistration<VulkanPipelineOptions>(
      "qc-vulkan-pipeline",
      "Lower imported qc IR to SPIR-V kernels for Vulkan (host side keeps "
      "gpu.launch_func)",
      buildVulkanPipeline);
}
