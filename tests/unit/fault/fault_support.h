// Helpers for the fault-injection tests (STYLE.md §11): a small ONNX model written to a temp
// folder, its packed .dsk and its in-memory reference outputs; counting and failing allocations
// (base/memory.h AllocationFaults) around one operation.
//
//   const FaultModel& m = fault_model();                       // built once per binary
//   const uint64_t n = count_allocations([&] { return pack(); });
//   for (uint64_t i = 0; i < n; ++i) Status s = with_failing_allocation(i, [&] { return pack(); });
#pragma once

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/file.h"
#include "base/memory.h"
#include "deepshark/deepshark.h"
#include "plan/device_profile.h"
#include "runtime/block_stream.h"
#include "support/test_support.h"
#include "unit/import_onnx/onnx_builder.h"

namespace deepshark::testing {

// Every fault test runs sessions with one thread: results are bit-identical per thread count,
// and one thread keeps the every-i loops quick.
inline constexpr int kFaultThreads = 1;
// Slices conv2 (221 KiB), fc1 (114 KiB) and fc2 (59 KiB): a dozen pieces to stream.
inline constexpr uint64_t kFaultSliceLimit = 32 << 10;

inline std::vector<float> seeded_values(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// x[1,8,12,12] -> Conv(8->64, 3x3, pad 1) -> Relu -> Conv(64->96, 3x3) -> Relu -> GlobalAveragePool
//   -> Flatten -> Gemm(96 -> 300, transB) -> Relu -> MatMul(300 -> 50) -> Add(bias) = y
inline std::string small_onnx_bytes() {
  OnnxBuilder b(13);
  b.input("x", {1, 8, 12, 12});
  b.float_initializer("w1", {64, 8, 3, 3}, seeded_values(64 * 8 * 9, 1, 0.1f));
  b.float_initializer("b1", {64}, seeded_values(64, 2, 0.1f));
  b.float_initializer("w2", {96, 64, 3, 3}, seeded_values(96 * 64 * 9, 3, 0.1f));
  b.float_initializer("b2", {96}, seeded_values(96, 4, 0.1f));
  b.float_initializer("w3", {300, 96}, seeded_values(300 * 96, 5, 0.1f));
  b.float_initializer("b3", {300}, seeded_values(300, 6, 0.1f));
  b.float_initializer("w4", {300, 50}, seeded_values(300 * 50, 7, 0.1f));
  b.float_initializer("b4", {50}, seeded_values(50, 8, 0.1f));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1").ints("pads", {1, 1, 1, 1});
  b.node("Relu", {"c1"}, {"r1"}, "relu1");
  b.node("Conv", {"r1", "w2", "b2"}, {"c2"}, "conv2");
  b.node("Relu", {"c2"}, {"r2"}, "relu2");
  b.node("GlobalAveragePool", {"r2"}, {"p"}, "gap");
  b.node("Flatten", {"p"}, {"f"}, "flatten");
  b.node("Gemm", {"f", "w3", "b3"}, {"g"}, "fc1").i("transB", 1);
  b.node("Relu", {"g"}, {"r3"}, "relu3");
  b.node("MatMul", {"r3", "w4"}, {"m"}, "fc2");
  b.node("Add", {"m", "b4"}, {"y"}, "fc2_bias");
  b.output("y");
  return b.bytes();
}

struct FaultModel {
  std::string dir;
  std::string onnx;  // the model
  std::string dsk;   // packed with kFaultSliceLimit and kFaultThreads
  Tensor x;
  std::vector<NamedTensor> inputs;  // {"x", x}
  Tensor reference;                 // in-memory output y
};

inline std::vector<std::string>& made_temp_dirs() {
  static auto* dirs = new std::vector<std::string>();  // never destroyed: used at exit
  return *dirs;
}

// A folder in the test temp dir, removed with everything in it when the test binary exits.
inline std::string temp_dir(const std::string& tag) {
  static const bool registered = [] {
    std::atexit([] {
      std::error_code ec;
      for (const std::string& d : made_temp_dirs()) std::filesystem::remove_all(d, ec);
    });
    return true;
  }();
  (void)registered;
  std::string d = ::testing::TempDir() + "/ds_" + tag + "_" + std::to_string(::getpid());
  if (std::filesystem::create_directories(d)) made_temp_dirs().push_back(d);
  return d;
}

inline PackOptions fault_pack_options() {
  PackOptions po;
  po.threads = kFaultThreads;
  po.slice_limit_bytes = kFaultSliceLimit;
  return po;
}

const std::string& fault_profile();

// fixed_costs: plan from a fixed device profile (fault_profile()) instead of timing reads of the
// file, so that plans — which pieces stay resident, so how many allocations and reads an open or a
// replan makes — are the same in every run. At the smallest budget of a prefetch depth nothing
// fits beside the ring, so those plans are fixed anyway (and exercise the built-in probe).
inline SessionOptions fault_session_options(uint64_t budget = 0, int depth = -1, bool fixed_costs = false) {
  SessionOptions o;
  o.threads = kFaultThreads;
  o.memory_budget_bytes = budget;
  o.prefetch_depth = depth;
  if (fixed_costs) o.profile_path = fault_profile();
  return o;
}

// Built once per test binary; the folder is left in the test temp dir.
inline const FaultModel& fault_model() {
  static const FaultModel m = [] {
    FaultModel f;
    f.dir = temp_dir("fault");
    f.onnx = f.dir + "/small.onnx";
    f.dsk = f.dir + "/small.dsk";
    Status w = write_file_atomic(f.onnx, small_onnx_bytes());
    DS_CHECK(w.ok());
    auto packed = pack_model(f.onnx, f.dsk, fault_pack_options());
    if (!packed.ok()) std::fprintf(stderr, "%s\n", packed.status().message().c_str());
    DS_CHECK(packed.ok());
    auto x = Tensor::create(DType::F32, {1, 8, 12, 12});
    DS_CHECK(x.ok());
    f.x = std::move(x).value();
    fill_uniform(f.x.view(), 99);
    f.inputs = {{"x", f.x}};
    auto s = Session::open(f.onnx, fault_session_options());
    DS_CHECK(s.ok());
    auto out = (*s)->run(f.inputs);
    DS_CHECK(out.ok() && out->size() == 1);
    f.reference = (*out)[0].tensor;
    return f;
  }();
  return m;
}

// A device profile for the packed model: 1 GB/s + 0.1 ms per read and FLOP-estimated node times.
inline const std::string& fault_profile() {
  static const std::string path = [] {
    const FaultModel& m = fault_model();
    StreamOptions so;
    so.threads = kFaultThreads;
    auto in = BlockStreamSession::plan_input_of(m.dsk, so);
    DS_CHECK(in.ok());
    DeviceProfile p;
    p.dir = m.dir;
    p.io = IoCost{};
    p.model = "small";
    p.threads = kFaultThreads;
    p.runs = 1;
    for (size_t i = 0; i < in->node_names.size(); ++i) p.node_ms.push_back({in->node_names[i], in->node_ms[i]});
    const std::string file = m.dir + "/profile.json";
    DS_CHECK(write_file_atomic(file, device_profile_to_json(p)).ok());
    return file;
  }();
  return path;
}

// The smallest feasible budget of the packed model at prefetch depth `depth` (from the
// BudgetInfeasible message of a 1-byte budget: "(expected >= N bytes, ...").
inline uint64_t smallest_budget(const std::string& dsk, int depth) {
  auto s = Session::open(dsk, fault_session_options(1, depth));
  EXPECT_FALSE(s.ok());
  if (s.ok()) return 0;
  EXPECT_EQ(s.status().code(), ErrorCode::BudgetInfeasible) << s.status().message();
  const std::string& m = s.status().message();
  const size_t at = m.find("(expected >= ");
  EXPECT_NE(at, std::string::npos) << m;
  return at == std::string::npos ? 0 : std::stoull(m.substr(at + 13));
}

// Runs `op` once with every allocation numbered, none failing; returns how many were made.
inline uint64_t count_allocations(const std::function<Status()>& op) {
  AllocationFaults::install([](uint64_t, uint64_t) { return false; });
  Status s = op();
  const uint64_t n = AllocationFaults::count();
  AllocationFaults::remove();
  EXPECT_TRUE(s.ok()) << s.message();
  return n;
}

// Runs `op` with allocation number `i` failing. *reached: whether the op made that many
// allocations (a fault that never fired proves nothing).
inline Status with_failing_allocation(uint64_t i, const std::function<Status()>& op, bool* reached = nullptr) {
  AllocationFaults::install([i](uint64_t k, uint64_t) { return k == i; });
  Status s = op();
  if (reached) *reached = AllocationFaults::count() > i;
  AllocationFaults::remove();
  return s;
}

// The output of a session run on the fault model's input, checked bit for bit.
inline ::testing::AssertionResult runs_exactly(Session& s) {
  auto out = s.run(fault_model().inputs);
  if (!out.ok()) return ::testing::AssertionFailure() << "run failed: " << out.status().message();
  if (out->size() != 1 || !bit_identical((*out)[0].tensor.view(), fault_model().reference.view())) {
    return ::testing::AssertionFailure() << "output differs from the in-memory reference";
  }
  return ::testing::AssertionSuccess();
}

}  // namespace deepshark::testing
