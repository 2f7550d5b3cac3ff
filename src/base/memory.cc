#include "base/memory.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace deepshark {

const char* memory_class_name(MemoryClass c) {
  switch (c) {
    case MemoryClass::Weights: return "weights";
    case MemoryClass::Activations: return "activations";
    case MemoryClass::Scratch: return "scratch";
    case MemoryClass::IOBuffers: return "io-buffers";
    case MemoryClass::Other: return "other";
  }
  return "?";
}

namespace {
void update_peak(std::atomic<uint64_t>& peak, uint64_t value) {
  uint64_t p = peak.load();
  while (value > p && !peak.compare_exchange_weak(p, value)) {
  }
}
}  // namespace

namespace {
std::atomic<bool> g_faults_installed{false};
std::atomic<uint64_t> g_fault_count{0};
std::function<bool(uint64_t, uint64_t)>& fault_hook() {
  static auto* hook = new std::function<bool(uint64_t, uint64_t)>();  // never destroyed: outlives statics
  return *hook;
}
}  // namespace

void AllocationFaults::install(std::function<bool(uint64_t, uint64_t)> hook) {
  g_faults_installed.store(false);
  fault_hook() = std::move(hook);
  g_fault_count.store(0);
  g_faults_installed.store(static_cast<bool>(fault_hook()));
}

void AllocationFaults::remove() {
  g_faults_installed.store(false);
  fault_hook() = nullptr;
}

uint64_t AllocationFaults::count() { return g_fault_count.load(); }

bool AllocationFaults::fail_next(uint64_t bytes) {
  if (!g_faults_installed.load(std::memory_order_acquire)) return false;
  return fault_hook()(g_fault_count.fetch_add(1), bytes);
}

uint64_t CountingAllocator::available_bytes() const {
  const uint64_t limit = limit_.load();
  if (limit == 0) return ~uint64_t{0};
  const uint64_t cur = current_.load();
  return cur >= limit ? 0 : limit - cur;
}

void* CountingAllocator::allocate(uint64_t bytes, uint64_t alignment, MemoryClass cls) {
  uint64_t index = count_.fetch_add(1);
  if (fault_hook_ && fault_hook_(index)) return nullptr;
  if (AllocationFaults::fail_next(bytes)) return nullptr;
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  if (bytes > ~uint64_t{0} - alignment) return nullptr;
  uint64_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded == 0) rounded = alignment;
  // Reserve the bytes first, so that concurrent allocations cannot pass the limit together.
  uint64_t cur = current_.load();
  for (;;) {
    const uint64_t limit = limit_.load();
    if (bytes > ~uint64_t{0} - cur || (limit != 0 && cur + bytes > limit)) return nullptr;
    if (current_.compare_exchange_weak(cur, cur + bytes)) break;
  }
  void* p = std::aligned_alloc(alignment, rounded);
  if (!p) {
    current_.fetch_sub(bytes);
    return nullptr;
  }
  cur += bytes;
  update_peak(peak_, cur);
  int c = static_cast<int>(cls);
  uint64_t ccur = class_current_[c].fetch_add(bytes) + bytes;
  update_peak(class_peak_[c], ccur);
  return p;
}

void CountingAllocator::deallocate(void* ptr, uint64_t bytes, MemoryClass cls) {
  if (!ptr) return;
  std::free(ptr);
  current_.fetch_sub(bytes);
  class_current_[static_cast<int>(cls)].fetch_sub(bytes);
}

CountingAllocator& default_allocator() {
  static CountingAllocator* alloc = new CountingAllocator();  // never destroyed: outlives statics
  return *alloc;
}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
  if (this != &o) {
    reset();
    alloc_ = o.alloc_;
    data_ = o.data_;
    size_ = o.size_;
    cls_ = o.cls_;
    o.alloc_ = nullptr;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

Result<Buffer> Buffer::allocate(Allocator& alloc, uint64_t bytes, MemoryClass cls, const char* what,
                                bool zero, uint64_t alignment) {
  Buffer b;
  if (bytes == 0) return b;
  void* p = alloc.allocate(bytes, alignment, cls);
  if (!p) {
    std::string reason = std::to_string(bytes) + " bytes refused by the allocator";
    if (const auto* counting = dynamic_cast<const CountingAllocator*>(&alloc); counting && counting->limit() != 0 &&
                                                                               bytes > counting->available_bytes()) {
      reason = "over the memory limit of " + std::to_string(counting->limit()) + " bytes, " +
               std::to_string(counting->current_bytes()) + " already held " +
               expected_got("<= " + std::to_string(counting->available_bytes()) + " bytes", std::to_string(bytes) + " bytes");
    }
    return make_error(ErrorCode::OutOfMemory, "allocate", what, memory_class_name(cls), reason);
  }
  if (zero) std::memset(p, 0, bytes);
  b.alloc_ = &alloc;
  b.data_ = static_cast<std::byte*>(p);
  b.size_ = bytes;
  b.cls_ = cls;
  return b;
}

void Buffer::reset() {
  if (data_) alloc_->deallocate(data_, size_, cls_);
  alloc_ = nullptr;
  data_ = nullptr;
  size_ = 0;
}

}  // namespace deepshark
