// Allocation fault injection (STYLE.md §11): count the allocations a clean pack / open / run /
// replan makes through the CountingAllocators (the process-wide one and each session's own), then
// fail the i-th one for every i. Each must give OutOfMemory naming what it allocated, leave no
// bytes behind (default_allocator() back to where it was, the session's own back to where it
// was; ASan's leak check in the asan build), and leave a session able to run again with
// bit-identical outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "fault_support.h"

namespace deepshark::testing {
namespace {

// What the failed allocations were ("weights 'weights'", "activation arena 'activations'", ...),
// printed per scenario.
std::set<std::string>& failed_what() {
  static std::set<std::string> what;
  return what;
}
void print_failed_what() {
  std::string all;
  for (const std::string& w : failed_what()) all += (all.empty() ? "" : ", ") + w;
  std::printf("  failed: %s\n", all.c_str());
  failed_what().clear();
}

// What every injected failure must look like.
void expect_clean_oom(const Status& s, uint64_t i, uint64_t n) {
  EXPECT_EQ(s.code(), ErrorCode::OutOfMemory) << "allocation " << i << " of " << n << ": " << s.to_string();
  const size_t at = s.message().find("failed to allocate ");
  EXPECT_NE(at, std::string::npos) << "allocation " << i << " of " << n << ": " << s.message();
  if (at != std::string::npos) {
    const size_t end = s.message().find("':", at);
    failed_what().insert(s.message().substr(at + 19, end == std::string::npos ? 40 : end + 1 - at - 19));
  }
}

bool same_file_bytes(const std::string& a, const std::string& b) {
  auto x = read_file(a), y = read_file(b);
  return x.ok() && y.ok() && *x == *y;
}

TEST(AllocationFaults, PackFailsCleanlyAtEveryAllocation) {
  const FaultModel& m = fault_model();
  const std::string out = m.dir + "/pack_alloc.dsk";
  auto pack = [&]() -> Status {
    auto r = pack_model(m.onnx, out, fault_pack_options());
    return r.ok() ? Status::ok_status() : r.status();
  };
  const uint64_t before = default_allocator().current_bytes();
  const uint64_t n = count_allocations(pack);
  ASSERT_GT(n, 10u);
  ASSERT_TRUE(same_file_bytes(out, m.dsk)) << "packing is deterministic";
  EXPECT_EQ(default_allocator().current_bytes(), before);
  for (uint64_t i = 0; i < n; ++i) {
    std::filesystem::remove(out);
    bool reached = false;
    Status s = with_failing_allocation(i, pack, &reached);
    ASSERT_TRUE(reached) << "allocation " << i << " of " << n << " never happened";
    ASSERT_FALSE(s.ok()) << "allocation " << i << " of " << n << " failed but the pack succeeded";
    expect_clean_oom(s, i, n);
    EXPECT_EQ(default_allocator().current_bytes(), before) << "leak after allocation " << i << " failed";
    EXPECT_FALSE(std::filesystem::exists(out)) << "a failed pack left " << out;
    EXPECT_FALSE(std::filesystem::exists(out + ".tmp")) << "a failed pack left " << out << ".tmp";
  }
  ASSERT_TRUE(pack().ok());
  EXPECT_TRUE(same_file_bytes(out, m.dsk));
  std::printf("pack: %llu allocations, each failed once: all OutOfMemory, no leak\n",
              static_cast<unsigned long long>(n));
  print_failed_what();
}

// Opening fails cleanly at every allocation; afterwards the same options open a session that
// runs exactly.
void open_fails_cleanly_at_every_allocation(const std::string& path, const SessionOptions& opt, const char* what) {
  const uint64_t before = default_allocator().current_bytes();
  auto open = [&]() -> Status {
    auto s = Session::open(path, opt);
    return s.ok() ? Status::ok_status() : s.status();
  };
  const uint64_t n = count_allocations(open);
  ASSERT_GT(n, 3u);
  EXPECT_EQ(default_allocator().current_bytes(), before);
  for (uint64_t i = 0; i < n; ++i) {
    bool reached = false;
    Status s = with_failing_allocation(i, open, &reached);
    ASSERT_TRUE(reached) << what << ": allocation " << i << " of " << n << " never happened";
    ASSERT_FALSE(s.ok()) << what << ": allocation " << i << " of " << n << " failed but open succeeded";
    expect_clean_oom(s, i, n);
    EXPECT_EQ(default_allocator().current_bytes(), before) << what << ": leak after allocation " << i << " failed";
  }
  auto s = Session::open(path, opt);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(runs_exactly(**s));
  std::printf("open %s: %llu allocations, each failed once: all OutOfMemory, no leak\n", what,
              static_cast<unsigned long long>(n));
  print_failed_what();
}

TEST(AllocationFaults, OpenOnnxFailsCleanlyAtEveryAllocation) {
  open_fails_cleanly_at_every_allocation(fault_model().onnx, fault_session_options(), "onnx");
}

TEST(AllocationFaults, OpenPackedInMemoryFailsCleanlyAtEveryAllocation) {
  open_fails_cleanly_at_every_allocation(fault_model().dsk, fault_session_options(), "dsk (all resident)");
}

TEST(AllocationFaults, OpenPackedStreamingFailsCleanlyAtEveryAllocation) {
  const uint64_t low = smallest_budget(fault_model().dsk, 1);
  open_fails_cleanly_at_every_allocation(fault_model().dsk, fault_session_options(low, 1), "dsk (streamed)");
  // A few pieces resident.
  open_fails_cleanly_at_every_allocation(fault_model().dsk, fault_session_options(low + (64 << 10), 1, true),
                                         "dsk (streamed, some resident)");
}

// A run that fails at its i-th allocation leaves the session's managed memory as it was, and the
// next run is exact.
void run_fails_cleanly_at_every_allocation(Session& s, const char* what) {
  ASSERT_TRUE(runs_exactly(s));
  const uint64_t held = s.memory().current_managed_bytes;
  const uint64_t before = default_allocator().current_bytes();
  auto run = [&]() -> Status {
    auto out = s.run(fault_model().inputs);
    return out.ok() ? Status::ok_status() : out.status();
  };
  const uint64_t n = count_allocations(run);
  ASSERT_GE(n, 1u) << "a run allocates at least its output";
  for (uint64_t i = 0; i < n; ++i) {
    bool reached = false;
    Status st = with_failing_allocation(i, run, &reached);
    ASSERT_TRUE(reached);
    ASSERT_FALSE(st.ok()) << what << ": allocation " << i << " of " << n << " failed but the run succeeded";
    expect_clean_oom(st, i, n);
    EXPECT_EQ(s.memory().current_managed_bytes, held) << what;
    EXPECT_EQ(default_allocator().current_bytes(), before) << what;
    EXPECT_TRUE(runs_exactly(s)) << what << " after allocation " << i << " failed";
  }
  std::printf("run %s: %llu allocations (outputs only: the session's own memory is prepared at open), "
              "each failed once: all OutOfMemory, session usable\n",
              what, static_cast<unsigned long long>(n));
  print_failed_what();
}

TEST(AllocationFaults, InMemoryRunFailsCleanlyAndTheSessionRunsAgain) {
  auto s = Session::open(fault_model().onnx, fault_session_options());
  ASSERT_TRUE(s.ok()) << s.status().message();
  run_fails_cleanly_at_every_allocation(**s, "in memory");
}

TEST(AllocationFaults, StreamedRunFailsCleanlyAndTheSessionRunsAgain) {
  const uint64_t budget = smallest_budget(fault_model().dsk, 1);
  auto s = Session::open(fault_model().dsk, fault_session_options(budget, 1));
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_TRUE((*s)->plan().streaming);
  run_fails_cleanly_at_every_allocation(**s, "streamed");
  EXPECT_LE((*s)->memory().peak_managed_bytes, budget);
}

// replan() allocates the new plan's resident pieces and ring; failing any of them restores the
// previous plan (same plan, same managed bytes, exact runs).
TEST(AllocationFaults, ReplanFailsCleanlyAndKeepsThePreviousPlan) {
  const std::string& dsk = fault_model().dsk;
  const uint64_t low = smallest_budget(dsk, 1);
  auto opened = Session::open(dsk, fault_session_options(low, 1, /*fixed_costs=*/true));
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  Session& s = **opened;
  const std::string low_plan = s.plan().text;
  const uint64_t held = s.memory().current_managed_bytes;
  PlanRequirement to_high{.memory_budget_bytes = low + (160 << 10), .prefetch_depth = 1};
  PlanRequirement to_low{.memory_budget_bytes = low, .prefetch_depth = 1};
  auto replan = [&]() -> Status { return s.replan(to_high); };
  const uint64_t n = count_allocations(replan);
  ASSERT_NE(s.plan().text, low_plan) << "the higher budget should keep more pieces resident";
  ASSERT_GE(n, 1u);
  ASSERT_TRUE(s.replan(to_low).ok());
  ASSERT_EQ(s.plan().text, low_plan);
  for (uint64_t i = 0; i < n; ++i) {
    bool reached = false;
    Status st = with_failing_allocation(i, replan, &reached);
    ASSERT_TRUE(reached);
    ASSERT_FALSE(st.ok()) << "allocation " << i << " of " << n << " failed but replan succeeded";
    expect_clean_oom(st, i, n);
    EXPECT_EQ(s.plan().text, low_plan) << "a failed replan restores the previous plan";
    EXPECT_EQ(s.memory().current_managed_bytes, held);
    EXPECT_TRUE(runs_exactly(s)) << "after allocation " << i << " of the replan failed";
  }
  // No memory at all: the replan fails and so does restoring the previous plan (its ring was
  // freed first). Runs then fail cleanly while memory is short, and the first run after it
  // restores the plan and is exact.
  AllocationFaults::install([](uint64_t, uint64_t) { return true; });
  Status st = s.replan(to_high);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), ErrorCode::OutOfMemory) << st.message();
  EXPECT_NE(st.message().find("failed to restore the previous plan"), std::string::npos) << st.message();
  for (int k = 0; k < 2; ++k) {
    auto out = s.run(fault_model().inputs);
    ASSERT_FALSE(out.ok());
    EXPECT_EQ(out.status().code(), ErrorCode::OutOfMemory) << out.status().message();
    EXPECT_NE(out.status().message().find("cannot restore its plan"), std::string::npos) << out.status().message();
  }
  AllocationFaults::remove();
  EXPECT_TRUE(runs_exactly(s));
  EXPECT_EQ(s.plan().text, low_plan);
  EXPECT_EQ(s.memory().current_managed_bytes, held);
  ASSERT_TRUE(s.replan(to_high).ok());
  EXPECT_TRUE(runs_exactly(s));
  std::printf("replan: %llu allocations, each failed once: all OutOfMemory, previous plan restored; no memory "
              "at all: runs fail cleanly, then restore it\n",
              static_cast<unsigned long long>(n));
  print_failed_what();
}

}  // namespace
}  // namespace deepshark::testing
