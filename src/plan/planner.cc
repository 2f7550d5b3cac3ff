#include "plan/planner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <optional>

#include "plan/cost.h"

namespace deepshark {

namespace {

std::string ms_text(double ms) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3f", ms);
  return b;
}

constexpr int kMaxDepth = 7;  // more slots of a smaller size read further ahead

Plan all_resident_plan(const PlanInput& in, uint64_t budget) {
  Plan plan = resident_plan(in, budget);
  plan.planner = "optimal";
  return plan;
}

// The plan for a given depth, slot size and resident set: streamed pieces packed in order into
// blocks of at most `slot` bytes.
// Resident flags per piece (bytes, not vector<bool>: the search reads them in its inner loops).
using Mask = std::vector<uint8_t>;

Plan build(const PlanInput& in, uint64_t budget, int depth, uint64_t slot, const Mask& resident) {
  Plan plan;
  plan.planner = "optimal";
  plan.fixed_bytes = in.fixed_bytes;
  plan.budget_bytes = budget;
  Block cur;
  uint64_t max_streamed = 0;
  for (size_t i = 0; i < in.pieces.size(); ++i) {
    const uint64_t b = aligned_piece_bytes(in.pieces[i].bytes);
    if (resident[i]) {
      plan.resident.push_back(static_cast<int>(i));
      plan.resident_bytes += b;
      continue;
    }
    max_streamed = std::max(max_streamed, b);
    if (!cur.pieces.empty() && cur.bytes + b > slot) {
      plan.blocks.push_back(cur);
      cur = Block();
    }
    if (cur.pieces.empty()) cur.first_piece = static_cast<int>(i);
    cur.pieces.push_back(static_cast<int>(i));
    cur.end_piece = static_cast<int>(i) + 1;
    cur.bytes += b;
    plan.bytes_read_per_run += b;
  }
  if (!cur.pieces.empty()) plan.blocks.push_back(cur);
  if (plan.blocks.empty()) {
    plan.all_resident = true;
    plan.predicted_peak_bytes = in.fixed_bytes + plan.resident_bytes;
  } else {
    // The slot shrinks to the largest block actually formed.
    uint64_t used = 0;
    for (const Block& b : plan.blocks) used = std::max(used, b.bytes);
    plan.prefetch_depth = depth;
    plan.ring_slots = depth + 1;
    plan.ring_slot_bytes = used;
    plan.ring_bytes = static_cast<uint64_t>(plan.ring_slots) * used;
    plan.predicted_peak_bytes = in.fixed_bytes + plan.resident_bytes + plan.ring_bytes;
  }
  plan.predicted = predict_plan(in, plan);
  return plan;
}

// Better: lower predicted latency; ties (within 1e-9 ms) go to less memory, then fewer bytes read.
bool better(const Plan& a, const Plan& b) {
  if (std::abs(a.predicted.latency_ms - b.predicted.latency_ms) > 1e-9) {
    return a.predicted.latency_ms < b.predicted.latency_ms;
  }
  if (a.predicted_peak_bytes != b.predicted_peak_bytes) return a.predicted_peak_bytes < b.predicted_peak_bytes;
  return a.bytes_read_per_run < b.bytes_read_per_run;
}

// Candidate ring slot sizes: every distinct piece size, and multiples of the largest piece, up to
// `room`; thinned geometrically to at most ~64 candidates.
std::vector<uint64_t> slot_candidates(const PlanInput& in, uint64_t room) {
  std::vector<uint64_t> c;
  uint64_t pmax = 0;
  for (const PieceSummary& p : in.pieces) {
    c.push_back(aligned_piece_bytes(p.bytes));
    pmax = std::max(pmax, aligned_piece_bytes(p.bytes));
  }
  for (double k = 1.4; pmax > 0 && k * pmax <= room; k *= 1.4) {
    c.push_back(static_cast<uint64_t>(k * pmax) / kPieceAlignment * kPieceAlignment);
  }
  std::sort(c.begin(), c.end());
  c.erase(std::unique(c.begin(), c.end()), c.end());
  std::vector<uint64_t> out;
  for (uint64_t s : c) {
    if (s > room || s == 0) continue;
    if (!out.empty() && s < out.back() * 1.1 && s != pmax) continue;
    out.push_back(s);
  }
  return out;
}

// Orders in which pieces are made resident while room lasts: (0) hardest to hide first: load time
// per compute time of the node that reads it; (1) most bytes per FLOP; (2) execution order (an
// exposed first read costs most); (3) largest first; (4) reverse execution order (nothing after
// the last pieces hides their reads).
std::vector<std::vector<int>> resident_orders(const PlanInput& in) {
  const size_t n = in.pieces.size();
  std::vector<int> base(n);
  std::iota(base.begin(), base.end(), 0);
  std::vector<std::vector<int>> orders(5, base);
  std::reverse(orders[4].begin(), orders[4].end());
  auto hide = [&](int i) {
    const double l = in.io.load_ms(aligned_piece_bytes(in.pieces[i].bytes));
    const int node = in.pieces[i].node;
    const double c = node < static_cast<int>(in.node_ms.size()) ? in.node_ms[node] : 0;
    return l / (c + 1e-6);
  };
  auto density = [&](int i) {
    return in.pieces[i].flops == 0 ? INFINITY : static_cast<double>(in.pieces[i].bytes) / in.pieces[i].flops;
  };
  std::stable_sort(orders[0].begin(), orders[0].end(), [&](int a, int b) { return hide(a) > hide(b); });
  std::stable_sort(orders[1].begin(), orders[1].end(), [&](int a, int b) { return density(a) > density(b); });
  std::stable_sort(orders[3].begin(), orders[3].end(), [&](int a, int b) {
    return aligned_piece_bytes(in.pieces[a].bytes) > aligned_piece_bytes(in.pieces[b].bytes);
  });
  return orders;
}

Status infeasible_budget(const PlanInput& in, uint64_t budget, int depth) {
  size_t big = 0;
  for (size_t i = 0; i < in.pieces.size(); ++i) {
    if (aligned_piece_bytes(in.pieces[i].bytes) > aligned_piece_bytes(in.pieces[big].bytes)) big = i;
  }
  const uint64_t need = smallest_feasible_budget(in, depth);
  const uint64_t slot = in.pieces.empty() ? 0 : aligned_piece_bytes(in.pieces[big].bytes);
  const int d = std::max(depth, 0);
  return make_error(ErrorCode::BudgetInfeasible, "plan", "model", in.model,
                    "infeasible: needs at least " + format_size(need) + " because node '" +
                        (in.pieces.empty() ? std::string("?") : in.pieces[big].label) + "' reads a " +
                        format_size(slot) + " piece (x" + std::to_string(d + 1) + " ring slots for prefetch depth " +
                        std::to_string(d) + ") on top of " + format_size(in.fixed_bytes) +
                        " of activations, scratchpad and small constants" + reserve_text(in, need) + " " +
                        expected_got(">= " + std::to_string(need) + " bytes", std::to_string(budget) + " bytes"));
}

// What the search needs per piece and node, computed once per plan_optimal call.
struct Context {
  const PlanInput& in;
  std::vector<uint64_t> bytes;        // aligned piece bytes
  std::vector<double> load;           // l_i
  std::vector<double> prefix;         // prefix[k] = node_ms[0] + ... + node_ms[k-1]
  std::vector<int> node;              // the node that reads piece i
  std::vector<std::vector<int>> orders;
  // Scratch for evaluate() (no allocation once warm).
  std::vector<int> start;
  std::vector<double> block_load, block_compute;

  explicit Context(const PlanInput& input) : in(input), orders(resident_orders(input)) {
    for (const PieceSummary& p : in.pieces) {
      bytes.push_back(aligned_piece_bytes(p.bytes));
      load.push_back(in.io.load_ms(bytes.back()));
      node.push_back(p.node);
    }
    int nodes = static_cast<int>(in.node_ms.size());
    if (nodes == 0 && !in.pieces.empty()) nodes = in.pieces.back().node + 1;
    prefix.assign(static_cast<size_t>(nodes) + 1, 0.0);
    for (int k = 0; k < nodes; ++k) {
      prefix[k + 1] = prefix[k] + (k < static_cast<int>(in.node_ms.size()) ? in.node_ms[k] : 0.0);
    }
  }
};

struct Score {
  double latency = 0;
  uint64_t peak = 0;
  uint64_t bytes_read = 0;
  bool streams = false;
};

bool better_score(const Score& a, const Score& b) {
  if (std::abs(a.latency - b.latency) > 1e-9) return a.latency < b.latency;
  if (a.peak != b.peak) return a.peak < b.peak;
  return a.bytes_read < b.bytes_read;
}

// The latency build() + predict_plan() would give, without building the plan. With a cutoff,
// the simulation stops as soon as a lower bound on the latency (the work left on the compute
// channel, or on the reader, after what is already simulated) exceeds it: the Score then holds
// that bound, which is > cutoff, so the caller's comparison with the plan that set the cutoff
// comes out the same as with the full simulation.
Score evaluate(Context& c, int depth, uint64_t slot, const Mask& resident,
               double cutoff = INFINITY) {
  Score sc;
  const int nodes = static_cast<int>(c.prefix.size()) - 1;
  const double limit = cutoff + 1e-9;
  c.start.clear();
  c.block_load.clear();
  uint64_t cur = 0, max_block = 0, resident_bytes = 0;
  for (size_t i = 0; i < c.bytes.size(); ++i) {
    if (resident[i]) {
      resident_bytes += c.bytes[i];
      continue;
    }
    sc.bytes_read += c.bytes[i];
    if (c.start.empty() || cur + c.bytes[i] > slot) {
      c.start.push_back(c.node[i]);
      c.block_load.push_back(0);
      cur = 0;
    }
    cur += c.bytes[i];
    c.block_load.back() += c.load[i];
    max_block = std::max(max_block, cur);
  }
  const size_t nb = c.start.size();
  if (nb == 0) {
    sc.latency = c.prefix[nodes];
    sc.peak = c.in.fixed_bytes + resident_bytes;
    return sc;
  }
  sc.streams = true;
  sc.peak = c.in.fixed_bytes + resident_bytes + static_cast<uint64_t>(depth + 1) * max_block;
  double load_total = 0;
  for (double l : c.block_load) load_total += l;
  if (std::max(load_total, c.prefix[nodes]) > limit) {
    sc.latency = std::max(load_total, c.prefix[nodes]);
    return sc;
  }
  c.block_compute.resize(nb);
  for (size_t b = 0; b < nb; ++b) {
    const int first = std::clamp(b == 0 ? 0 : c.start[b], 0, nodes);
    const int last = std::clamp(b + 1 < nb ? c.start[b + 1] : nodes, 0, nodes);
    c.block_compute[b] = c.prefix[last] - c.prefix[first];
  }
  sc.latency = simulate_pipeline(c.block_load, c.block_compute, static_cast<size_t>(depth) + 1,
                                 c.in.stream_compute_factor, c.in.cold_read_factor, cutoff);
  return sc;
}

// Local search on the best configuration: swap one resident piece for one streamed piece (same
// depth and slot limit) while that lowers the predicted latency; at most kMaxSwapEvaluations.
constexpr int kMaxSwapEvaluations = 250;

void refine(Context& c, int depth, uint64_t slot, uint64_t budget, Mask* resident, Score* best) {
  const size_t n = c.bytes.size();
  int evaluations = 0;
  for (int pass = 0; pass < 3 && evaluations < kMaxSwapEvaluations; ++pass) {
    bool improved = false;
    const uint64_t free_bytes = budget - best->peak;
    for (size_t s = 0; s < n && !improved && evaluations < kMaxSwapEvaluations; ++s) {
      if ((*resident)[s]) continue;
      for (size_t r = 0; r < n && evaluations < kMaxSwapEvaluations; ++r) {
        if (!(*resident)[r] || c.bytes[r] > slot || c.bytes[r] + free_bytes < c.bytes[s]) continue;
        (*resident)[r] = false;
        (*resident)[s] = true;
        Score sc = evaluate(c, depth, slot, *resident, best->latency);
        ++evaluations;
        if (sc.streams && sc.peak <= budget && sc.latency < best->latency - 1e-9) {
          *best = sc;
          improved = true;
          break;
        }
        (*resident)[r] = true;
        (*resident)[s] = false;
      }
    }
    if (!improved) break;
  }
}

Result<Plan> best_for_budget(Context& c, uint64_t budget, int forced_depth, bool local_search = true) {
  const PlanInput& in = c.in;
  if (all_resident_fits(in, budget)) return all_resident_plan(in, budget);
  if (budget < smallest_feasible_budget(in, forced_depth)) return infeasible_budget(in, budget, forced_depth);
  const uint64_t room_all = streaming_limit(in, budget) - in.fixed_bytes;
  const std::vector<uint64_t> slots = slot_candidates(in, room_all);
  const size_t n = in.pieces.size();
  bool have = false;
  Score best;
  int best_depth = 0;
  uint64_t best_slot = 0;
  Mask best_resident, resident(n);
  // Pieces larger than a slot must stay resident: per slot candidate, once.
  std::vector<Mask> musts(slots.size(), Mask(n));
  std::vector<uint64_t> forceds(slots.size(), 0);
  for (size_t k = 0; k < slots.size(); ++k) {
    for (size_t i = 0; i < n; ++i) {
      musts[k][i] = c.bytes[i] > slots[k];
      if (musts[k][i]) forceds[k] += c.bytes[i];
    }
  }
  for (int depth = forced_depth < 0 ? 0 : forced_depth; depth <= (forced_depth < 0 ? kMaxDepth : forced_depth); ++depth) {
    for (size_t k = 0; k < slots.size(); ++k) {
      const uint64_t slot = slots[k];
      const uint64_t ring = static_cast<uint64_t>(depth + 1) * slot;
      if (ring > room_all) break;
      const uint64_t room0 = room_all - ring;
      const uint64_t forced = forceds[k];
      if (forced > room0) continue;
      for (const std::vector<int>& order : c.orders) {
        uint64_t room = room0 - forced;
        resident = musts[k];
        for (int i : order) {
          if (!resident[i] && c.bytes[i] <= room) {
            resident[i] = true;
            room -= c.bytes[i];
          }
        }
        Score sc = evaluate(c, depth, slot, resident, have ? best.latency : INFINITY);
        if (!sc.streams) continue;  // cannot happen (total > room), but never claim it
        if (!have || better_score(sc, best)) {
          best = sc;
          best_depth = depth;
          best_slot = slot;
          best_resident = resident;
          have = true;
        }
      }
    }
  }
  std::optional<Plan> plan;
  if (have) {
    if (local_search) refine(c, best_depth, best_slot, streaming_limit(in, budget), &best_resident, &best);
    plan = build(in, budget, best_depth, best_slot, best_resident);
  }
  // The block stream's greedy plan is a candidate too: the optimiser never predicts worse.
  Requirement greedy_req;
  greedy_req.memory_budget_bytes = budget;
  greedy_req.prefetch_depth = forced_depth;
  if (auto g = plan_greedy(in, greedy_req); g.ok() && !g->all_resident && (!plan || better(*g, *plan))) {
    plan = std::move(g).value();
    plan->planner = "optimal";
  }
  if (!plan) return infeasible_budget(in, budget, forced_depth);
  return std::move(*plan);
}

}  // namespace

std::vector<uint64_t> sweep_budgets(const PlanInput& in, int points, int depth) {
  const uint64_t lo = smallest_feasible_budget(in, depth);
  const uint64_t hi = in_memory_peak(in);
  std::vector<uint64_t> r;
  points = std::max(points, 2);
  for (int i = 0; i < points; ++i) {
    double f = static_cast<double>(i) / (points - 1);
    uint64_t b = static_cast<uint64_t>(std::exp(std::log(static_cast<double>(lo)) * (1 - f) +
                                                std::log(static_cast<double>(hi)) * f));
    b = std::clamp(b, lo, hi);
    if (i == points - 1) b = hi;
    if (r.empty() || b > r.back()) r.push_back(b);
  }
  return r;
}

std::vector<Plan> plan_sweep(const PlanInput& in, int points, int depth) {
  std::vector<Plan> r;
  Context c(in);
  for (uint64_t b : sweep_budgets(in, points, depth)) {
    auto p = best_for_budget(c, b, depth);
    if (p.ok()) r.push_back(std::move(p).value());
  }
  return r;
}

Result<Plan> plan_optimal(const PlanInput& in, const Requirement& req) {
  if (req.prefetch_depth > 16) {
    return make_error(ErrorCode::InvalidArgument, "plan", "model", in.model,
                      "prefetch depth too large " + expected_got("0..16", std::to_string(req.prefetch_depth)));
  }
  const int given = (req.memory_budget_bytes > 0) + (req.latency_ms > 0) + (req.balance >= 0);
  if (given > 1) {
    return make_error(ErrorCode::InvalidArgument, "plan", "model", in.model,
                      "give one requirement (expected one of --memory, --latency, --balance, got " +
                          std::to_string(given) + ")");
  }
  if (req.balance > 1 || std::isnan(req.balance)) {
    return make_error(ErrorCode::InvalidArgument, "plan", "model", in.model,
                      "balance out of range " + expected_got("0..1", std::to_string(req.balance)));
  }
  if (req.latency_ms <= 0 && req.balance < 0) {
    Context c(in);
    return best_for_budget(c, req.memory_budget_bytes, req.prefetch_depth);
  }
  const double t_mem = in_memory_ms(in);
  const double m_mem = static_cast<double>(in_memory_peak(in));
  if (req.latency_ms > 0) {
    // The least budget whose best plan meets the target: bisect on the budget between the
    // smallest feasible one and the whole model (more memory never has to be slower: every
    // plan of a budget fits a larger one), to within 0.2 % or one piece alignment.
    Context c(in);
    const uint64_t whole = in_memory_peak(in);
    uint64_t lo = smallest_feasible_budget(in, req.prefetch_depth), hi = whole;
    auto meets = [&](const Result<Plan>& p) { return p.ok() && p->predicted.latency_ms <= req.latency_ms; };
    Result<Plan> best = best_for_budget(c, hi, req.prefetch_depth);
    if (!meets(best)) {
      return make_error(ErrorCode::BudgetInfeasible, "plan", "model", in.model,
                        "infeasible: no plan reaches the latency target; the fastest is everything resident " +
                            expected_got("<= " + ms_text(req.latency_ms) + " ms",
                                         ms_text(t_mem) + " ms at " + format_size(static_cast<uint64_t>(m_mem))));
    }
    if (lo < whole) {
      Result<Plan> at_lo = best_for_budget(c, lo, req.prefetch_depth);
      if (meets(at_lo)) return at_lo;
    }
    // Invariant: lo fails, best (at a budget <= hi) meets.
    while (hi > lo + std::max<uint64_t>(kPieceAlignment, hi / 512)) {
      const uint64_t mid = lo + (hi - lo) / 2;
      Result<Plan> p = best_for_budget(c, mid, req.prefetch_depth);
      if (meets(p)) {
        hi = std::min(mid, p->predicted_peak_bytes);
        if (p->predicted_peak_bytes <= best->predicted_peak_bytes) best = std::move(p);
      } else {
        lo = mid;
      }
    }
    return best;
  }
  // Balance: a coarse sweep (10 budgets), then 5 budgets between the best one's neighbours, each
  // planned without the local search (refine); the best budget is planned once more with it and
  // the better of the two is taken.
  const double w = req.balance;
  auto score = [&](const Plan& p) {
    return w * (t_mem > 0 ? p.predicted.latency_ms / t_mem : 1.0) +
           (1 - w) * (m_mem > 0 ? p.predicted_peak_bytes / m_mem : 1.0);
  };
  Context c(in);
  std::vector<uint64_t> budgets = sweep_budgets(in, 10, req.prefetch_depth);
  std::optional<Plan> pick;
  size_t pick_at = 0;
  auto consider = [&](uint64_t b, size_t at) {
    auto p = best_for_budget(c, b, req.prefetch_depth, /*local_search=*/false);
    if (p.ok() && (!pick || score(*p) < score(*pick) - 1e-12)) {
      pick = std::move(p).value();
      pick_at = at;
    }
  };
  for (size_t i = 0; i < budgets.size(); ++i) consider(budgets[i], i);
  if (!pick) return infeasible_budget(in, 1, req.prefetch_depth);
  const uint64_t lo = budgets[pick_at == 0 ? 0 : pick_at - 1];
  const uint64_t hi = budgets[std::min(pick_at + 1, budgets.size() - 1)];
  constexpr int kBetween = 5;
  for (int k = 1; k <= kBetween && hi > lo; ++k) {
    const double f = static_cast<double>(k) / (kBetween + 1);
    consider(static_cast<uint64_t>(std::exp(std::log(static_cast<double>(lo)) * (1 - f) +
                                            std::log(static_cast<double>(hi)) * f)),
             pick_at);
  }
  if (!pick->all_resident) {
    auto refined = best_for_budget(c, pick->budget_bytes, req.prefetch_depth);
    if (refined.ok() && score(*refined) < score(*pick) - 1e-12) pick = std::move(refined).value();
  }
  return std::move(*pick);
}

}  // namespace deepshark
