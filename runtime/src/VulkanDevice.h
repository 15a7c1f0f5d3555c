//===- VulkanDevice.h - the process's Vulkan device and its buffers -*- C++
//-*-===//
//
// One Vulkan device per process, opened on first use: the loader is
// dlopen'ed (no link-time dependency, so a machine without Vulkan gets a
// status message, not a failure to start), the device is picked by
// QUANTC_VULKAN_DEVICE (an index into the physical devices, or a substring
// of a device's name; default: the first discrete GPU, else the first
// device), and every optional feature a kernel may need (8/16-bit storage,
// Int8/Int16/Int64/Float16 arithmetic) is enabled where it exists.
//
// Buffers for generated code come from here: host-visible, coherent,
// persistently mapped memory (lavapipe's only kind; a discrete GPU's
// host-visible heap), so host code and kernels share one address, and the
// runtime finds the VkBuffer behind any address a kernel argument names.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_SRC_VULKANDEVICE_H
#define QUANTC_RUNTIME_SRC_VULKANDEVICE_H

#include "quantc_runtime.h"

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace quantc::vulkan {

/// Device functions the executor calls, loaded through the loader.
struct Functions {
#define QUANTC_VK_DEVICE_FUNCTIONS(X)                                          \
  X(vkDestroyDevice)                                                           \
  X(vkGetDeviceQueue)                                                          \
  X(vkCreateBuffer)                                                            \
  X(vkDestroyBuffer)                                                           \
  X(vkGetBufferMemoryRequirements)                                             \
  X(vkAllocateMemory)                                                          \
  X(vkFreeMemory)                                                              \
  X(vkBindBufferMemory)                                                        \
  X(vkMapMemory)                                                               \
  X(vkCreateShaderModule)                                                      \
  X(vkDestroyShaderModule)                                                     \
  X(vkCreateDescriptorSetLayout)                                               \
  X(vkDestroyDescriptorSetLayout)                                              \
  X(vkCreatePipelineLayout)                                                    \
  X(vkDestroyPipelineLayout)                                                   \
  X(vkCreatePipelineCache)                                                     \
  X(vkDestroyPipelineCache)                                                    \
  X(vkCreateComputePipelines)                                                  \
  X(vkDestroyPipeline)                                                         \
  X(vkCreateDescriptorPool)                                                    \
  X(vkDestroyDescriptorPool)                                                   \
  X(vkResetDescriptorPool)                                                     \
  X(vkAllocateDescriptorSets)                                                  \
  X(vkUpdateDescriptorSets)                                                    \
  X(vkCreateCommandPool)                                                       \
  X(vkDestroyCommandPool)                                                      \
  X(vkAllocateCommandBuffers)                                                  \
  X(vkBeginCommandBuffer)                                                      \
  X(vkEndCommandBuffer)                                                        \
  X(vkResetCommandBuffer)                                                      \
  X(vkCmdBindPipeline)                                                         \
  X(vkCmdBindDescriptorSets)                                                   \
  X(vkCmdDispatch)                                                             \
  X(vkCmdCopyBuffer)                                                           \
  X(vkCmdPushConstants)                                                        \
  X(vkCmdPipelineBarrier)                                                      \
  X(vkCreateFence)                                                             \
  X(vkDestroyFence)                                                            \
  X(vkResetFences)                                                             \
  X(vkWaitForFences)                                                           \
  X(vkQueueSubmit)                                                             \
  X(vkCreateQueryPool)                                                         \
  X(vkDestroyQueryPool)                                                        \
  X(vkCmdResetQueryPool)                                                       \
  X(vkCmdWriteTimestamp)                                                       \
  X(vkGetQueryPoolResults)
#define QUANTC_VK_DECLARE(name) PFN_##name name = nullptr;
  QUANTC_VK_DEVICE_FUNCTIONS(QUANTC_VK_DECLARE)
#undef QUANTC_VK_DECLARE
};

/// Capability bits a kernel records in the artifact's kernel table
/// (backends/vulkan/LowerLaunches.cpp writes the same values), named in the
/// C API as QUANTC_VULKAN_CAP_*.
enum Capability : uint32_t {
  kInt8 = QUANTC_VULKAN_CAP_INT8,
  kStorage8 = QUANTC_VULKAN_CAP_STORAGE_BUFFER_8BIT_ACCESS,
  kInt16 = QUANTC_VULKAN_CAP_INT16,
  kFloat16 = QUANTC_VULKAN_CAP_FLOAT16,
  kInt64 = QUANTC_VULKAN_CAP_INT64,
  kStorage16 = QUANTC_VULKAN_CAP_STORAGE_BUFFER_16BIT_ACCESS,
  kFloat64 = QUANTC_VULKAN_CAP_FLOAT64,
};
static_assert(kInt8 == 1 && kStorage8 == 2 && kInt16 == 4 && kFloat16 == 8 &&
                  kInt64 == 16 && kStorage16 == 32 && kFloat64 == 64,
              "the kernel table's capability bits are fixed");

struct Device {
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queueFamily = 0;
  uint32_t timestampBits = 0; // of the queue family; 0: no timestamps
  uint32_t memoryType = 0;
  std::string memoryKind; // "host-visible, cached, device-local"
  VkPhysicalDeviceProperties properties{};
  uint32_t capabilities = 0; // Capability bits the device has enabled
  Functions fn;

  /// "NAME (TYPE)".
  std::string description() const;
};

/// The process's device, opened on first call; null with `error` set when
/// there is no loader, no device, or it cannot be opened (then every later
/// call gives the same error).
Device *getDevice(std::string &error);

/// A mapped buffer of at least `bytes` bytes; null when the device has no
/// memory left. Buffers are cached by size for reuse.
void *allocate(size_t bytes) noexcept;
void deallocate(void *p) noexcept;

/// The device buffer holding `address`: its buffer, the offset of `address`
/// in it and the bytes from there to its end. False for memory not from
/// allocate().
bool findBuffer(const void *address, VkBuffer &buffer, VkDeviceSize &offset,
                VkDeviceSize &available);

/// Message for a failed Vulkan call ("out of device memory", ...).
std::string resultString(VkResult result);

} // namespace quantc::vulkan

#endif // QUANTC_RUNTIME_SRC_VULKANDEVICE_H
