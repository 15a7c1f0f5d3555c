//===- Allocator.cpp - buffers for generated code -------------------------===//

#include "runtime/src/Allocator.h"

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace {

// Each block starts with a header holding its size; 16 bytes keep malloc's
// alignment (generated code aligns further itself).
constexpr size_t kHeader = 16;
// Cached bytes beyond this go back to malloc.
constexpr size_t kCacheLimit = size_t(1) << 30;

struct Cache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> free;
  size_t bytes = 0;

  ~Cache() {
    for (auto &[size, blocks] : free)
      for (void *b : blocks)
        std::free(b);
  }
};

Cache &cache() {
  static Cache *c = new Cache(); // never destroyed: models may outlive statics
  return *c;
}

} // namespace

void *quantc::allocate(size_t bytes) noexcept {
  if (bytes > SIZE_MAX - kHeader)
    return nullptr;
  Cache &c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free.find(bytes);
    if (it != c.free.end() && !it->second.empty()) {
      void *block = it->second.back();
      it->second.pop_back();
      c.bytes -= bytes;
      return static_cast<char *>(block) + kHeader;
    }
  }
  void *block = std::malloc(bytes + kHeader);
  if (!block)
    return nullptr;
  *static_cast<size_t *>(block) = bytes;
  return static_cast<char *>(block) + kHeader;
}

void quantc::deallocate(void *p) noexcept {
  if (!p)
    return;
  void *block = static_cast<char *>(p) - kHeader;
  size_t bytes = *static_cast<size_t *>(block);
  Cache &c = cache();
  // Generated code calls this: no exception may leave it. A block the cache
  // has no room to record goes back to malloc.
  try {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.bytes + bytes <= kCacheLimit) {
      c.free[bytes].push_back(block);
      c.bytes += bytes;
      return;
    }
  } catch (...) {
  }
  std::free(block);
}
