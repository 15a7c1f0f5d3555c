//===- VulkanPipeline.h - imported IR to SPIR-V kernels ---------*- C++ -*-===//

#ifndef QUANTC_BACKENDS_VULKAN_VULKANPIPELINE_H
#define QUANTC_BACKENDS_VULKAN_VULKANPIPELINE_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
namespace qc::vulkan {

struct VulkanPipelineOptions : PassPipelineOptions<VulkanPipelineOptions> {
  PassOptions::Option<bool> int8Storage{
      *this, "int8-storage",
      llvm::cl::desc("Target devices with Int8 and StorageBuffer8BitAccess "
                     "(else i8 buffers are emulated in i32)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> workgroupMemory{
      *this, "workgroup-memory",
      llvm::cl::desc("f32 and integer (W8A8) matmuls as tiled kernels "
                     "staging K-slices in workgroup memory "
                     "(qc-vulkan-tile-matmuls); false: register blocks only"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> lowerHost{
      *this, "lower-host",
      llvm::cl::desc("Serialize the kernels into the module and lower the "
                     "host side to the LLVM dialect (false: stop at "
                     "gpu.launch_func and spirv.module ops)"),
      llvm::cl::init(true)};
};

/// Builds the Vulkan pipeline, anchored on `builtin.module`: qc ops to
/// linalg (as for the CPU), bufferization, parallel loops tiled into
/// 16 x 16 workgroups, outlined GPU kernels, and one `spirv.module` per
/// kernel; then (unless `lower-host=false`) the kernels serialized into the
/// module's `quantc_kernels` constant and the host side lowered to the LLVM
/// dialect, calling the runtime for each launch.
void buildVulkanPipeline(OpPassManager &pm,
                         const VulkanPipelineOptions &options);

/// Registers `qc-vulkan-pipeline` and the Vulkan backend's passes.
void registerVulkanPipeline();

} // namespace qc::vulkan
} // namespace mlir

#endif // QUANTC_BACKENDS_VULKAN_VULKANPIPELINE_H
