//===- VulkanDevice.cpp - the process's Vulkan device and its buffers -----===//

#include "runtime/src/VulkanDevice.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

using namespace quantc::vulkan;

namespace {

struct Block {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  char *mapped = nullptr;
  size_t bytes = 0;
};

// Cached bytes beyond this are given back to the device.
constexpr size_t kCacheLimit = size_t(1) << 30;

struct State {
  std::mutex mutex;
  bool opened = false;
  std::string error;
  void *loader = nullptr;
  VkInstance instance = VK_NULL_HANDLE;
  Device device;
  std::map<uintptr_t, Block> live;                     // by mapped address
  std::unordered_map<size_t, std::vector<Block>> free; // by size
  size_t cachedBytes = 0;
};

State &state() {
  static State *s = new State(); // never destroyed: models may outlive statics
  return *s;
}

const char *typeName(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete GPU";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated GPU";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual GPU";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "CPU";
  default:
    return "other";
  }
}

/// Instance-level functions the device set-up calls.
struct InstanceFunctions {
#define QUANTC_VK_INSTANCE_FUNCTIONS(X)                                        \
  X(vkEnumeratePhysicalDevices)                                                \
  X(vkGetPhysicalDeviceProperties)                                             \
  X(vkGetPhysicalDeviceFeatures2)                                              \
  X(vkGetPhysicalDeviceQueueFamilyProperties)                                  \
  X(vkGetPhysicalDeviceMemoryProperties)                                       \
  X(vkCreateDevice)                                                            \
  X(vkGetDeviceProcAddr)
#define QUANTC_VK_DECLARE(name) PFN_##name name = nullptr;
  QUANTC_VK_INSTANCE_FUNCTIONS(QUANTC_VK_DECLARE)
#undef QUANTC_VK_DECLARE
};

/// Opens the loader and a Vulkan 1.2 instance, and loads the instance
/// functions; returns "" or what went wrong.
std::string createInstance(State &s, InstanceFunctions &vk) {
  s.loader = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!s.loader)
    return "no Vulkan loader (libvulkan.so.1; install libvulkan1 and a "
           "driver such as mesa-vulkan-drivers)";
  auto getInstanceProc = reinterpret_cast<PFN_vkGetInstanceProcAddr>(
      dlsym(s.loader, "vkGetInstanceProcAddr"));
  if (!getInstanceProc)
    return "the Vulkan loader has no vkGetInstanceProcAddr";
  auto createInstance = reinterpret_cast<PFN_vkCreateInstance>(
      getInstanceProc(VK_NULL_HANDLE, "vkCreateInstance"));
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "quantc";
  app.apiVersion = VK_API_VERSION_1_2;
  VkInstanceCreateInfo instanceInfo{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  instanceInfo.pApplicationInfo = &app;
  const char *layer = "VK_LAYER_KHRONOS_validation";
  const char *validation = std::getenv("QUANTC_VULKAN_VALIDATION");
  if (validation && *validation && std::strcmp(validation, "0") != 0) {
    instanceInfo.enabledLayerCount = 1;
    instanceInfo.ppEnabledLayerNames = &layer;
  }
  VkResult r = createInstance
                   ? createInstance(&instanceInfo, nullptr, &s.instance)
                   : VK_ERROR_INITIALIZATION_FAILED;
  if (r != VK_SUCCESS)
    return "cannot create a Vulkan 1.2 instance: " + resultString(r);
#define QUANTC_VK_LOAD(name)                                                   \
  vk.name = reinterpret_cast<PFN_##name>(getInstanceProc(s.instance, #name));  \
  if (!vk.name)                                                                \
    return "the Vulkan loader lacks " #name;
  QUANTC_VK_INSTANCE_FUNCTIONS(QUANTC_VK_LOAD)
#undef QUANTC_VK_LOAD
  return "";
}

/// Picks the physical device: QUANTC_VULKAN_DEVICE (an index or part of a
/// name), else the first discrete GPU, else the first device.
std::string choosePhysicalDevice(State &s, const InstanceFunctions &vk) {
  uint32_t count = 0;
  vk.vkEnumeratePhysicalDevices(s.instance, &count, nullptr);
  std::vector<VkPhysicalDevice> physical(count);
  if (count)
    vk.vkEnumeratePhysicalDevices(s.instance, &count, physical.data());
  if (physical.empty())
    return "no Vulkan device (the loader found no driver)";
  std::vector<VkPhysicalDeviceProperties> props(count);
  for (uint32_t i = 0; i < count; ++i)
    vk.vkGetPhysicalDeviceProperties(physical[i], &props[i]);

  int chosen = -1;
  if (const char *want = std::getenv("QUANTC_VULKAN_DEVICE"); want && *want) {
    char *end = nullptr;
    long index = std::strtol(want, &end, 10);
    if (*end == '\0') {
      if (index < 0 || index >= static_cast<long>(count))
        return "QUANTC_VULKAN_DEVICE=" + std::string(want) +
               ": there are only " + std::to_string(count) + " devices";
      chosen = static_cast<int>(index);
    } else {
      for (uint32_t i = 0; i < count && chosen < 0; ++i)
        if (std::strstr(props[i].deviceName, want))
          chosen = static_cast<int>(i);
      if (chosen < 0) {
        std::string names;
        for (uint32_t i = 0; i < count; ++i)
          names += (i ? ", " : "") + std::string(props[i].deviceName);
        return "QUANTC_VULKAN_DEVICE=" + std::string(want) +
               " names no device (have: " + names + ")";
      }
    }
  } else {
    for (uint32_t i = 0; i < count && chosen < 0; ++i)
      if (props[i].deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU)
        chosen = static_cast<int>(i);
    if (chosen < 0)
      chosen = 0;
  }
  s.device.physical = physical[chosen];
  s.device.properties = props[chosen];
  return "";
}

/// Picks the first queue family with compute.
std::string chooseQueueFamily(Device &d, const InstanceFunctions &vk) {
  uint32_t families = 0;
  vk.vkGetPhysicalDeviceQueueFamilyProperties(d.physical, &families, nullptr);
  std::vector<VkQueueFamilyProperties> familyProps(families);
  vk.vkGetPhysicalDeviceQueueFamilyProperties(d.physical, &families,
                                              familyProps.data());
  for (uint32_t i = 0; i < families; ++i)
    if (familyProps[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      d.queueFamily = i;
      d.timestampBits = familyProps[i].timestampValidBits;
      return "";
    }
  return d.description() + " has no compute queue";
}

/// Every buffer is host-visible and coherent: an artifact's host code reads
/// and writes buffers directly. Host-cached where there is such: on a
/// discrete GPU the device-local host-visible memory (the PCI BAR) is
/// write-combined and the host reads it uncached, which made a stories260k
/// window on an H100 spend 190 ms on the host against 5 ms of kernels.
/// Among equals, device-local (unified memory). QUANTC_VULKAN_MEMORY=
/// device-local ranks device-local above cached.
std::string chooseMemoryType(Device &d, const InstanceFunctions &vk) {
  VkPhysicalDeviceMemoryProperties memory;
  vk.vkGetPhysicalDeviceMemoryProperties(d.physical, &memory);
  const char *policy = std::getenv("QUANTC_VULKAN_MEMORY");
  bool preferDeviceLocal = policy && std::string(policy) == "device-local";
  if (policy && *policy && !preferDeviceLocal &&
      std::string(policy) != "cached")
    return "QUANTC_VULKAN_MEMORY must be 'cached' or 'device-local', not '" +
           std::string(policy) + "'";
  int best = -1, bestScore = -1;
  VkMemoryPropertyFlags need = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                               VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags f = memory.memoryTypes[i].propertyFlags;
    if ((f & need) != need)
      continue;
    bool cached = f & VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
    bool local = f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
    int score = preferDeviceLocal ? 2 * local + cached : 2 * cached + local;
    if (score > bestScore) {
      best = static_cast<int>(i);
      bestScore = score;
    }
  }
  if (best < 0)
    return d.description() + " has no host-visible coherent memory";
  VkMemoryPropertyFlags flags = memory.memoryTypes[best].propertyFlags;
  d.memoryKind =
      std::string("host-visible") +
      (flags & VK_MEMORY_PROPERTY_HOST_CACHED_BIT ? ", cached" : "") +
      (flags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT ? ", device-local" : "");
  d.memoryType = static_cast<uint32_t>(best);
  return "";
}

/// Creates the logical device with every optional feature a kernel may use
/// that the device has, and loads the device functions.
std::string createLogicalDevice(Device &d, const InstanceFunctions &vk) {
  VkPhysicalDeviceVulkan12Features has12{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceVulkan11Features has11{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  has11.pNext = &has12;
  VkPhysicalDeviceFeatures2 has{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  has.pNext = &has11;
  vk.vkGetPhysicalDeviceFeatures2(d.physical, &has);
  VkPhysicalDeviceVulkan12Features use12{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceVulkan11Features use11{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  use11.pNext = &use12;
  VkPhysicalDeviceFeatures2 use{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  use.pNext = &use11;
  auto enable = [&](VkBool32 available, VkBool32 &flag, uint32_t bit) {
    if (available) {
      flag = VK_TRUE;
      d.capabilities |= bit;
    }
  };
  enable(has12.shaderInt8, use12.shaderInt8, kInt8);
  enable(has12.storageBuffer8BitAccess, use12.storageBuffer8BitAccess,
         kStorage8);
  enable(has12.shaderFloat16, use12.shaderFloat16, kFloat16);
  enable(has11.storageBuffer16BitAccess, use11.storageBuffer16BitAccess,
         kStorage16);
  enable(has.features.shaderInt16, use.features.shaderInt16, kInt16);
  enable(has.features.shaderInt64, use.features.shaderInt64, kInt64);
  enable(has.features.shaderFloat64, use.features.shaderFloat64, kFloat64);

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queueInfo{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queueInfo.queueFamilyIndex = d.queueFamily;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  VkDeviceCreateInfo deviceInfo{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  deviceInfo.pNext = &use;
  deviceInfo.queueCreateInfoCount = 1;
  deviceInfo.pQueueCreateInfos = &queueInfo;
  VkResult r = vk.vkCreateDevice(d.physical, &deviceInfo, nullptr, &d.device);
  if (r != VK_SUCCESS)
    return "cannot open " + d.description() + ": " + resultString(r);
#define QUANTC_VK_LOAD(name)                                                   \
  d.fn.name =                                                                  \
      reinterpret_cast<PFN_##name>(vk.vkGetDeviceProcAddr(d.device, #name));   \
  if (!d.fn.name)                                                              \
    return d.description() + " lacks " #name;
  QUANTC_VK_DEVICE_FUNCTIONS(QUANTC_VK_LOAD)
#undef QUANTC_VK_LOAD
  d.fn.vkGetDeviceQueue(d.device, d.queueFamily, 0, &d.queue);
  return "";
}

/// Opens the loader, an instance and the selected device; returns "" or
/// what went wrong.
std::string open(State &s) {
  InstanceFunctions vk;
  std::string error = createInstance(s, vk);
  if (error.empty())
    error = choosePhysicalDevice(s, vk);
  if (error.empty())
    error = chooseQueueFamily(s.device, vk);
  if (error.empty())
    error = chooseMemoryType(s.device, vk);
  if (error.empty())
    error = createLogicalDevice(s.device, vk);
  return error;
}

/// A new mapped buffer, or a Block with a null buffer.
Block create(Device &d, size_t bytes) {
  Block b;
  b.bytes = bytes;
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = bytes;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (d.fn.vkCreateBuffer(d.device, &info, nullptr, &b.buffer) != VK_SUCCESS)
    return Block{};
  VkMemoryRequirements req;
  d.fn.vkGetBufferMemoryRequirements(d.device, b.buffer, &req);
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = d.memoryType;
  void *mapped = nullptr;
  if (!(req.memoryTypeBits & (1u << d.memoryType)) ||
      d.fn.vkAllocateMemory(d.device, &alloc, nullptr, &b.memory) !=
          VK_SUCCESS ||
      d.fn.vkBindBufferMemory(d.device, b.buffer, b.memory, 0) != VK_SUCCESS ||
      d.fn.vkMapMemory(d.device, b.memory, 0, VK_WHOLE_SIZE, 0, &mapped) !=
          VK_SUCCESS) {
    d.fn.vkDestroyBuffer(d.device, b.buffer, nullptr);
    if (b.memory)
      d.fn.vkFreeMemory(d.device, b.memory, nullptr);
    return Block{};
  }
  b.mapped = static_cast<char *>(mapped);
  return b;
}

void destroy(Device &d, Block &b) {
  d.fn.vkDestroyBuffer(d.device, b.buffer, nullptr);
  d.fn.vkFreeMemory(d.device, b.memory, nullptr); // unmaps
}

} // namespace

std::string Device::description() const {
  return "'" + std::string(properties.deviceName) + "' (" +
         typeName(properties.deviceType) + ")";
}

Device *quantc::vulkan::getDevice(std::string &error) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.opened) {
    s.opened = true;
    try {
      s.error = open(s);
    } catch (const std::bad_alloc &) {
      s.error = "out of memory while opening the Vulkan device";
    }
  }
  error = s.error;
  return s.error.empty() ? &s.device : nullptr;
}

// allocate and deallocate are called by generated code: no exception may
// leave them (std::bad_alloc from the maps becomes a failed allocation or a
// block given back to the device).
void *quantc::vulkan::allocate(size_t bytes) noexcept {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.opened || !s.error.empty())
    return nullptr;
  // At least 16 bytes: a binding's range must not be empty.
  bytes = std::max<size_t>(bytes, 16);
  Block b;
  auto it = s.free.find(bytes);
  if (it != s.free.end() && !it->second.empty()) {
    b = it->second.back();
    it->second.pop_back();
    s.cachedBytes -= bytes;
  } else {
    b = create(s.device, bytes);
    if (!b.buffer && s.cachedBytes) {
      // Out of memory: give the cache back and try once more.
      for (auto &[size, blocks] : s.free)
        for (Block &f : blocks)
          destroy(s.device, f);
      s.free.clear();
      s.cachedBytes = 0;
      b = create(s.device, bytes);
    }
    if (!b.buffer)
      return nullptr;
  }
  try {
    s.live[reinterpret_cast<uintptr_t>(b.mapped)] = b;
  } catch (...) {
    destroy(s.device, b);
    return nullptr;
  }
  return b.mapped;
}

void quantc::vulkan::deallocate(void *p) noexcept {
  if (!p)
    return;
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.live.find(reinterpret_cast<uintptr_t>(p));
  if (it == s.live.end())
    return;
  Block b = it->second;
  s.live.erase(it);
  try {
    if (s.cachedBytes + b.bytes <= kCacheLimit) {
      s.free[b.bytes].push_back(b);
      s.cachedBytes += b.bytes;
      return;
    }
  } catch (...) {
  }
  destroy(s.device, b);
}

bool quantc::vulkan::findBuffer(const void *address, VkBuffer &buffer,
                                VkDeviceSize &offset, VkDeviceSize &available) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto a = reinterpret_cast<uintptr_t>(address);
  auto it = s.live.upper_bound(a);
  if (it == s.live.begin())
    return false;
  --it;
  const Block &b = it->second;
  if (a >= it->first + b.bytes)
    return false;
  buffer = b.buffer;
  offset = a - it->first;
  available = b.bytes - offset;
  return true;
}

std::string quantc::vulkan::resultString(VkResult result) {
  switch (result) {
  case VK_ERROR_OUT_OF_HOST_MEMORY:
    return "out of host memory";
  case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    return "out of device memory";
  case VK_ERROR_DEVICE_LOST:
    return "device lost";
  case VK_ERROR_INITIALIZATION_FAILED:
    return "initialization failed";
  case VK_ERROR_INCOMPATIBLE_DRIVER:
    return "incompatible driver (no Vulkan 1.2 support)";
  case VK_ERROR_LAYER_NOT_PRESENT:
    return "validation layer not present";
  case VK_ERROR_FEATURE_NOT_PRESENT:
    return "feature not present";
  case VK_ERROR_TOO_MANY_OBJECTS:
    return "too many objects";
  case VK_TIMEOUT:
    return "timeout";
  default:
    return "VkResult " + std::to_string(static_cast<int>(result));
  }
}
