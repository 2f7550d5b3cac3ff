// The hard ceiling (DESIGN.md §8 P1, §7): under a budget, the session's allocator limit is the
// budget from the moment it starts preparing, so nothing it manages can exceed it — however the
// model file is made. A file whose tables claim activations or pieces far beyond the budget gets
// a precise BudgetInfeasible before anything that large is even asked of the allocator (the
// AllocationFaults hook sees every attempt).
#include <gtest/gtest.h>

#include <algorithm>

#include "fault_support.h"
#include "pack/pack.h"
#include "runtime/block_stream.h"
#include "support/small_model.h"
#include "transform/prepare.h"

namespace deepshark::testing {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// The largest single allocation attempted while `op` runs (attempts a limit refuses included).
uint64_t largest_attempt(const std::function<void()>& op) {
  auto largest = std::make_shared<uint64_t>(0);
  AllocationFaults::install([largest](uint64_t, uint64_t bytes) {
    *largest = std::max(*largest, bytes);
    return false;
  });
  op();
  AllocationFaults::remove();
  return *largest;
}

uint64_t expected_at_least(const std::string& message) {
  const size_t at = message.find("(expected >= ");
  return at == std::string::npos ? 0 : std::stoull(message.substr(at + 13));
}

// Packs `g` (prepared here) with slicing off, so that one node's weights are one piece.
std::string pack_unsliced(Graph g, const std::string& name) {
  EXPECT_TRUE(prepare_graph(g, {}).ok());
  const std::string path = temp_dir("ceiling") + "/" + name;
  PackGraphOptions po;
  po.threads = kFaultThreads;
  po.slice_limit_bytes = uint64_t{1} << 40;
  auto r = pack_graph(std::move(g), path, po);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return path;
}

// x[2^21, 1024] -> MatMul(1024 x 1024 weights: a 4 MiB piece) -> Relu: 8 GiB activations, in a
// file of a few MiB.
Graph huge_activations_model() {
  Graph g;
  g.name = "huge_activations";
  ValueId x = g.add_value("x", DType::F32, {int64_t{1} << 21, 1024}, true);
  g.inputs.push_back(x);
  ValueId m = g.add_value("m"), y = g.add_value("y");
  g.add_node(OpType::MatMul, "mm", {x, g.add_constant("w", random_tensor({1024, 1024}, 1))}, {m});
  g.add_node(OpType::Relu, "relu", {m}, {y});
  g.outputs.push_back(y);
  return g;
}

// Opens `dsk` under `budget`; *largest = the largest allocation attempted meanwhile.
Status open_measured(const std::string& dsk, uint64_t budget, uint64_t* largest) {
  Status st;
  *largest = largest_attempt([&] {
    auto s = Session::open(dsk, fault_session_options(budget));
    st = s.ok() ? Status::ok_status() : s.status();
  });
  return st;
}

TEST(Ceiling, HugeActivationsAreInfeasibleBeforeAnythingThatLargeIsAllocated) {
  const std::string dsk = pack_unsliced(huge_activations_model(), "huge_activations.dsk");
  const uint64_t budget = 64 * kMiB;
  uint64_t largest = 0;
  const Status st = open_measured(dsk, budget, &largest);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::BudgetInfeasible) << st.message();
  EXPECT_GE(expected_at_least(st.message()), uint64_t{8} << 30) << st.message();
  EXPECT_NE(st.message().find("because node 'mm'"), std::string::npos) << st.message();
  EXPECT_LE(largest, budget) << "an allocation larger than the budget was attempted";
  std::printf("%s\n  largest allocation attempted: %llu bytes\n", st.to_string().c_str(),
              static_cast<unsigned long long>(largest));
}

// x[1, 2048] -> Gemm(2048 x 2048 weights) -> 16 MiB in one piece, under an 8 MiB budget.
TEST(Ceiling, PieceLargerThanTheBudgetIsInfeasibleNamingItsNode) {
  Graph g;
  g.name = "huge_piece";
  ValueId x = g.add_value("x", DType::F32, {1, 2048}, true);
  g.inputs.push_back(x);
  ValueId y = g.add_value("y");
  Node& fc = g.add_node(OpType::Gemm, "fc", {x, g.add_constant("w", random_tensor({2048, 2048}, 2))}, {y});
  fc.attrs.set_int("transB", 1);
  g.outputs.push_back(y);
  const std::string dsk = pack_unsliced(std::move(g), "huge_piece.dsk");
  const uint64_t budget = 8 * kMiB;
  uint64_t largest = 0;
  const Status st = open_measured(dsk, budget, &largest);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::BudgetInfeasible) << st.message();
  EXPECT_NE(st.message().find("because node 'fc'"), std::string::npos) << st.message();
  EXPECT_GE(expected_at_least(st.message()), 16 * kMiB) << st.message();
  EXPECT_LE(largest, budget);
}

// Over a sweep of budgets: the allocator's limit is the budget, no attempt exceeds it, and peak
// managed memory stays within it, through open, runs and replans.
TEST(Ceiling, TheSessionLimitIsTheBudget) {
  const std::string& dsk = fault_model().dsk;
  const uint64_t low = smallest_budget(dsk, 1);
  for (uint64_t budget : {low, low + (40 << 10), low + (200 << 10), low + (1 << 20)}) {
    std::unique_ptr<BlockStreamSession> s;
    const uint64_t largest = largest_attempt([&] {
      StreamOptions o;
      o.threads = kFaultThreads;
      o.requirement.memory_budget_bytes = budget;
      o.requirement.prefetch_depth = 1;
      auto opened = BlockStreamSession::open(dsk, o);
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      s = std::move(opened).value();
      TensorView in = fault_model().x.view();
      ASSERT_TRUE(s->run({&in, 1}).ok());
      ASSERT_TRUE(s->replan({.memory_budget_bytes = low, .prefetch_depth = 1}).ok());
      EXPECT_EQ(s->memory_limit_bytes(), low);
      ASSERT_TRUE(s->replan({.memory_budget_bytes = budget, .prefetch_depth = 1}).ok());
    });
    ASSERT_TRUE(s);
    EXPECT_EQ(s->memory_limit_bytes(), budget);
    EXPECT_LE(s->peak_managed_bytes(), budget);
    EXPECT_LE(largest, budget);
  }
}

// The limit holds from the start of prepare: a budget below the executor's fixed memory (arena,
// scratchpad, inline constants) is infeasible with the planner's usual message and smallest budget.
TEST(Ceiling, BudgetBelowTheFixedMemoryGivesTheSmallestBudget) {
  const std::string& dsk = fault_model().dsk;
  const uint64_t smallest = smallest_budget(dsk, 0);
  ASSERT_GT(smallest, 0u);
  for (uint64_t budget : {uint64_t{1}, uint64_t{4096}, smallest / 4, smallest - 1}) {
    auto s = Session::open(dsk, fault_session_options(budget, 0));
    ASSERT_FALSE(s.ok()) << budget;
    EXPECT_EQ(s.status().code(), ErrorCode::BudgetInfeasible) << s.status().message();
    EXPECT_EQ(expected_at_least(s.status().message()), smallest) << s.status().message();
  }
  auto s = Session::open(dsk, fault_session_options(smallest, 0));
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(runs_exactly(**s));
  EXPECT_LE((*s)->memory().peak_managed_bytes, smallest);
}

}  // namespace
}  // namespace deepshark::testing
