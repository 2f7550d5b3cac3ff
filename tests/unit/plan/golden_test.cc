// Golden plans for ResNet-50 and VGG-16 under a fixed cost model (tests/unit/plan/golden/*.input.txt:
// the pieces and fixed memory of the packed models at 2 threads, reads 0.1 ms + 2 GB/s, node times
// from FLOPs at 100 GFLOP/s), at budgets whole / 50 % / 25 % / 10 % / smallest, and the sweep table.
// The expected texts (golden/*.plan.txt) were reviewed; DS_UPDATE_GOLDEN=1 rewrites them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "plan/plan_input_io.h"
#include "plan/plan_report.h"
#include "plan/planner.h"

namespace deepshark {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string golden_text(const PlanInput& in) {
  std::string out;
  const uint64_t weights = total_piece_bytes(in);
  const std::pair<const char*, uint64_t> budgets[] = {
      {"whole", in.fixed_bytes + weights},
      {"50 %", in.fixed_bytes + weights / 2},
      {"25 %", in.fixed_bytes + weights / 4},
      {"10 %", in.fixed_bytes + weights / 10},
      {"smallest", smallest_feasible_budget(in, -1)}};
  for (const auto& [name, budget] : budgets) {
    out += std::string("=== budget ") + name + ": " + std::to_string(budget) + " bytes\n";
    auto p = plan_optimal(in, {.memory_budget_bytes = budget});
    out += p.ok() ? plan_report_text(in, *p) : p.status().message() + "\n";
  }
  out += "=== sweep\n" + sweep_table(in, plan_sweep(in, 12));
  return out;
}

void check(const std::string& model) {
  const std::string dir = std::string(DS_SOURCE_DIR) + "/tests/unit/plan/golden/";
  auto in = plan_input_from_text(slurp(dir + model + ".input.txt"), model);
  ASSERT_TRUE(in.ok()) << in.status().message();
  const std::string got = golden_text(*in);
  const std::string path = dir + model + ".plan.txt";
  if (std::getenv("DS_UPDATE_GOLDEN")) {
    std::ofstream(path) << got;
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(got, slurp(path)) << "golden " << path << " differs; review and run with DS_UPDATE_GOLDEN=1";
}

TEST(GoldenPlans, Vgg16) { check("vgg16"); }
TEST(GoldenPlans, ResNet50) { check("resnet50"); }

}  // namespace
}  // namespace deepshark
