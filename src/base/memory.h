// Accounted memory: every byte the engine holds comes from an Allocator, tagged with its class.
//
//   ds::CountingAllocator alloc;                 // tracks current and peak bytes per class
//   DS_TRY(ds::Buffer b, ds::Buffer::allocate(alloc, 1 << 20, ds::MemoryClass::Weights));
//   alloc.peak_bytes();                          // high-water mark over all classes
//
// Allocation failure (or a failure injected for tests, or a limit being exceeded) is a Status,
// never an exception or abort.
//
// Fault injection (tests, STYLE.md §11): AllocationFaults numbers every allocation of every
// CountingAllocator in the process (default_allocator() and each session's own) while installed:
//
//   ds::AllocationFaults::install([](uint64_t i, uint64_t bytes) { return i == 7; });  // the 8th fails
//   ... pack / open / run ...;  ds::AllocationFaults::count();          // allocations numbered
//   ds::AllocationFaults::remove();
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>

#include "base/status.h"

namespace deepshark {

enum class MemoryClass : uint8_t { Weights, Activations, Scratch, IOBuffers, Other };
inline constexpr int kMemoryClassCount = 5;
const char* memory_class_name(MemoryClass c);

inline constexpr uint64_t kDefaultAlignment = 64;

class Allocator {
 public:
  virtual ~Allocator() = default;
  // Returns nullptr when the allocation cannot be made; the caller turns that into a Status.
  virtual void* allocate(uint64_t bytes, uint64_t alignment, MemoryClass cls) = 0;
  virtual void deallocate(void* ptr, uint64_t bytes, MemoryClass cls) = 0;
};

// Aligned heap allocator that tracks current and peak bytes, in total and per class. Thread-safe.
// An optional limit makes allocations that would exceed it fail (exactly: concurrent allocations
// never overshoot it together); an optional fault hook fails the i-th allocation of this allocator
// (for fault-injection tests; AllocationFaults below numbers allocations across allocators).
class CountingAllocator final : public Allocator {
 public:
  void* allocate(uint64_t bytes, uint64_t alignment, MemoryClass cls) override;
  void deallocate(void* ptr, uint64_t bytes, MemoryClass cls) override;

  uint64_t current_bytes() const { return current_.load(); }
  uint64_t peak_bytes() const { return peak_.load(); }
  uint64_t current_bytes(MemoryClass c) const { return class_current_[static_cast<int>(c)].load(); }
  uint64_t peak_bytes(MemoryClass c) const { return class_peak_[static_cast<int>(c)].load(); }
  uint64_t allocation_count() const { return count_.load(); }
  void reset_peak() { peak_.store(current_.load()); for (int i = 0; i < kMemoryClassCount; ++i) class_peak_[i].store(class_current_[i].load()); }
  // 0 = no limit. Bytes already held stay held when a lower limit is set; only new
  // allocations are refused.
  void set_limit(uint64_t bytes) { limit_.store(bytes); }
  uint64_t limit() const { return limit_.load(); }
  // Bytes a new allocation may still take under the limit (UINT64_MAX without a limit).
  uint64_t available_bytes() const;
  // Called with the 0-based index of each allocation; returning true makes it fail. Set it only
  // while no other thread allocates from this allocator.
  void set_fault_hook(std::function<bool(uint64_t)> hook) { fault_hook_ = std::move(hook); }

 private:
  std::atomic<uint64_t> current_{0}, peak_{0}, count_{0};
  std::array<std::atomic<uint64_t>, kMemoryClassCount> class_current_{}, class_peak_{};
  std::atomic<uint64_t> limit_{0};
  std::function<bool(uint64_t)> fault_hook_;
};

// The process-wide allocator used where no session allocator is given (import, tools).
CountingAllocator& default_allocator();

// Process-wide allocation fault injection, for tests. While a hook is installed, every allocation
// of every CountingAllocator gets the next number (0, 1, 2, ... from install()) and fails —
// returns nullptr, so callers report OutOfMemory — when hook(number, bytes) returns true. The
// hook sees every attempt, also those a limit then refuses (a test can assert what was asked). Install and
// remove it only while no other thread allocates (the loader thread never does); the numbering
// itself is thread-safe.
class AllocationFaults {
 public:
  static void install(std::function<bool(uint64_t index, uint64_t bytes)> hook);
  static void remove();
  // Allocations numbered since the last install().
  static uint64_t count();
  // Used by CountingAllocator: true when this allocation must fail.
  static bool fail_next(uint64_t bytes);
};

// An owned, aligned, accounted byte buffer. Movable, not copyable.
class Buffer {
 public:
  Buffer() = default;
  ~Buffer() { reset(); }
  Buffer(Buffer&& o) noexcept { *this = std::move(o); }
  Buffer& operator=(Buffer&& o) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Fails with OutOfMemory naming `what` when the allocator refuses. Contents are zeroed
  // only when zero == true.
  static Result<Buffer> allocate(Allocator& alloc, uint64_t bytes, MemoryClass cls,
                                 const char* what = "buffer", bool zero = false,
                                 uint64_t alignment = kDefaultAlignment);
  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void reset();

 private:
  Allocator* alloc_ = nullptr;
  std::byte* data_ = nullptr;
  uint64_t size_ = 0;
  MemoryClass cls_ = MemoryClass::Other;
};

}  // namespace deepshark
