//===- VulkanProfile.h - kernel times of a Vulkan artifact ------*- C++ -*-===//
//
// With QUANTC_VULKAN_PROFILE=1 in the environment, a Program brackets every
// dispatch with device timestamps and, when it is destroyed, prints to stderr
// the run totals (wall time, summed kernel time, syncs and the host's wait on
// them) and the kernels that took longest, with their grids. Kernel times
// come from the device's own clock, so wall time minus kernel time is what
// the host and the submissions cost.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTC_RUNTIME_SRC_VULKANPROFILE_H
#define QUANTC_RUNTIME_SRC_VULKANPROFILE_H

#include "runtime/src/VulkanDevice.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace quantc::vulkan {

class Profile {
public:
  /// Null unless QUANTC_VULKAN_PROFILE is set and the device's queue has
  /// timestamps (a note on stderr says when it has none).
  static std::unique_ptr<Profile> create(Device &d, size_t kernels);
  ~Profile();

  /// No room for another dispatch in this batch: sync first.
  bool full() const { return used + 2 > kQueries; }
  /// Around kernel `id`'s dispatch, recorded into `commands`.
  void beginDispatch(VkCommandBuffer commands, uint32_t id, int64_t x,
                     int64_t y, int64_t z);
  void endDispatch(VkCommandBuffer commands);
  /// After a batch's fence, which the host waited `waitMs` for; `ran` is
  /// false when the batch failed (its queries are dropped).
  void collect(bool ran, double waitMs);
  void beginRun();
  void endRun();
  /// The report; `names[i]` names kernel i.
  void print(const std::vector<std::string> &names) const;

private:
  static constexpr uint32_t kQueries = 4096;
  struct Stat {
    uint64_t calls = 0;
    double ms = 0;
    int64_t grid[3] = {0, 0, 0};
  };

  Device *d = nullptr;
  VkQueryPool pool = VK_NULL_HANDLE;
  uint32_t used = 0;           // queries written in this batch
  std::vector<uint32_t> batch; // the kernel of each query pair
  std::vector<Stat> stats;     // per kernel
  uint64_t runs = 0, syncs = 0;
  double wallMs = 0, waitMs = 0;
  std::chrono::steady_clock::time_point runStart;
};

} // namespace quantc::vulkan

#endif // QUANTC_RUNTIME_SRC_VULKANPROFILE_H
