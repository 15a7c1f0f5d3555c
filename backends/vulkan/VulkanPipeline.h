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
};

/// Builds the Vulkan pipeline, anchored on `builtin.module`: qc ops to
/// linalg (as for the CPU), bufferization, parallel loops tiled into
/// 16 x 16 workgroups, outlined GPU kernels, and one `spirv.module` per
/// kernel. The host side keeps `gpu.launch_func` ops.
void buildVulkanPipeline(OpPassManager &pm,
                         const VulkanPipelineOptions &options);

/// Registers `qc-vulkan-pipeline` and the Vulkan backend's passes.
void registerVulkanPipeline();

} // namespace qc::vulkan
} // namespace mlir

#endif // QUANTC_BACKENDS_VULKAN_VULKANPIPELINE_H
