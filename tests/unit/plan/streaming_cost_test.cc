// The streaming calibration of the cost model: a profile's streamed run gives the read cost per
// byte with compute alongside and the kernels' slowdown; the prediction and the planner's own
// simulation slow reads and kernels down only while they overlap (never in the everything-resident
// plan, nor in load-then-compute).
#include <gtest/gtest.h>

#include "plan/cost.h"
#include "plan/device_profile.h"
#include "plan/plan_input_io.h"
#include "plan/planner.h"

namespace deepshark {
namespace {

DeviceProfile calibrated() {
  DeviceProfile p;
  p.io.latency_ms = 0.2;
  p.io.ms_per_byte = 2e-7;
  p.threads = 2;
  p.node_ms = {{"a", 60}, {"b", 40}};
  p.streaming.measured = true;
  p.streaming.budget_bytes = 64 << 20;
  p.streaming.bytes_read = 100000000;
  p.streaming.pieces_read = 50;
  p.streaming.read_ms = 60;        // 50 reads x 0.2 ms latency + 1e8 bytes x 5e-7 ms
  p.streaming.compute_ms = 120;    // vs 100 ms in memory
  p.streaming.in_memory_ms = 100;
  return p;
}

TEST(StreamingCost, CalibrationGivesPerByteCostAndComputeFactor) {
  DeviceProfile p = calibrated();
  EXPECT_NEAR(streaming_ms_per_byte(p), 5e-7, 1e-15);
  EXPECT_NEAR(streaming_compute_factor(p), 1.2, 1e-12);
  // Faster than alone is not believed: the fitted cost and a factor of 1 are the floor.
  p.streaming.read_ms = 1;
  p.streaming.compute_ms = 90;
  EXPECT_NEAR(streaming_ms_per_byte(p), 2e-7, 1e-15);
  EXPECT_EQ(streaming_compute_factor(p), 1.0);
  p.streaming.measured = false;
  EXPECT_EQ(streaming_compute_factor(calibrated()), 1.2);
  EXPECT_EQ(streaming_compute_factor(p), 1.0);

  // JSON keeps it; apply sets io and the factor.
  auto back = device_profile_from_json(device_profile_to_json(calibrated()), "p.json");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_TRUE(back->streaming.measured);
  EXPECT_EQ(back->streaming.bytes_read, 100000000u);
  EXPECT_EQ(back->streaming.pieces_read, 50);
  PlanInput in;
  in.node_names = {"a", "b"};
  ASSERT_TRUE(apply_device_profile(*back, 2, &in).ok());
  EXPECT_NEAR(in.io.ms_per_byte, 5e-7, 1e-15);  // the loader's calibrated rate, overlap or not
  EXPECT_NEAR(in.io.latency_ms, 0.2, 1e-12);
  EXPECT_NEAR(in.stream_compute_factor, 1.2, 1e-12);
  auto text = plan_input_from_text(plan_input_to_text(in), "in.txt");
  ASSERT_TRUE(text.ok()) << text.status().message();
  EXPECT_NEAR(text->stream_compute_factor, 1.2, 1e-12);
  EXPECT_FALSE(plan_input_from_text("deepshark-plan-input 1\nmodel m\nfixed 0\nio 0 1e-6 0.5\n", "x").ok());
}

// Two 4 KiB pieces, one per node (node times 2 and 2 ms), each read in 1 ms.
// Depth 0 (one slot) never overlaps: read 0 [0,1], compute 0 [1,3], read 1 [3,4], compute 1 [4,6],
// whatever the factor. Depth 1 (two slots): read 0 [0,1]; then compute 0 and read 1 overlap for
// 1 ms, in which compute 0 does 1/f ms of its 2 ms; the rest runs alone. With f = 1.5: compute 0
// ends at 2 + (2 - 2/3) = 10/3, compute 1 at 16/3; with f = 1: 3 and 5.
TEST(StreamingCost, KernelsSlowDownOnlyWhileAReadRunsBeside) {
  PlanInput in;
  in.io.latency_ms = 0;
  in.io.ms_per_byte = 1.0 / 4096;
  in.node_names = {"n0", "n1"};
  in.node_ms = {2, 2};
  in.pieces = {{"n0", 4096, 0, 1}, {"n1", 4096, 1, 1}};
  Plan plan;
  plan.blocks = {Block{0, 1, 4096, {0}}, Block{1, 2, 4096, {1}}};
  for (double f : {1.0, 1.5}) {
    in.stream_compute_factor = f;
    plan.ring_slots = 1;
    const Prediction serial = predict_plan(in, plan);
    EXPECT_DOUBLE_EQ(serial.latency_ms, 6.0) << f;
    EXPECT_DOUBLE_EQ(serial.compute_ms, 4.0) << f;
    EXPECT_DOUBLE_EQ(serial.load_ms, 2.0) << f;
    plan.ring_slots = 2;
    const Prediction p = predict_plan(in, plan);
    EXPECT_NEAR(p.latency_ms, f == 1.0 ? 5.0 : 16.0 / 3.0, 1e-12) << f;
    EXPECT_NEAR(p.read_end_ms[1], 2.0, 1e-12) << f;
    EXPECT_NEAR(p.compute_end_ms[0], f == 1.0 ? 3.0 : 10.0 / 3.0, 1e-12) << f;
    // The optimiser costs load-then-compute unscaled too, and the everything-resident plan is not
    // scaled.
    Requirement req;
    req.memory_budget_bytes = 4096;
    req.prefetch_depth = 0;
    auto opt = plan_optimal(in, req);
    ASSERT_TRUE(opt.ok()) << opt.status().message();
    EXPECT_NEAR(opt->predicted.latency_ms, 6.0, 1e-12) << f;
    auto all = plan_optimal(in, Requirement{});
    ASSERT_TRUE(all.ok());
    EXPECT_DOUBLE_EQ(all->predicted.latency_ms, 4.0);
  }
}

}  // namespace
}  // namespace deepshark
