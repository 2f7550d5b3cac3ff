// A budget bounds a block stream session from its first allocation: the executor's fixed memory
// (activation arena, scratchpad, inline constants) is allocated under the budget, so a budget
// below it is refused when that allocation is refused, before anything larger than the budget
// is held (found by fuzz/dsk_open_run: a 40 KB file that declared a 2.3 GB activation arena).
#include <gtest/gtest.h>

#include "pack/pack.h"
#include "runtime/block_stream.h"
#include "support/small_model.h"
#include "transform/prepare.h"

namespace deepshark::testing {
namespace {

TEST(BudgetOpen, BudgetBelowTheFixedMemoryIsRefusedAtItsAllocation) {
  Graph g = small_model();
  ASSERT_TRUE(prepare_graph(g, {}).ok());
  const std::string path = ::testing::TempDir() + "/budget_open.dsk";
  PackGraphOptions po;
  po.threads = 1;
  auto packed = pack_graph(std::move(g), path, po);
  ASSERT_TRUE(packed.ok()) << packed.status().message();

  StreamOptions o;
  auto probe = BlockStreamSession::plan_input_of(path, o);
  ASSERT_TRUE(probe.ok()) << probe.status().message();
  ASSERT_GT(probe->fixed_bytes, 4096u);

  o.requirement.memory_budget_bytes = probe->fixed_bytes / 2;
  auto s = BlockStreamSession::open(path, o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::BudgetInfeasible);
  EXPECT_NE(s.status().message().find("do not fit in the budget of"), std::string::npos) << s.status().message();
  EXPECT_NE(s.status().message().find("refused by the allocator"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace deepshark::testing
