#include "runtime/arena_planner.h"

#include <gtest/gtest.h>

namespace deepshark {
namespace {

TEST(ArenaPlanner, ChainReusesMemory) {
  // a(0..1) -> b(1..2) -> c(2..3): a and c never live together and share offset 0; b overlaps both.
  ArenaLayout l = plan_arena({{100, 0, 1}, {50, 1, 2}, {100, 2, 3}}, 64);
  EXPECT_EQ(l.offsets, (std::vector<uint64_t>{0, 128, 0}));
  EXPECT_EQ(l.total_bytes, 192u);
}

TEST(ArenaPlanner, ExactLayoutForSmallGraph) {
  // Largest first: r0 (256, 0..3) at 0; r2 (128, 2..4) overlaps r0 -> 256; r1 (64, 0..1) overlaps
  // r0 -> 256 (r2 does not overlap r1); r3 (64, 4..5) overlaps r2 only -> 0.
  ArenaLayout l = plan_arena({{256, 0, 3}, {64, 0, 1}, {128, 2, 4}, {64, 4, 5}}, 64);
  EXPECT_EQ(l.offsets, (std::vector<uint64_t>{0, 256, 256, 0}));
  EXPECT_EQ(l.total_bytes, 384u);
}

TEST(ArenaPlanner, FillsGapBetweenBusyRanges) {
  // r0 (128, 0..9) at 0, r1 (128, 0..9) at 128, r2 (64, 0..0) at 256, r3 (64, 1..1) reuses 256.
  ArenaLayout l = plan_arena({{128, 0, 9}, {128, 0, 9}, {64, 0, 0}, {64, 1, 1}}, 64);
  EXPECT_EQ(l.offsets, (std::vector<uint64_t>{0, 128, 256, 256}));
  EXPECT_EQ(l.total_bytes, 320u);
}

TEST(ArenaPlanner, AlignsOffsets) {
  ArenaLayout l = plan_arena({{10, 0, 1}, {10, 0, 1}, {10, 0, 1}}, 64);
  EXPECT_EQ(l.offsets, (std::vector<uint64_t>{0, 64, 128}));
  EXPECT_EQ(l.total_bytes, 192u);
}

TEST(ArenaPlanner, KeepsTheSmallestOfSeveralOrders) {
  // Largest first: r0 (256, 2..5) at 0, r1 (192, 1..1) at 0, r3 (192, 1..2) at 256, r2 (128, 0..1)
  // finds no 128-byte gap below r3 -> 448: 576 bytes. By first step: r2 at 0, r1 at 128, r3 at
  // 320, r0 (lives after r1 and r2) at 0: 512 bytes, the lower bound (128 + 192 + 192 at step 1).
  ArenaLayout l = plan_arena({{256, 2, 5}, {192, 1, 1}, {128, 0, 1}, {192, 1, 2}}, 64);
  EXPECT_EQ(l.offsets, (std::vector<uint64_t>{0, 128, 0, 320}));
  EXPECT_EQ(l.total_bytes, 512u);
  EXPECT_EQ(l.lower_bound_bytes, 512u);
  EXPECT_EQ(l.order, "first step first");
}

TEST(ArenaPlanner, LowerBoundIsTheMostBytesLiveAtOneStep) {
  ArenaLayout l = plan_arena({{100, 0, 1}, {50, 1, 2}, {100, 2, 3}}, 64);
  EXPECT_EQ(l.lower_bound_bytes, 192u);  // 128 + 64 at steps 1 and 2
  EXPECT_EQ(plan_arena({}, 64).lower_bound_bytes, 0u);
}

TEST(ArenaPlanner, ZeroByteRequestsTakeNoSpace) {
  ArenaLayout l = plan_arena({{0, 0, 5}, {64, 0, 5}}, 64);
  EXPECT_EQ(l.offsets[1], 0u);
  EXPECT_EQ(l.total_bytes, 64u);
}

}  // namespace
}  // namespace deepshark
