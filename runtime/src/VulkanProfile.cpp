//===- VulkanProfile.cpp - kernel times of a Vulkan artifact --------------===//

#include "runtime/src/VulkanProfile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>

using namespace quantc::vulkan;

std::unique_ptr<Profile> Profile::create(Device &d, size_t kernels) {
  const char *env = std::getenv("QUANTC_VULKAN_PROFILE");
  if (!env || !*env || std::string(env) == "0")
    return nullptr;
  if (d.timestampBits == 0 || d.properties.limits.timestampPeriod <= 0) {
    std::fprintf(stderr,
                 "quantc: QUANTC_VULKAN_PROFILE: %s has no timestamps on its "
                 "compute queue\n",
                 d.description().c_str());
    return nullptr;
  }
  std::unique_ptr<Profile> p(new Profile());
  p->d = &d;
  p->stats.resize(kernels);
  VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  info.queryType = VK_QUERY_TYPE_TIMESTAMP;
  info.queryCount = kQueries;
  if (d.fn.vkCreateQueryPool(d.device, &info, nullptr, &p->pool) !=
      VK_SUCCESS) {
    std::fprintf(stderr, "quantc: QUANTC_VULKAN_PROFILE: cannot create a "
                         "query pool\n");
    return nullptr;
  }
  return p;
}

Profile::~Profile() {
  if (pool)
    d->fn.vkDestroyQueryPool(d->device, pool, nullptr);
}

void Profile::beginDispatch(VkCommandBuffer commands, uint32_t id, int64_t x,
                            int64_t y, int64_t z) {
  if (used == 0)
    d->fn.vkCmdResetQueryPool(commands, pool, 0, kQueries);
  d->fn.vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, pool,
                            used++);
  batch.push_back(id);
  Stat &s = stats[id];
  s.grid[0] = x;
  s.grid[1] = y;
  s.grid[2] = z;
}

void Profile::endDispatch(VkCommandBuffer commands) {
  d->fn.vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                            pool, used++);
}

void Profile::collect(bool ran, double wait) {
  ++syncs;
  waitMs += wait;
  if (used == 0)
    return;
  std::vector<uint64_t> ticks(used);
  if (ran &&
      d->fn.vkGetQueryPoolResults(
          d->device, pool, 0, used, ticks.size() * sizeof(uint64_t),
          ticks.data(), sizeof(uint64_t),
          VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS) {
    uint64_t mask = d->timestampBits >= 64
                        ? ~uint64_t(0)
                        : (uint64_t(1) << d->timestampBits) - 1;
    double msPerTick = d->properties.limits.timestampPeriod * 1e-6;
    for (size_t i = 0; i < batch.size(); ++i) {
      Stat &s = stats[batch[i]];
      ++s.calls;
      s.ms += double((ticks[2 * i + 1] - ticks[2 * i]) & mask) * msPerTick;
    }
  }
  batch.clear();
  used = 0;
}

void Profile::beginRun() { runStart = std::chrono::steady_clock::now(); }

void Profile::endRun() {
  ++runs;
  wallMs += std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now() - runStart)
                .count();
}

void Profile::print(const std::vector<std::string> &names) const {
  double kernelMs = 0;
  uint64_t calls = 0;
  for (const Stat &s : stats) {
    kernelMs += s.ms;
    calls += s.calls;
  }
  double n = std::max<double>(runs, 1);
  std::fprintf(stderr,
               "quantc vulkan profile (%s, %s memory): %llu runs; per run: "
               "wall %.3f ms, kernels %.3f ms (%.0f dispatches), %.1f syncs "
               "waited %.3f ms\n",
               d->description().c_str(), d->memoryKind.c_str(),
               (unsigned long long)runs, wallMs / n, kernelMs / n, calls / n,
               syncs / n, waitMs / n);
  std::vector<size_t> order(stats.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return stats[a].ms > stats[b].ms; });
  std::fprintf(stderr, "  %-5s %-24s %8s %12s %10s  %s\n", "id", "kernel",
               "calls", "total ms", "mean us", "last grid");
  for (size_t i = 0; i < order.size() && i < 20; ++i) {
    const Stat &s = stats[order[i]];
    if (s.calls == 0)
      break;
    std::fprintf(stderr, "  %-5zu %-24s %8llu %12.3f %10.1f  %lldx%lldx%lld\n",
                 order[i], names[order[i]].c_str(), (unsigned long long)s.calls,
                 s.ms, 1e3 * s.ms / s.calls, (long long)s.grid[0],
                 (long long)s.grid[1], (long long)s.grid[2]);
  }
}
