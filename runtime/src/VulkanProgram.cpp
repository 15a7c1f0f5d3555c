//===- VulkanProgram.cpp - a Vulkan artifact's kernels and dispatches -----===//

#include "runtime/src/VulkanProgram.h"

#include <algorithm>
#include <chrono>
#include <cstring>

using namespace quantc::vulkan;

namespace {

constexpr size_t kScalarBytes = 64 * 1024;
constexpr uint32_t kPoolSets = 1024;
constexpr uint32_t kPoolDescriptors = 16 * 1024;
constexpr uint32_t kMaxPushConstants = 32; // 128 bytes, every device's limit

uint32_t readWord(const unsigned char *p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 |
         uint32_t(p[3]) << 24;
}

std::string capabilityNames(uint32_t bits) {
  static const char *names[] = {
      "Int8",  "StorageBuffer8BitAccess",  "Int16",  "Float16",
      "Int64", "StorageBuffer16BitAccess", "Float64"};
  std::string s;
  for (unsigned i = 0; i < 7; ++i)
    if (bits & (1u << i))
      s += (s.empty() ? "" : ", ") + std::string(names[i]);
  return s;
}

/// The status code of a failed Vulkan call.
quantc_status_code statusCode(VkResult result) {
  return result == VK_ERROR_OUT_OF_HOST_MEMORY ||
                 result == VK_ERROR_OUT_OF_DEVICE_MEMORY
             ? QUANTC_OUT_OF_MEMORY
             : QUANTC_DEVICE_ERROR;
}

} // namespace

std::unique_ptr<Program>
Program::create(const unsigned char *table,
                bool (*isConstant)(const void *, void *),
                void *isConstantContext, Error &error) {
  std::unique_ptr<Program> p(new Program());
  p->isConstant = isConstant;
  p->isConstantContext = isConstantContext;
  if (std::memcmp(table, "QCVK", 4) != 0 || readWord(table + 4) != 2) {
    error = {QUANTC_IO_ERROR,
             "unsupported kernel table (expected QCVK version 2; recompile "
             "the model with this quantc)"};
    return nullptr;
  }
  uint32_t count = readWord(table + 8);
  const unsigned char *at = table + 12;
  for (uint32_t i = 0; i < count; ++i) {
    Kernel k;
    uint32_t nameBytes = readWord(at);
    k.entry.assign(reinterpret_cast<const char *>(at + 4), nameBytes);
    at += 4 + (nameBytes + 3) / 4 * 4;
    k.bindings = readWord(at);
    k.capabilities = readWord(at + 4);
    k.pushCount = readWord(at + 8);
    at += 12;
    k.pushMember.assign(k.bindings, -1);
    bool malformed = k.pushCount > kMaxPushConstants;
    for (uint32_t j = 0; j < k.pushCount && !malformed; ++j, at += 4) {
      uint32_t binding = readWord(at);
      malformed = binding >= k.bindings || k.pushMember[binding] >= 0;
      if (!malformed)
        k.pushMember[binding] = static_cast<int32_t>(j);
    }
    if (malformed) {
      error = {QUANTC_IO_ERROR,
               "kernel '" + k.entry + "' has a malformed push-constant list"};
      return nullptr;
    }
    uint32_t words = readWord(at);
    at += 4;
    k.words.resize(words);
    for (uint32_t w = 0; w < words; ++w)
      k.words[w] = readWord(at + 4 * w);
    at += 4 * words;
    p->kernels.push_back(std::move(k));
  }

  p->d = getDevice(error.message);
  if (!p->d) {
    error.code = QUANTC_DEVICE_ERROR;
    return nullptr;
  }
  Device &d = *p->d;
  for (const Kernel &k : p->kernels)
    if (uint32_t missing = k.capabilities & ~d.capabilities) {
      error = {QUANTC_DEVICE_ERROR,
               "kernel '" + k.entry + "' needs " + capabilityNames(missing) +
                   ", which " + d.description() +
                   " lacks (compile with --vulkan-int8-storage=false for "
                   "devices without 8-bit storage)"};
      return nullptr;
    }
  VkPipelineCacheCreateInfo cacheInfo{
      VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
  VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  poolInfo.queueFamilyIndex = d.queueFamily;
  VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                            kPoolDescriptors};
  VkDescriptorPoolCreateInfo descriptorInfo{
      VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  descriptorInfo.maxSets = kPoolSets;
  descriptorInfo.poolSizeCount = 1;
  descriptorInfo.pPoolSizes = &size;
  VkResult r =
      d.fn.vkCreatePipelineCache(d.device, &cacheInfo, nullptr, &p->cache);
  if (r == VK_SUCCESS)
    r = d.fn.vkCreateCommandPool(d.device, &poolInfo, nullptr, &p->commandPool);
  if (r == VK_SUCCESS) {
    VkCommandBufferAllocateInfo info{
        VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    info.commandPool = p->commandPool;
    info.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    info.commandBufferCount = 1;
    r = d.fn.vkAllocateCommandBuffers(d.device, &info, &p->commands);
  }
  if (r == VK_SUCCESS)
    r = d.fn.vkCreateFence(d.device, &fenceInfo, nullptr, &p->fence);
  if (r == VK_SUCCESS)
    r = d.fn.vkCreateDescriptorPool(d.device, &descriptorInfo, nullptr,
                                    &p->pool);
  if (r != VK_SUCCESS) {
    error = {statusCode(r),
             "cannot set up " + d.description() + ": " + resultString(r)};
    return nullptr;
  }
  p->profile = Profile::create(d, p->kernels.size());
  p->scalars = static_cast<char *>(allocate(kScalarBytes));
  VkDeviceSize unused;
  if (!p->scalars ||
      !findBuffer(p->scalars, p->scalarBuffer, p->scalarBase, unused)) {
    error = {QUANTC_OUT_OF_MEMORY,
             "out of device memory on " + d.description()};
    return nullptr;
  }
  return p;
}

Program::~Program() {
  if (!d)
    return;
  if (recording)
    sync();
  if (profile) {
    std::vector<std::string> names;
    for (size_t i = 0; i < kernels.size(); ++i)
      names.push_back(kernels[i].entry);
    profile->print(names);
    profile.reset();
  }
  Functions &f = d->fn;
  for (Kernel &k : kernels) {
    if (k.pipeline)
      f.vkDestroyPipeline(d->device, k.pipeline, nullptr);
    if (k.layout)
      f.vkDestroyPipelineLayout(d->device, k.layout, nullptr);
    if (k.setLayout)
      f.vkDestroyDescriptorSetLayout(d->device, k.setLayout, nullptr);
  }
  for (auto *copies : {&constants, &inputs})
    for (auto &[address, copy] : *copies)
      deallocate(copy.device);
  deallocate(scalars);
  if (pool)
    f.vkDestroyDescriptorPool(d->device, pool, nullptr);
  if (fence)
    f.vkDestroyFence(d->device, fence, nullptr);
  if (commandPool)
    f.vkDestroyCommandPool(d->device, commandPool, nullptr);
  if (cache)
    f.vkDestroyPipelineCache(d->device, cache, nullptr);
}

void Program::fail(quantc_status_code code, const std::string &message) {
  if (!error)
    error = {code, message};
}

void Program::fail(VkResult result, const std::string &message) {
  fail(statusCode(result), message + ": " + resultString(result));
}

bool Program::prepare(Kernel &k) {
  if (k.pipeline)
    return true;
  Functions &f = d->fn;
  std::vector<VkDescriptorSetLayoutBinding> bindings;
  for (uint32_t i = 0; i < k.bindings; ++i)
    if (k.pushMember[i] < 0)
      bindings.push_back({i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                          VK_SHADER_STAGE_COMPUTE_BIT, nullptr});
  VkDescriptorSetLayoutCreateInfo setInfo{
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  setInfo.bindingCount = static_cast<uint32_t>(bindings.size());
  setInfo.pBindings = bindings.data();
  VkPushConstantRange pushRange{VK_SHADER_STAGE_COMPUTE_BIT, 0,
                                4 * k.pushCount};
  VkResult r =
      f.vkCreateDescriptorSetLayout(d->device, &setInfo, nullptr, &k.setLayout);
  if (r == VK_SUCCESS) {
    VkPipelineLayoutCreateInfo layoutInfo{
        VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layoutInfo.setLayoutCount = 1;
    layoutInfo.pSetLayouts = &k.setLayout;
    layoutInfo.pushConstantRangeCount = k.pushCount ? 1 : 0;
    layoutInfo.pPushConstantRanges = &pushRange;
    r = f.vkCreatePipelineLayout(d->device, &layoutInfo, nullptr, &k.layout);
  }
  VkShaderModule module = VK_NULL_HANDLE;
  if (r == VK_SUCCESS) {
    VkShaderModuleCreateInfo moduleInfo{
        VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    moduleInfo.codeSize = k.words.size() * 4;
    moduleInfo.pCode = k.words.data();
    r = f.vkCreateShaderModule(d->device, &moduleInfo, nullptr, &module);
  }
  if (r == VK_SUCCESS) {
    VkComputePipelineCreateInfo info{
        VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = module;
    info.stage.pName = k.entry.c_str();
    info.layout = k.layout;
    r = f.vkCreateComputePipelines(d->device, cache, 1, &info, nullptr,
                                   &k.pipeline);
    f.vkDestroyShaderModule(d->device, module, nullptr);
  }
  if (r != VK_SUCCESS) {
    fail(r, "cannot create the pipeline of kernel '" + k.entry + "' on " +
                d->description());
    return false;
  }
  return true;
}

bool Program::begin() {
  if (recording)
    return true;
  VkCommandBufferBeginInfo info{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  info.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  VkResult r = d->fn.vkBeginCommandBuffer(commands, &info);
  if (r != VK_SUCCESS) {
    fail(r, "cannot record commands on " + d->description());
    return false;
  }
  recording = true;
  return true;
}

void *Program::copyOf(const void *address, size_t bytes) {
  bool constant = isConstant && isConstant(address, isConstantContext);
  auto &copies = constant ? constants : inputs;
  Copy &copy = copies[address];
  if (!copy.device || copy.bytes < bytes) {
    deallocate(copy.device);
    // At least 16 bytes on the device (descriptors of smaller buffers are
    // refused by some drivers), but only the host buffer's own bytes are
    // read: the rest is zero (reading 16 of a 12-byte input overflowed it,
    // found by the AddressSanitizer build).
    size_t deviceBytes = std::max<size_t>(bytes, 16);
    copy.device = allocate(deviceBytes);
    copy.bytes = copy.device ? bytes : 0;
    if (!copy.device) {
      fail(QUANTC_OUT_OF_MEMORY, "out of device memory on " + d->description());
      return nullptr;
    }
    std::memcpy(copy.device, address, bytes);
    std::memset(static_cast<char *>(copy.device) + bytes, 0,
                deviceBytes - bytes);
  }
  return copy.device;
}

void Program::dispatch(int64_t id, int64_t x, int64_t y, int64_t z, int64_t n,
                       const int64_t *records) {
  if (error)
    return;
  if (id < 0 || static_cast<size_t>(id) >= kernels.size())
    return fail(QUANTC_INTERNAL,
                "dispatch of unknown kernel " + std::to_string(id));
  Kernel &k = kernels[id];
  if (static_cast<uint64_t>(n) != k.bindings)
    return fail(QUANTC_INTERNAL, "kernel '" + k.entry + "' takes " +
                                     std::to_string(k.bindings) +
                                     " arguments, got " + std::to_string(n));
  if (x <= 0 || y <= 0 || z <= 0)
    return; // an empty grid: nothing to run
  const uint32_t *limit = d->properties.limits.maxComputeWorkGroupCount;
  if (x > limit[0] || y > limit[1] || z > limit[2])
    return fail(QUANTC_DEVICE_ERROR,
                "kernel '" + k.entry + "' needs a grid of " +
                    std::to_string(x) + " x " + std::to_string(y) + " x " +
                    std::to_string(z) + " workgroups, more than " +
                    d->description() + " allows");
  if (!prepare(k))
    return;

  // Room for this dispatch's descriptors and scalars, else run what is
  // recorded first.
  size_t align = std::max<VkDeviceSize>(
      16, d->properties.limits.minStorageBufferOffsetAlignment);
  size_t scalarNeed = 0;
  for (int64_t i = 0; i < n; ++i)
    if (records[3 * i + 2] == 1 && k.pushMember[i] < 0)
      scalarNeed += align;
  if (poolSets + 1 > kPoolSets || poolDescriptors + n > kPoolDescriptors ||
      scalarUsed + scalarNeed > kScalarBytes || (profile && profile->full()))
    sync();
  if (error || !begin())
    return;

  Functions &f = d->fn;
  VkDescriptorSetAllocateInfo setInfo{
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  setInfo.descriptorPool = pool;
  setInfo.descriptorSetCount = 1;
  setInfo.pSetLayouts = &k.setLayout;
  VkDescriptorSet set;
  VkResult r = f.vkAllocateDescriptorSets(d->device, &setInfo, &set);
  if (r != VK_SUCCESS)
    return fail(r, "cannot allocate descriptors on " + d->description());
  ++poolSets;
  poolDescriptors += n;

  // Reused across dispatches: no allocation per dispatch.
  std::vector<VkDescriptorBufferInfo> &infos = scratchInfos;
  std::vector<VkWriteDescriptorSet> &writes = scratchWrites;
  infos.resize(n);
  writes.clear();
  uint32_t pushed[kMaxPushConstants];
  for (int64_t i = 0; i < n; ++i) {
    int64_t value = records[3 * i], bytes = records[3 * i + 1];
    int64_t kind = records[3 * i + 2];
    if (int32_t member = k.pushMember[i]; member >= 0) {
      if (kind != 1 || bytes != 4)
        return fail(QUANTC_INTERNAL, "kernel '" + k.entry + "' argument " +
                                         std::to_string(i) +
                                         " is a push constant but not a "
                                         "4-byte scalar");
      pushed[member] = static_cast<uint32_t>(value);
      continue;
    }
    VkDescriptorBufferInfo &info = infos[i];
    if (kind == 1) {
      std::memcpy(scalars + scalarUsed, &value,
                  std::min<int64_t>(bytes, sizeof value));
      info = {scalarBuffer, scalarBase + scalarUsed,
              static_cast<VkDeviceSize>(bytes)};
      scalarUsed += align;
    } else {
      auto *address = reinterpret_cast<const void *>(value);
      VkBuffer buffer;
      VkDeviceSize offset, available;
      if (!findBuffer(address, buffer, offset, available)) {
        void *copy =
            copyOf(address, static_cast<size_t>(std::max<int64_t>(bytes, 0)));
        if (!copy)
          return;
        findBuffer(copy, buffer, offset, available);
      } else if (static_cast<VkDeviceSize>(bytes) > available) {
        return fail(QUANTC_INTERNAL, "kernel '" + k.entry + "' argument " +
                                         std::to_string(i) +
                                         " reaches past the end of its buffer");
      }
      if (offset % d->properties.limits.minStorageBufferOffsetAlignment)
        return fail(QUANTC_DEVICE_ERROR,
                    "kernel '" + k.entry + "' argument " + std::to_string(i) +
                        " is not aligned for " + d->description());
      info = {buffer, offset, VK_WHOLE_SIZE};
    }
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = set;
    write.dstBinding = static_cast<uint32_t>(i);
    write.descriptorCount = 1;
    write.descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    write.pBufferInfo = &infos[i];
    writes.push_back(write);
  }
  f.vkUpdateDescriptorSets(d->device, static_cast<uint32_t>(writes.size()),
                           writes.data(), 0, nullptr);
  f.vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, k.pipeline);
  f.vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, k.layout,
                            0, 1, &set, 0, nullptr);
  if (k.pushCount)
    f.vkCmdPushConstants(commands, k.layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                         4 * k.pushCount, pushed);
  if (profile)
    profile->beginDispatch(commands, static_cast<uint32_t>(id), x, y, z);
  f.vkCmdDispatch(commands, static_cast<uint32_t>(x), static_cast<uint32_t>(y),
                  static_cast<uint32_t>(z));
  if (profile)
    profile->endDispatch(commands);
  barrierAfter(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
               VK_ACCESS_SHADER_WRITE_BIT);
}

void Program::barrierAfter(VkPipelineStageFlags stage, VkAccessFlags access) {
  // The next dispatch or copy may read or overwrite what this command
  // wrote; the host reads only after a sync (the fence).
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = access;
  barrier.dstAccessMask =
      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
      VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT |
      VK_ACCESS_HOST_READ_BIT | VK_ACCESS_HOST_WRITE_BIT;
  d->fn.vkCmdPipelineBarrier(commands, stage,
                             VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                 VK_PIPELINE_STAGE_TRANSFER_BIT |
                                 VK_PIPELINE_STAGE_HOST_BIT,
                             0, 1, &barrier, 0, nullptr, 0, nullptr);
}

void Program::copy(const void *source, void *target, size_t bytes) {
  if (error || bytes == 0)
    return;
  VkBuffer from, to;
  VkDeviceSize fromOffset, toOffset, fromLeft, toLeft;
  if (!findBuffer(source, from, fromOffset, fromLeft) ||
      !findBuffer(target, to, toOffset, toLeft) || fromLeft < bytes ||
      toLeft < bytes) {
    // Constants and caller inputs live in host memory: copy on the host
    // once the queued work that may write `target` is done.
    sync();
    std::memcpy(target, source, bytes);
    return;
  }
  if (!begin())
    return;
  VkBufferCopy region{fromOffset, toOffset, bytes};
  d->fn.vkCmdCopyBuffer(commands, from, to, 1, &region);
  barrierAfter(VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT);
}

void Program::sync() {
  if (!recording)
    return;
  recording = false;
  Functions &f = d->fn;
  VkResult r = f.vkEndCommandBuffer(commands);
  if (r == VK_SUCCESS) {
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &commands;
    r = f.vkQueueSubmit(d->queue, 1, &submit, fence);
  }
  auto waitStart = std::chrono::steady_clock::now();
  if (r == VK_SUCCESS)
    r = f.vkWaitForFences(d->device, 1, &fence, VK_TRUE, UINT64_MAX);
  if (r != VK_SUCCESS)
    fail(r, "running kernels on " + d->description() + " failed");
  if (profile)
    profile->collect(r == VK_SUCCESS,
                     std::chrono::duration<double, std::milli>(
                         std::chrono::steady_clock::now() - waitStart)
                         .count());
  f.vkResetFences(d->device, 1, &fence);
  f.vkResetCommandBuffer(commands, 0);
  f.vkResetDescriptorPool(d->device, pool, 0);
  poolSets = poolDescriptors = 0;
  scalarUsed = 0;
}

// The thunks are called by generated code: no exception may reach it. The
// only one the runtime throws is std::bad_alloc (building a message or a
// copy's table entry); it becomes the run's error, without allocating.
void Program::dispatchThunk(void *self, int64_t id, int64_t x, int64_t y,
                            int64_t z, int64_t n, int64_t records) {
  auto *p = static_cast<Program *>(self);
  try {
    p->dispatch(id, x, y, z, n, reinterpret_cast<const int64_t *>(records));
  } catch (...) {
    p->failOutOfMemory();
  }
}

void Program::syncThunk(void *self) {
  auto *p = static_cast<Program *>(self);
  try {
    p->sync();
  } catch (...) {
    p->failOutOfMemory();
  }
}

void Program::copyThunk(void *self, int64_t source, int64_t target,
                        int64_t bytes) {
  auto *p = static_cast<Program *>(self);
  try {
    p->copy(reinterpret_cast<const void *>(source),
            reinterpret_cast<void *>(target), static_cast<size_t>(bytes));
  } catch (...) {
    p->failOutOfMemory();
  }
}

void Program::failOutOfMemory() noexcept {
  if (error)
    return;
  error.code = QUANTC_OUT_OF_MEMORY;
  error.message.clear(); // keeps its storage: no allocation
}

void Program::beginRun() {
  if (profile)
    profile->beginRun();
  error = {};
  for (auto &[address, copy] : inputs)
    deallocate(copy.device);
  inputs.clear();
}

quantc::Error Program::endRun() {
  sync();
  if (profile)
    profile->endRun();
  return error;
}
