// Plans for people: the summary and per-block table of `deepshark plan`, its JSON, the
// memory-latency curve (table and SVG) and a per-block timeline SVG. Pure string builders.
//
//   std::cout << ds::plan_report_text(input, plan);             // summary + per-block table
//   ds::write_file("curve.svg", ds::sweep_svg(input, ds::plan_sweep(input, 24), {&plan}));
#pragma once

#include <string>
#include <vector>

#include "plan/plan.h"

namespace deepshark {

std::string plan_report_text(const PlanInput& input, const Plan& plan);
std::string plan_report_json(const PlanInput& input, const Plan& plan);
// One row per plan: budget, peak, latency, T*, bytes read, eta, depth, blocks, resident.
std::string sweep_table(const PlanInput& input, const std::vector<Plan>& curve);
std::string sweep_json(const PlanInput& input, const std::vector<Plan>& curve);
// Predicted latency (ms) against peak memory (MiB) with reference lines for the in-memory latency
// and serial streaming (load then compute everything: L_all + C); `chosen` plans are marked.
std::string sweep_svg(const PlanInput& input, const std::vector<Plan>& curve, const std::vector<const Plan*>& chosen);
// Two lanes over time: reads per block (reader thread) and computes per block (compute thread).
std::string timeline_svg(const PlanInput& input, const Plan& plan);

}  // namespace deepshark
