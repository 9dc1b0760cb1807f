//===- Workspace.cpp - the JIT kernels' buffer allocator -------------------===//
//
// Every block carries a header in front of its payload: the payload's
// capacity and the header's size (the distance back to the malloc'ed
// base), so free needs only the pointer. Blocks of at least
// kCachedBlockBytes go back to a small cache on free; an allocation takes
// the smallest cached block that fits without wasting more than its own
// size. Smaller blocks (the work items' tiles) are plain malloc/free, whose
// per-thread caches serve them without a lock.
//
//===----------------------------------------------------------------------===//

#include "Workspace.h"
#include "attn/JIT.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

using namespace attn;

namespace {

constexpr uint64_t kCachedBlockBytes = uint64_t(1) << 20;
constexpr uint64_t kMaxCachedBytes = uint64_t(1) << 30;
constexpr size_t kMaxCachedBlocks = 16;

struct Header {
  uint64_t capacity;    // payload bytes
  uint64_t headerBytes; // from the malloc'ed base to the payload
};

Header *headerOf(void *payload) {
  return reinterpret_cast<Header *>(static_cast<char *>(payload) -
                                    sizeof(Header));
}

void *newBlock(uint64_t alignment, uint64_t size) {
  uint64_t headerBytes = std::max<uint64_t>(alignment, 64);
  if (size > UINT64_MAX - headerBytes - alignment)
    return nullptr;
  // malloc aligns to 16; `alignment` more bytes leave room to align up.
  char *base = static_cast<char *>(std::malloc(size + headerBytes + alignment));
  if (!base)
    return nullptr;
  auto address = reinterpret_cast<uintptr_t>(base) + headerBytes;
  address = (address + alignment - 1) / alignment * alignment;
  auto *payload = reinterpret_cast<void *>(address);
  *headerOf(payload) = {size, static_cast<uint64_t>(address -
                                   reinterpret_cast<uintptr_t>(base))};
  return payload;
}

/// The largest power of two dividing the payload's address.
uint64_t alignmentOf(void *payload) {
  auto address = reinterpret_cast<uintptr_t>(payload);
  return address & -address;
}

void deleteBlock(void *payload) {
  std::free(static_cast<char *>(payload) - headerOf(payload)->headerBytes);
}

// AddressSanitizer must see every free to report uses after it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheBlocks = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kCacheBlocks = false;
#else
constexpr bool kCacheBlocks = true;
#endif
#else
constexpr bool kCacheBlocks = true;
#endif

class BlockCache {
public:
  void *take(uint64_t alignment, uint64_t size) {
    std::lock_guard<std::mutex> lock(mutex);
    auto best = blocks.end();
    for (auto it = blocks.begin(); it != blocks.end(); ++it) {
      uint64_t capacity = headerOf(*it)->capacity;
      if (alignmentOf(*it) >= alignment && capacity >= size &&
          capacity - size <= size &&
          (best == blocks.end() || capacity < headerOf(*best)->capacity))
        best = it;
    }
    if (best == blocks.end())
      return nullptr;
    void *payload = *best;
    bytes -= headerOf(payload)->capacity;
    blocks.erase(best);
    ++reuses;
    return payload;
  }

  /// Keeps `payload`, evicting the oldest blocks beyond the limits.
  void give(void *payload) {
    std::vector<void *> evicted;
    {
      std::lock_guard<std::mutex> lock(mutex);
      blocks.push_back(payload);
      bytes += headerOf(payload)->capacity;
      while (!blocks.empty() &&
             (bytes > kMaxCachedBytes || blocks.size() > kMaxCachedBlocks)) {
        evicted.push_back(blocks.front());
        bytes -= headerOf(blocks.front())->capacity;
        blocks.erase(blocks.begin());
      }
    }
    for (void *p : evicted)
      deleteBlock(p);
  }

  void release() {
    std::vector<void *> taken;
    {
      std::lock_guard<std::mutex> lock(mutex);
      taken.swap(blocks);
      bytes = 0;
    }
    for (void *payload : taken)
      deleteBlock(payload);
  }

  WorkspaceCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex);
    return {kCacheBlocks, blocks.size(), static_cast<size_t>(bytes), reuses};
  }

private:
  std::mutex mutex;
  std::vector<void *> blocks; // payloads, oldest first
  uint64_t bytes = 0;
  size_t reuses = 0;
};

BlockCache &cache() {
  static BlockCache *instance = new BlockCache(); // outlives static kernels
  return *instance;
}

bool cacheable(uint64_t size) {
  return kCacheBlocks && size >= kCachedBlockBytes;
}

} // namespace

extern "C" void *attn::attnJitAlignedAlloc(uint64_t alignment, uint64_t size) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return nullptr;
  alignment = std::max<uint64_t>(alignment, 16);
  if (cacheable(size))
    if (void *payload = cache().take(alignment, size))
      return payload;
  return newBlock(alignment, size);
}

extern "C" void *attn::attnJitAlloc(uint64_t size) {
  return attnJitAlignedAlloc(16, size);
}

extern "C" void attn::attnJitFree(void *ptr) {
  if (!ptr)
    return;
  Header *header = headerOf(ptr);
  if (!cacheable(header->capacity))
    return deleteBlock(ptr);
  cache().give(ptr);
}

WorkspaceCacheStats attn::workspaceCacheStats() { return cache().stats(); }

void attn::releaseWorkspaceCache() { cache().release(); }
