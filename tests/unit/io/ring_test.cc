#include <deque>
#include <random>

#include "io/ring.h"
#include "io_test_util.h"

namespace deepshark::testing {
namespace {

constexpr uint64_t U = kRingAlignment;

WeightRing make_ring(CountingAllocator& alloc, uint64_t capacity) {
  auto r = WeightRing::create(alloc, capacity);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return std::move(r).value();
}

uint64_t at(const std::optional<WeightRing::Region>& r) {
  EXPECT_TRUE(r.has_value());
  return r ? r->offset : ~uint64_t{0};
}

TEST(WeightRing, CreateAccountsOneAlignedBuffer) {
  CountingAllocator alloc;
  {
    WeightRing ring = make_ring(alloc, 10 * U + 100);
    EXPECT_EQ(ring.capacity(), 10 * U) << "rounded down to the alignment";
    EXPECT_EQ(alloc.current_bytes(MemoryClass::Weights), 10 * U);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(ring.data()) % U, 0u);
    auto r = ring.allocate(1);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->data, ring.data());
    EXPECT_EQ(r->bytes, U);
  }
  EXPECT_EQ(alloc.current_bytes(), 0u);
  auto small = WeightRing::create(alloc, U - 1);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().code(), ErrorCode::InvalidArgument);
  alloc.set_limit(U);
  auto refused = WeightRing::create(alloc, 2 * U, MemoryClass::IOBuffers);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::OutOfMemory);
}

TEST(WeightRing, ExactOffsetsThroughAWrap) {
  CountingAllocator alloc;
  WeightRing ring = make_ring(alloc, 10 * U);
  EXPECT_EQ(at(ring.allocate(1)), 0u);          // [0,1)
  EXPECT_EQ(at(ring.allocate(U)), 1 * U);       // [1,2)
  EXPECT_EQ(at(ring.allocate(3 * U - 5)), 2 * U);  // [2,5)
  EXPECT_EQ(at(ring.allocate(5 * U)), 5 * U);   // [5,10): the ring is full to its end
  EXPECT_EQ(ring.used_bytes(), 10 * U);
  EXPECT_FALSE(ring.allocate(1)) << "full";
  ring.release_oldest();                         // frees [0,1)
  EXPECT_EQ(ring.head(), 1 * U);
  EXPECT_EQ(at(ring.allocate(1)), 0u);          // wraps with nothing skipped
  EXPECT_EQ(ring.total_skipped_bytes(), 0u);
  EXPECT_FALSE(ring.allocate(1)) << "tail meets head";
  ring.release_oldest();                         // frees [1,2)
  EXPECT_EQ(at(ring.allocate(U)), 1 * U);
  EXPECT_FALSE(ring.allocate(1));
  ring.release_oldest();                         // frees [2,5)
  EXPECT_EQ(ring.head(), 5 * U);
  EXPECT_EQ(at(ring.allocate(3 * U)), 2 * U);
  ring.release_oldest();                         // frees [5,10): head moves to the wrapped regions
  EXPECT_EQ(ring.head(), 0u);
  EXPECT_EQ(ring.tail(), 5 * U);
  EXPECT_EQ(ring.live_regions(), 3u);
  EXPECT_EQ(ring.live_bytes(), 5 * U);
  EXPECT_EQ(ring.used_bytes(), 5 * U);
  EXPECT_FALSE(ring.allocate(6 * U)) << "5 units at the end, none before the head";
  EXPECT_EQ(at(ring.allocate(5 * U)), 5 * U);
  EXPECT_EQ(ring.peak_used_bytes(), 10 * U);
}

TEST(WeightRing, SkippedTailIsCountedAsWasteUntilReleased) {
  CountingAllocator alloc;
  WeightRing ring = make_ring(alloc, 10 * U);
  EXPECT_EQ(at(ring.allocate(4 * U)), 0u);
  EXPECT_EQ(at(ring.allocate(4 * U)), 4 * U);
  EXPECT_FALSE(ring.allocate(3 * U)) << "2 units at the end, none before the head";
  ring.release_oldest();
  EXPECT_EQ(at(ring.allocate(3 * U)), 0u) << "skips [8,10) rather than wrapping across the end";
  EXPECT_EQ(ring.total_skipped_bytes(), 2 * U);
  EXPECT_EQ(ring.live_bytes(), 7 * U);
  EXPECT_EQ(ring.used_bytes(), 9 * U);
  EXPECT_EQ(ring.wasted_bytes(), 2 * U);
  EXPECT_EQ(at(ring.allocate(U)), 3 * U);
  EXPECT_FALSE(ring.allocate(1));
  ring.release_oldest();  // frees [4,8) and with it the skipped [8,10)
  EXPECT_EQ(ring.wasted_bytes(), 0u);
  EXPECT_EQ(ring.used_bytes(), 4 * U);
  EXPECT_EQ(at(ring.allocate(6 * U)), 4 * U);
}

TEST(WeightRing, EmptyRingStartsAgainAtZero) {
  CountingAllocator alloc;
  WeightRing ring = make_ring(alloc, 10 * U);
  EXPECT_EQ(WeightRing::max_request(10 * U + 100), 10 * U);
  EXPECT_EQ(at(ring.allocate(6 * U)), 0u);
  EXPECT_EQ(at(ring.allocate(3 * U)), 6 * U);
  ring.release_oldest();
  ring.release_oldest();
  EXPECT_EQ(ring.live_regions(), 0u);
  EXPECT_EQ(at(ring.allocate(WeightRing::max_request(ring.capacity()))), 0u);
  ring.clear();
  EXPECT_FALSE(ring.allocate(10 * U + 1)) << "above max_request never fits";
  EXPECT_EQ(WeightRing::region_bytes(0), U);
  EXPECT_EQ(WeightRing::region_bytes(U + 1), 2 * U);
}

// Random allocate/release sequences against a model: live regions stay in bounds, aligned,
// disjoint and FIFO, and an empty ring always takes max_request.
TEST(WeightRing, RandomSequencesKeepRegionsDisjoint) {
  CountingAllocator alloc;
  std::mt19937 rng(7);
  for (uint64_t cap_units : {1u, 3u, 7u, 16u}) {
    WeightRing ring = make_ring(alloc, cap_units * U);
    std::deque<WeightRing::Region> live;
    for (int step = 0; step < 2000; ++step) {
      if (!live.empty() && rng() % 3 == 0) {
        ring.release_oldest();
        live.pop_front();
        continue;
      }
      const uint64_t bytes = rng() % (cap_units * U + U / 2);
      auto r = ring.allocate(bytes);
      if (live.empty() && bytes <= WeightRing::max_request(ring.capacity())) {
        ASSERT_TRUE(r) << bytes;
      }
      if (!r) continue;
      ASSERT_EQ(r->offset % U, 0u);
      ASSERT_EQ(r->bytes, WeightRing::region_bytes(bytes));
      ASSERT_LE(r->offset + r->bytes, ring.capacity());
      for (const auto& o : live) ASSERT_TRUE(r->offset + r->bytes <= o.offset || o.offset + o.bytes <= r->offset);
      live.push_back(*r);
      uint64_t sum = 0;
      for (const auto& o : live) sum += o.bytes;
      ASSERT_EQ(ring.live_bytes(), sum);
      ASSERT_LE(ring.used_bytes(), ring.capacity());
      ASSERT_EQ(ring.head(), live.front().offset);
    }
  }
}

}  // namespace
}  // namespace deepshark::testing
