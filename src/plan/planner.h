// The optimising planner: from a requirement (memory budget, latency target or balance) to the plan
// with the best predicted cost (plan/cost.h). Pure and deterministic: no I/O, no clocks; runs in
// milliseconds (candidate depths 0..7 x ring slot sizes x resident-set orderings, each simulated).
//
//   ds::Requirement req;  req.memory_budget_bytes = 64 << 20;      // or .latency_ms / .balance
//   DS_TRY(ds::Plan plan, ds::plan_optimal(input, req));          // BudgetInfeasible names the node
//   std::vector<ds::Plan> curve = ds::plan_sweep(input, 24);       // the memory-latency curve
#pragma once

#include <vector>

#include "plan/plan.h"

namespace deepshark {

// --memory M: the fastest predicted plan within M (everything resident when it fits, or M == 0).
// --latency T: the least predicted peak memory whose predicted latency is <= T (bisection on the
// budget, to within 0.2 %).
// --balance W: minimises W * latency / in_memory_latency + (1 - W) * peak / in_memory_peak over
// the sweep. A prefetch_depth >= 0 fixes the depth. BudgetInfeasible: "needs at least X bytes
// because node '...'" (memory) or "no plan reaches ..." (latency); InvalidArgument for bad values.
Result<Plan> plan_optimal(const PlanInput& input, const Requirement& requirement);

// The budgets a sweep visits: `points` budgets spaced geometrically from the smallest feasible
// (at the given depth, -1 = any) to the whole model, the whole model included.
std::vector<uint64_t> sweep_budgets(const PlanInput& input, int points, int prefetch_depth = -1);
// plan_optimal at each sweep budget.
std::vector<Plan> plan_sweep(const PlanInput& input, int points, int prefetch_depth = -1);

}  // namespace deepshark
