// WeightRing: a byte-bounded FIFO allocator over one pre-allocated, accounted, aligned buffer. The
// block stream allocates the regions of upcoming blocks from it, the loader reads into them, and
// the executor releases the oldest block after computing it. Its capacity is its whole cost in
// managed memory, fixed at creation.
//
//   DS_TRY(ds::WeightRing ring, ds::WeightRing::create(alloc, 64 << 20));
//   std::optional<ds::WeightRing::Region> r = ring.allocate(block_bytes);
//   if (!r) { /* not enough free space now: wait for the oldest block, release_oldest(), retry */ }
//   ... read into r->data, compute ...
//   ring.release_oldest();
//
// Layout rules (deterministic, so plans and tests can state exact offsets):
//   - every region starts at a multiple of kRingAlignment and takes its size rounded up to it
//     (a 0-byte request takes one unit);
//   - regions are handed out in order at the end of the previous one and never wrap across the
//     end of the buffer: when the rest of the buffer is too small, the region goes to offset 0
//     instead (if the oldest live region starts at least that far in), and the skipped tail is
//     counted as waste until the regions before it are released;
//   - when the last live region is released, the ring starts again at offset 0.
// So once the ring is empty, any request up to max_request(capacity) succeeds.
// Not thread-safe: one thread allocates and releases (the one that drives the stream).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/memory.h"
#include "base/status.h"

namespace deepshark {

inline constexpr uint64_t kRingAlignment = 4096;

class WeightRing {
 public:
  struct Region {
    uint64_t offset = 0;      // from the start of the ring's buffer
    uint64_t bytes = 0;       // rounded-up size actually reserved
    std::byte* data = nullptr;
  };

  // Allocates the buffer: capacity_bytes rounded down to kRingAlignment. InvalidArgument when that
  // is 0; OutOfMemory (naming "weight ring") when the allocator refuses.
  static Result<WeightRing> create(Allocator& alloc, uint64_t capacity_bytes,
                                   MemoryClass cls = MemoryClass::Weights);
  // Largest request that always succeeds on an empty ring of that capacity.
  static uint64_t max_request(uint64_t capacity_bytes) { return capacity_bytes / kRingAlignment * kRingAlignment; }
  // Bytes a request of `bytes` reserves.
  static uint64_t region_bytes(uint64_t bytes);

  WeightRing() = default;
  WeightRing(WeightRing&&) noexcept = default;
  WeightRing& operator=(WeightRing&&) noexcept = default;

  // A region after the newest one, or nullopt when there is not enough contiguous free space now
  // (always nullopt for a request above max_request(capacity())).
  std::optional<Region> allocate(uint64_t bytes);
  // Frees the oldest live region. Calling it on an empty ring is a bug (DS_CHECK).
  void release_oldest();
  // Frees every region (e.g. after a failed run).
  void clear();

  uint64_t capacity() const { return buffer_.size(); }
  std::byte* data() { return buffer_.data(); }
  uint32_t live_regions() const { return count_; }
  // Bytes of live regions.
  uint64_t live_bytes() const { return live_bytes_; }
  // Bytes not available now: live regions plus skipped tail.
  uint64_t used_bytes() const;
  // Skipped tail bytes not available now.
  uint64_t wasted_bytes() const { return used_bytes() - live_bytes_; }
  // High-water mark of used_bytes() since creation.
  uint64_t peak_used_bytes() const { return peak_used_; }
  // Total bytes ever skipped at the end of the buffer.
  uint64_t total_skipped_bytes() const { return total_skipped_; }
  // Offset of the oldest live region (0 when empty).
  uint64_t head() const { return head_; }
  // Offset where the next region would go if it fits without skipping.
  uint64_t tail() const { return tail_; }

 private:
  struct Entry {
    uint64_t offset;
    uint64_t bytes;
  };

  Buffer buffer_;
  std::vector<Entry> entries_;  // circular FIFO of live regions, sized for the most that fit
  uint32_t first_ = 0;
  uint32_t count_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_ = 0;

  bool wrapped_ = false;        // the newest regions sit below the oldest
  uint64_t live_bytes_ = 0;
  uint64_t peak_used_ = 0;
  uint64_t total_skipped_ = 0;
};

}  // namespace deepshark
