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

void* CountingAllocator::allocate(uint64_t bytes, uint64_t alignment, MemoryClass cls) {
  uint64_t index = count_.fetch_add(1);
  if (fault_hook_ && fault_hook_(index)) return nullptr;
  if (limit_ != 0 && current_.load() + bytes > limit_) return nullptr;
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  uint64_t rounded = (bytes + alignment - 1) / alignment * alignment;
  if (rounded == 0) rounded = alignment;
  void* p = std::aligned_alloc(alignment, rounded);
  if (!p) return nullptr;
  uint64_t cur = current_.fetch_add(bytes) + bytes;
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
    return make_error(ErrorCode::OutOfMemory, "allocate", what, memory_class_name(cls),
                      std::to_string(bytes) + " bytes refused by the allocator");
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
