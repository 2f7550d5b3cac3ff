#include "plan/plan.h"

#include <gtest/gtest.h>

namespace deepshark {
namespace {

constexpr uint64_t kKiB = 1024;

// Four pieces: 8K (dense compute), 16K, 4K, 12K (FC-like: many bytes per FLOP); fixed 8K.
PlanInput four_pieces() {
  PlanInput in;
  in.model = "toy";
  in.fixed_bytes = 8 * kKiB;
  in.pieces = {{"conv1", 8 * kKiB, 0, 1000000}, {"conv2", 16 * kKiB, 1, 2000000},
               {"conv3", 4 * kKiB, 2, 100000}, {"fc", 12 * kKiB, 3, 1000}};
  return in;
}

TEST(PlanGreedy, EverythingResidentWhenItFits) {
  auto p = plan_greedy(four_pieces(), {.memory_budget_bytes = 48 * kKiB});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->all_resident);
  EXPECT_EQ(p->resident, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(p->predicted_peak_bytes, 48 * kKiB);
  EXPECT_EQ(p->bytes_read_per_run, 0u);
}

TEST(PlanGreedy, NoBudgetMeansResident) {
  auto p = plan_greedy(four_pieces(), {});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->all_resident);
}

TEST(PlanGreedy, SmallestBudgetStreamsEveryPieceDepth0) {
  PlanInput in = four_pieces();
  EXPECT_EQ(smallest_feasible_budget(in, 0), 24 * kKiB);  // 8K fixed + one 16K slot
  auto p = plan_greedy(in, {.memory_budget_bytes = 24 * kKiB, .prefetch_depth = 0});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_FALSE(p->all_resident);
  EXPECT_TRUE(p->resident.empty());
  EXPECT_EQ(p->ring_slots, 1);
  EXPECT_EQ(p->ring_slot_bytes, 16 * kKiB);
  // Blocks up to 16K: {8K}, {16K}, {4K, 12K}.
  ASSERT_EQ(p->blocks.size(), 3u);
  EXPECT_EQ(p->blocks[0].pieces, (std::vector<int>{0}));
  EXPECT_EQ(p->blocks[1].pieces, (std::vector<int>{1}));
  EXPECT_EQ(p->blocks[2].pieces, (std::vector<int>{2, 3}));
  EXPECT_EQ(p->predicted_peak_bytes, 24 * kKiB);
  EXPECT_EQ(p->bytes_read_per_run, 40 * kKiB);
}

TEST(PlanGreedy, LeftoverBudgetKeepsBytesPerFlopHeavyPiecesResident) {
  // depth 0: ring 1 x 16K, fixed 8K, budget 36K (< 48K for all) leaves 12K: the FC piece (12K,
  // 1000 FLOPs) rather than conv3 (4K, 100000 FLOPs).
  auto p = plan_greedy(four_pieces(), {.memory_budget_bytes = 36 * kKiB, .prefetch_depth = 0});
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->resident, (std::vector<int>{3}));
  EXPECT_EQ(p->resident_bytes, 12 * kKiB);
  // Slot 16K: {conv1 8K}, {conv2 16K} (8K + 16K would not fit), {conv3 4K}.
  ASSERT_EQ(p->blocks.size(), 3u);
  EXPECT_EQ(p->blocks[0].pieces, (std::vector<int>{0}));
  EXPECT_EQ(p->blocks[1].pieces, (std::vector<int>{1}));
  EXPECT_EQ(p->blocks[2].pieces, (std::vector<int>{2}));
  EXPECT_EQ(p->bytes_read_per_run, 28 * kKiB);
  EXPECT_EQ(p->predicted_peak_bytes, 36 * kKiB);
}

TEST(PlanGreedy, InfeasibleBudgetNamesThePiece) {
  auto p = plan_greedy(four_pieces(), {.memory_budget_bytes = 20 * kKiB, .prefetch_depth = 0});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::BudgetInfeasible);
  EXPECT_NE(p.status().message().find("node 'conv2'"), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("(expected >= 24576 bytes, got 20480 bytes)"), std::string::npos)
      << p.status().message();
}

TEST(PlanGreedy, PeakNeverExceedsBudgetOverASweep) {
  PlanInput in = four_pieces();
  for (int depth = 0; depth <= 3; ++depth) {
    for (uint64_t budget = smallest_feasible_budget(in, depth); budget <= 64 * kKiB; budget += kKiB) {
      auto p = plan_greedy(in, {.memory_budget_bytes = budget, .prefetch_depth = depth});
      ASSERT_TRUE(p.ok()) << p.status().message();
      EXPECT_LE(p->predicted_peak_bytes, budget) << "depth " << depth << " budget " << budget;
      // Every piece is either resident or in exactly one block.
      std::vector<int> seen(in.pieces.size(), 0);
      for (int r : p->resident) ++seen[r];
      for (const Block& b : p->blocks) for (int i : b.pieces) ++seen[i];
      for (int s : seen) EXPECT_EQ(s, 1);
    }
  }
}

TEST(ParseSize, UnitsAndErrors) {
  EXPECT_EQ(parse_size("64MiB").value(), 64ull << 20);
  EXPECT_EQ(parse_size("1.5GiB").value(), 3ull << 29);
  EXPECT_EQ(parse_size("10KB").value(), 10000u);
  EXPECT_EQ(parse_size("4096B").value(), 4096u);
  EXPECT_EQ(parse_size("2GB").value(), 2000000000u);
  for (const char* bad : {"", "MiB", "12", "12 MiB", "12mib", "1.2.3MiB", "-5MiB", "99999999999999999999GiB", "0.5B"}) {
    auto r = parse_size(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) EXPECT_EQ(r.status().code(), ErrorCode::InvalidArgument);
  }
}

}  // namespace
}  // namespace deepshark
