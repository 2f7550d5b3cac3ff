// PlanInput as a small text file, so planner tests and golden plans need no model:
//
//   deepshark-plan-input 1
//   model vgg16.dsk
//   fixed 12345678
//   io 0.05 6.4e-07                      # latency_ms ms_per_byte [stream_compute_factor]
//   cost profile_dev.json                # the rest of the line
//   nodes 2
//   node conv1 1.25                      # name ms (names without whitespace)
//   node relu1 0.01
//   pieces 1
//   piece conv1 6912 0 86704128          # label bytes node flops
//
//   std::string text = ds::plan_input_to_text(input);
//   DS_TRY(ds::PlanInput back, ds::plan_input_from_text(text, "fixture.txt"));
#pragma once

#include <string>

#include "base/status.h"
#include "plan/plan.h"

namespace deepshark {

std::string plan_input_to_text(const PlanInput& input);
// InvalidArgument naming `name` and the line for anything malformed (counts are bounded).
Result<PlanInput> plan_input_from_text(const std::string& text, const std::string& name);

}  // namespace deepshark
