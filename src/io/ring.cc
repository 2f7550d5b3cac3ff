#include "io/ring.h"

#include <algorithm>

namespace deepshark {

uint64_t WeightRing::region_bytes(uint64_t bytes) {
  return std::max<uint64_t>(1, (bytes + kRingAlignment - 1) / kRingAlignment) * kRingAlignment;
}

Result<WeightRing> WeightRing::create(Allocator& alloc, uint64_t capacity_bytes, MemoryClass cls) {
  const uint64_t capacity = max_request(capacity_bytes);
  if (capacity == 0) {
    return make_error(ErrorCode::InvalidArgument, "create", "weight ring", memory_class_name(cls),
                      "capacity too small " +
                          expected_got(">= " + std::to_string(kRingAlignment) + " bytes",
                                       std::to_string(capacity_bytes)));
  }
  WeightRing ring;
  DS_TRY(ring.buffer_, Buffer::allocate(alloc, capacity, cls, "weight ring", false, kRingAlignment));
  ring.entries_.resize(capacity / kRingAlignment);
  return ring;
}

uint64_t WeightRing::used_bytes() const {
  if (count_ == 0) return 0;
  return wrapped_ ? (capacity() - head_) + tail_ : tail_ - head_;
}

std::optional<WeightRing::Region> WeightRing::allocate(uint64_t bytes) {
  const uint64_t n = region_bytes(bytes);
  const uint64_t cap = capacity();
  if (n > cap) return std::nullopt;
  uint64_t offset;
  if (count_ == 0) {
    offset = 0;
  } else if (!wrapped_) {
    if (cap - tail_ >= n) {
      offset = tail_;
    } else if (head_ >= n) {
      // Skip the tail of the buffer: regions never wrap across its end.
      offset = 0;
      wrapped_ = true;
      total_skipped_ += cap - tail_;
    } else {
      return std::nullopt;
    }
  } else {
    if (head_ - tail_ < n) return std::nullopt;
    offset = tail_;
  }
  entries_[(first_ + count_) % entries_.size()] = Entry{offset, n};
  if (count_ == 0) head_ = offset;
  ++count_;
  tail_ = offset + n;
  live_bytes_ += n;
  peak_used_ = std::max(peak_used_, used_bytes());
  return Region{offset, n, buffer_.data() + offset};
}

void WeightRing::release_oldest() {
  DS_CHECK_MSG(count_ > 0, "release_oldest on an empty weight ring");
  const Entry oldest = entries_[first_];
  first_ = (first_ + 1) % entries_.size();
  --count_;
  live_bytes_ -= oldest.bytes;
  if (count_ == 0) {
    clear();
    return;
  }
  const Entry next = entries_[first_];
  if (wrapped_ && next.offset < oldest.offset) {
    wrapped_ = false;  // the skipped tail is free again
  }
  head_ = next.offset;
}

void WeightRing::clear() {
  first_ = 0;
  count_ = 0;
  wrapped_ = false;
  live_bytes_ = 0;
}

}  // namespace deepshark
