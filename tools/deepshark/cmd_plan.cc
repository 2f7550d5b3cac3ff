// deepshark plan MODEL.dsk (--memory M | --latency T | --balance W | --sweep) [--profile P] [--json]
//   [--svg FILE] [--timeline FILE]: the optimising planner's choice and what it predicts.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "base/file.h"
#include "cli.h"
#include "plan/cost.h"
#include "plan/device_profile.h"
#include "plan/plan_input_io.h"
#include "plan/plan_report.h"
#include "plan/planner.h"
#include "runtime/block_stream.h"
#include "runtime/profile.h"

namespace deepshark::cli {

namespace {
Status write_text(const std::string& path, const std::string& text) { return write_file_atomic(path, text); }
}  // namespace

int cmd_plan(const Args& a) {
  StreamOptions so;
  so.threads = a.threads;
  so.direct_io = a.direct_io;
  so.profile_path = a.profile_path;
  auto in = BlockStreamSession::plan_input_of(a.model, so);
  if (!in.ok()) return fail(in.status());
  if (!a.dump_input.empty()) {  // before any calibration run: node times are the profile's or FLOP-based
    Status s = write_text(a.dump_input, plan_input_to_text(*in));
    if (!s.ok()) return fail(s);
    if (!a.sweep && a.memory == 0 && a.latency_ms == 0 && a.balance < 0) return 0;
  }
  if (a.profile_path.empty()) {
    // Built-in: calibrate node times by one timed run (plus a warm-up).
    DeviceProfile timed;
    Status s = profile_model_compute(a.model, a.threads, 1, &timed);
    if (!s.ok()) return fail(s);
    const IoCost io = in->io;
    s = apply_device_profile(timed, a.threads, &*in);
    if (!s.ok()) return fail(s);
    in->io = io;
    in->cost_source = "built-in: a few direct reads of the model file and one timed run "
                      "(give --profile for a measured device profile)";
  }
  Requirement req;
  req.memory_budget_bytes = a.memory;
  req.prefetch_depth = a.prefetch;
  req.latency_ms = a.latency_ms;
  req.balance = a.balance;
  const bool has_req = a.memory > 0 || a.latency_ms > 0 || a.balance >= 0;
  Result<Plan> plan = Status(ErrorCode::Internal, "no requirement");
  if (has_req) {
    const auto t0 = std::chrono::steady_clock::now();
    plan = a.greedy_planner ? plan_greedy(*in, req) : plan_optimal(*in, req);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!plan.ok()) return fail(plan.status());
    std::fprintf(stderr, "planned in %.3f ms\n", ms);
  }
  if (!has_req && !a.sweep) return 0;
  if (a.sweep) {
    std::vector<Plan> curve = plan_sweep(*in, 24, a.prefetch);
    std::vector<const Plan*> chosen;
    Result<Plan> knee = Status(ErrorCode::Internal, "unused");
    if (plan.ok()) {
      chosen.push_back(&*plan);
    } else {
      Requirement b;
      b.balance = 0.5;
      knee = plan_optimal(*in, b);
      if (knee.ok()) chosen.push_back(&*knee);
    }
    std::cout << (a.json ? sweep_json(*in, curve) : sweep_table(*in, curve));
    if (!a.json && !chosen.empty()) {
      std::cout << "marked: " << format_size(chosen[0]->predicted_peak_bytes) << ", "
                << chosen[0]->predicted.latency_ms << " ms (" << (plan.ok() ? "the requirement" : "--balance 0.5")
                << ")\n";
    }
    if (!a.svg.empty()) {
      Status s = write_text(a.svg, sweep_svg(*in, curve, chosen));
      if (!s.ok()) return fail(s);
    }
  } else {
    std::cout << (a.json ? plan_report_json(*in, *plan) : plan_report_text(*in, *plan));
  }
  if (!a.timeline.empty()) {
    if (!plan.ok()) return usage_error("--timeline needs a requirement (--memory, --latency or --balance)");
    Status s = write_text(a.timeline, timeline_svg(*in, *plan));
    if (!s.ok()) return fail(s);
  }
  return 0;
}

}  // namespace deepshark::cli
