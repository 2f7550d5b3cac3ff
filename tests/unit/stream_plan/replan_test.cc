// Planned plans on a real packed model: the optimising planner's plans run bit-identically within
// their budgets, and replan() between runs keeps resident pieces resident (counted reads through a
// FaultyStorage), reads exactly the newly resident ones, and leaves the session unchanged when the
// new requirement is infeasible.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "base/tensor.h"
#include "io/direct_file.h"
#include "io/faulty_storage.h"
#include "pack/pack.h"
#include "plan/planner.h"
#include "runtime/block_stream.h"
#include "runtime/executor.h"
#include "support/small_model.h"
#include "support/test_support.h"
#include "transform/prepare.h"

namespace deepshark::testing {
namespace {

class Replan : public ::testing::Test {
 protected:
  void SetUp() override {
    x_ = random_tensor({1, 8, 12, 12}, 99, 1.0f);
    CountingAllocator alloc;
    auto ex = Executor::create(prepared_small_model(), {.threads = 2}, alloc);
    ASSERT_TRUE(ex.ok()) << ex.status().message();
    TensorView in = x_.view();
    auto out = (*ex)->run({&in, 1});
    ASSERT_TRUE(out.ok());
    ref_ = std::move(out).value();
    auto r = pack_small_model("small_replan", 32 << 10, &path_);
    ASSERT_TRUE(r.ok()) << r.status().message();
    auto f = DirectFile::open(path_);
    ASSERT_TRUE(f.ok());
    file_ = std::move(f).value();
    faulty_ = std::make_unique<FaultyStorage>(*file_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  std::unique_ptr<BlockStreamSession> open(const Requirement& req) {
    StreamOptions o;
    o.threads = 2;
    o.requirement = req;
    auto s = BlockStreamSession::open_with_storage(path_, *faulty_, o);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  void expect_exact(BlockStreamSession& s) {
    TensorView in = x_.view();
    auto out = s.run({&in, 1});
    ASSERT_TRUE(out.ok()) << out.status().message();
    EXPECT_TRUE(bit_identical((*out)[0].view(), ref_[0].view()));
  }

  Tensor x_;
  std::vector<Tensor> ref_;
  std::string path_;
  std::unique_ptr<DirectFile> file_;
  std::unique_ptr<FaultyStorage> faulty_;
};

TEST_F(Replan, PlannedPlansAreExactAndWithinBudgetAcrossTheSweep) {
  auto probe = open({});
  ASSERT_TRUE(probe);
  const PlanInput in = probe->plan_input();
  probe.reset();
  for (uint64_t budget : sweep_budgets(in, 6)) {
    auto s = open({.memory_budget_bytes = budget});
    ASSERT_TRUE(s);
    expect_exact(*s);
    EXPECT_LE(s->peak_managed_bytes(), budget);
    EXPECT_LE(s->plan().predicted_peak_bytes, budget);
    // The prediction of peak memory is what the allocator saw (the run allocates nothing more)
    // — for plans that run the slices. An all-resident plan that runs sliced nodes whole holds
    // their joined weights and the whole nodes' executor instead: within the budget, not equal.
    if (s->last_report().unsliced_nodes == 0) {
      EXPECT_EQ(s->peak_managed_bytes(), s->plan().predicted_peak_bytes) << "budget " << budget;
    } else {
      EXPECT_TRUE(s->plan().all_resident);
    }
  }
  // Latency and balance requirements run too.
  auto lat = open({.latency_ms = 1e6});
  ASSERT_TRUE(lat);
  expect_exact(*lat);
  auto bal = open({.balance = 0.0});
  ASSERT_TRUE(bal);
  expect_exact(*bal);
  // Balance 0 takes the least memory: the smallest budget's plan, which a byte less would not
  // hold (a streaming budget keeps its reserve free, plan/plan.h).
  const uint64_t smallest = smallest_feasible_budget(in, -1);
  EXPECT_LE(bal->plan().predicted_peak_bytes, streaming_limit(in, smallest));
  EXPECT_GT(bal->plan().predicted_peak_bytes, streaming_limit(in, smallest - 1));
}

TEST_F(Replan, KeepsResidentPiecesAndReadsOnlyNewOnes) {
  auto probe = open({});
  ASSERT_TRUE(probe);
  const PlanInput in = probe->plan_input();
  const size_t pieces = in.pieces.size();
  probe.reset();
  const uint64_t small = smallest_feasible_budget(in, -1);
  const uint64_t whole = in.fixed_bytes + total_piece_bytes(in);
  const uint64_t middle = small + (whole - small) / 2;
  auto s = open({.memory_budget_bytes = middle});
  ASSERT_TRUE(s);
  const std::vector<int> resident_before = s->plan().resident;
  ASSERT_FALSE(resident_before.empty());
  ASSERT_FALSE(s->plan().blocks.empty());
  expect_exact(*s);

  // Up to everything resident: exactly the pieces not yet resident are read, once.
  faulty_->reset();
  ASSERT_TRUE(s->replan({.memory_budget_bytes = whole}).ok());
  EXPECT_TRUE(s->plan().all_resident);
  EXPECT_EQ(faulty_->read_count(), pieces - resident_before.size());
  faulty_->reset();
  expect_exact(*s);
  EXPECT_EQ(faulty_->read_count(), 0u) << "an all-resident run reads nothing";

  // Back down: every piece the new plan keeps is already in memory: no reads at replan time.
  faulty_->reset();
  ASSERT_TRUE(s->replan({.memory_budget_bytes = middle}).ok());
  EXPECT_EQ(faulty_->read_count(), 0u);
  expect_exact(*s);
  EXPECT_LE(s->peak_managed_bytes(), middle);

  // Down to the smallest: nothing resident, nothing read at replan time, every piece per run.
  faulty_->reset();
  ASSERT_TRUE(s->replan({.memory_budget_bytes = small}).ok());
  EXPECT_EQ(faulty_->read_count(), 0u);
  faulty_->reset();
  expect_exact(*s);
  EXPECT_EQ(faulty_->read_count(), pieces - s->plan().resident.size());
  EXPECT_LE(s->peak_managed_bytes(), small);

  // An infeasible requirement changes nothing.
  const Plan before = s->plan();
  Status bad = s->replan({.memory_budget_bytes = small - 1});
  EXPECT_EQ(bad.code(), ErrorCode::BudgetInfeasible);
  EXPECT_EQ(s->plan(), before);
  expect_exact(*s);
}

TEST_F(Replan, AFailedReadDuringReplanRestoresThePreviousPlan) {
  auto probe = open({});
  ASSERT_TRUE(probe);
  const PlanInput in = probe->plan_input();
  probe.reset();
  const uint64_t small = smallest_feasible_budget(in, -1);
  const uint64_t whole = in.fixed_bytes + total_piece_bytes(in);
  auto s = open({.memory_budget_bytes = small});
  ASSERT_TRUE(s);
  const Plan before = s->plan();
  faulty_->reset();
  faulty_->set_fail_read(1);
  Status st = s->replan({.memory_budget_bytes = whole});
  EXPECT_EQ(st.code(), ErrorCode::IOError);
  EXPECT_EQ(s->plan(), before);
  faulty_->reset();
  expect_exact(*s);
}

}  // namespace
}  // namespace deepshark::testing
