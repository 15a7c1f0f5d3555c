//===- VulkanProgram.h - kernels and dispatches of an artifact --*- C++ -*-===//
//
// A Vulkan artifact is a CPU shared library whose host code calls
//   quantc_gpu_dispatch(id, x, y, z, n, records), quantc_gpu_sync() and
//   quantc_gpu_copy(source, target, bytes)
// through the artifact's `quantc_gpu` table (backends/vulkan/LowerLaunches.cpp
// documents the records; `quantc_kernels` holds the SPIR-V). A Program
// parses the kernel table, creates compute pipelines on first use (one
// VkPipelineCache per program), records dispatches into one command buffer
// with a compute-to-compute barrier after each (scalar arguments as push
// constants where the kernel table says so), and submits and waits on a
// fence at every sync. Kernel arguments that do not live in device buffers
// (the caller's inputs, the artifact's constant weights) are copied into
// device buffers: constants once per program, inputs once per run.
//
// Generated code cannot receive errors, so the first failure is kept and
// later dispatches are skipped; the run then returns it as its status.
//
// A Program is not thread-safe: Model.cpp runs one Vulkan model at a time.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_SRC_VULKANPROGRAM_H
#define QUANTC_RUNTIME_SRC_VULKANPROGRAM_H

#include "runtime/src/Status.h"
#include "runtime/src/VulkanDevice.h"
#include "runtime/src/VulkanProfile.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace quantc::vulkan {

class Program {
public:
  /// Parses `table` (the artifact's `quantc_kernels`); `isConstant` tells
  /// whether an address lies in the artifact's read-only data. Null with
  /// `error` set on failure.
  static std::unique_ptr<Program>
  create(const unsigned char *table, bool (*isConstant)(const void *, void *),
         void *isConstantContext, Error &error);
  ~Program();

  /// Called by generated code (through the artifact's `quantc_gpu`).
  static void dispatchThunk(void *self, int64_t id, int64_t x, int64_t y,
                            int64_t z, int64_t n, int64_t records);
  static void syncThunk(void *self);
  static void copyThunk(void *self, int64_t source, int64_t target,
                        int64_t bytes);

  /// Before a run: forgets the copies of the previous run's inputs.
  void beginRun();
  /// After a run: waits for the device; returns the first error since
  /// beginRun() (none: code QUANTC_OK; out of host memory: an empty
  /// message).
  Error endRun();

  size_t numKernels() const { return kernels.size(); }

private:
  struct Kernel {
    std::string entry;
    uint32_t bindings = 0;
    uint32_t capabilities = 0;
    /// Per binding: its push-constant member, or -1 for a storage buffer.
    std::vector<int32_t> pushMember;
    uint32_t pushCount = 0;
    std::vector<uint32_t> words;
    VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    VkPipeline pipeline = VK_NULL_HANDLE;
  };
  struct Copy {
    void *device = nullptr; // from allocate()
    size_t bytes = 0;
  };

  Program() = default;
  void dispatch(int64_t id, int64_t x, int64_t y, int64_t z, int64_t n,
                const int64_t *records);
  void sync();
  /// `bytes` from `source` to `target`: queued on the device when both are
  /// device buffers, else copied by the host after a sync.
  void copy(const void *source, void *target, size_t bytes);
  /// Makes what the last command wrote visible to later kernels, copies
  /// and the host.
  void barrierAfter(VkPipelineStageFlags stage, VkAccessFlags access);
  bool prepare(Kernel &k);
  bool begin();
  void fail(quantc_status_code code, const std::string &message);
  /// A failed Vulkan call: out of memory or a device error.
  void fail(VkResult result, const std::string &message);
  /// Records running out of host memory (an empty message: see endRun).
  void failOutOfMemory() noexcept;
  /// The device copy of `bytes` at foreign `address`.
  void *copyOf(const void *address, size_t bytes);

  Device *d = nullptr;
  std::vector<Kernel> kernels;
  bool (*isConstant)(const void *, void *) = nullptr;
  void *isConstantContext = nullptr;
  Error error;

  VkPipelineCache cache = VK_NULL_HANDLE;
  VkCommandPool commandPool = VK_NULL_HANDLE;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  uint32_t poolSets = 0, poolDescriptors = 0; // used since the last sync
  bool recording = false;

  // Scalar arguments that are not push constants (beyond 32, or not 32-bit):
  // slots in one mapped buffer, reused after each sync.
  char *scalars = nullptr;
  VkBuffer scalarBuffer = VK_NULL_HANDLE; // the buffer behind `scalars`
  VkDeviceSize scalarBase = 0;            // and its offset in it
  size_t scalarUsed = 0;

  std::unordered_map<const void *, Copy> constants; // for the program
  std::unordered_map<const void *, Copy> inputs;    // for one run

  std::unique_ptr<Profile> profile; // with QUANTC_VULKAN_PROFILE

  // A dispatch's descriptor writes, kept to reuse their storage.
  std::vector<VkDescriptorBufferInfo> scratchInfos;
  std::vector<VkWriteDescriptorSet> scratchWrites;
};

} // namespace quantc::vulkan

#endif // QUANTC_RUNTIME_SRC_VULKANPROGRAM_H
