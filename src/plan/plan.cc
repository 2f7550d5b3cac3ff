#include "plan/plan.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "plan/cost.h"

namespace deepshark {

uint64_t aligned_piece_bytes(uint64_t bytes) { return (bytes + kPieceAlignment - 1) / kPieceAlignment * kPieceAlignment; }

std::string format_size(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t{1} << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", b / 1073741824.0);
  else if (b >= (uint64_t{1} << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", b / 1048576.0);
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  return buf;
}

std::string reserve_text(const PlanInput& in, uint64_t budget) {
  const uint64_t r = streaming_reserve(in, budget);
  if (r == 0) return "";
  return " and " + format_size(r) + " kept free for code pages and thread stacks";
}

Result<uint64_t> parse_size(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::InvalidArgument, "parse", "size", text,
                      why + " (expected a number with a unit B, KiB, MiB, GiB, KB, MB or GB, e.g. 64MiB)");
  };
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  std::string num = text.substr(0, i), unit = text.substr(i);
  if (num.empty() || num.size() > 20 || std::count(num.begin(), num.end(), '.') > 1 || num == ".") return bad("no number");
  uint64_t mult = 0;
  if (unit == "B" || unit.empty()) mult = 1;
  else if (unit == "KiB") mult = uint64_t{1} << 10;
  else if (unit == "MiB") mult = uint64_t{1} << 20;
  else if (unit == "GiB") mult = uint64_t{1} << 30;
  else if (unit == "KB") mult = 1000;
  else if (unit == "MB") mult = 1000000;
  else if (unit == "GB") mult = 1000000000;
  else return bad("unknown unit '" + unit + "'");
  if (unit.empty()) return bad("missing unit");
  long double v = std::strtold(num.c_str(), nullptr) * static_cast<long double>(mult);
  if (!(v >= 0) || v >= 1.8e19L) return bad("too large");
  if (mult == 1 && num.find('.') != std::string::npos) return bad("fractional bytes");
  return static_cast<uint64_t>(std::llround(static_cast<double>(v)));
}

namespace {

uint64_t max_piece(const PlanInput& in) {
  uint64_t m = 0;
  for (const PieceSummary& p : in.pieces) m = std::max(m, aligned_piece_bytes(p.bytes));
  return m;
}

}  // namespace

uint64_t total_piece_bytes(const PlanInput& in) {
  uint64_t t = 0;
  for (const PieceSummary& p : in.pieces) t += aligned_piece_bytes(p.bytes);
  return t;
}

uint64_t sliced_resident_peak(const PlanInput& in) { return in.fixed_bytes + total_piece_bytes(in); }

uint64_t in_memory_peak(const PlanInput& in) {
  return in.whole_nodes_peak_bytes > 0 ? in.whole_nodes_peak_bytes : sliced_resident_peak(in);
}

namespace {
// The least budget under which everything stays resident, in either form.
uint64_t least_resident_peak(const PlanInput& in) { return std::min(sliced_resident_peak(in), in_memory_peak(in)); }
}  // namespace

bool all_resident_fits(const PlanInput& in, uint64_t budget) { return budget == 0 || least_resident_peak(in) <= budget; }

Plan resident_plan(const PlanInput& in, uint64_t budget) {
  Plan plan;
  plan.all_resident = true;
  plan.fixed_bytes = in.fixed_bytes;
  plan.budget_bytes = budget;
  plan.resident.resize(in.pieces.size());
  std::iota(plan.resident.begin(), plan.resident.end(), 0);
  plan.resident_bytes = total_piece_bytes(in);
  plan.whole_nodes = in.whole_nodes_peak_bytes > 0 && (budget == 0 || in.whole_nodes_peak_bytes <= budget);
  plan.predicted_peak_bytes = plan.whole_nodes ? in.whole_nodes_peak_bytes : sliced_resident_peak(in);
  plan.predicted = predict_plan(in, plan);
  return plan;
}

uint64_t smallest_feasible_budget(const PlanInput& in, int depth) {
  if (depth < 0) depth = 0;
  const uint64_t streaming = in.fixed_bytes + static_cast<uint64_t>(depth + 1) * max_piece(in);
  // The least budget b with streaming_limit(b) >= streaming.
  uint64_t b = streaming + std::min(in.reserve_bytes, streaming / 31);
  while (streaming_limit(in, b) < streaming) ++b;
  while (b > streaming && streaming_limit(in, b - 1) >= streaming) --b;
  return std::min(b, least_resident_peak(in));
}

uint64_t streaming_reserve(const PlanInput& in, uint64_t budget) { return std::min(in.reserve_bytes, budget / 32); }

uint64_t streaming_limit(const PlanInput& in, uint64_t budget) { return budget - streaming_reserve(in, budget); }

Result<Plan> plan_greedy(const PlanInput& in, const Requirement& req) {
  Plan plan;
  plan.fixed_bytes = in.fixed_bytes;
  plan.budget_bytes = req.memory_budget_bytes;
  if (req.prefetch_depth > 16) {
    return make_error(ErrorCode::InvalidArgument, "plan", "model", in.model,
                      "prefetch depth too large " + expected_got("0..16", std::to_string(req.prefetch_depth)));
  }
  if (all_resident_fits(in, req.memory_budget_bytes)) return resident_plan(in, req.memory_budget_bytes);
  const uint64_t budget = req.memory_budget_bytes;
  // Default depth: 1 (double buffering) where the budget allows it, else 0.
  int depth = req.prefetch_depth;
  if (depth < 0) depth = budget >= smallest_feasible_budget(in, 1) ? 1 : 0;
  const uint64_t slot0 = max_piece(in);
  const uint64_t need = smallest_feasible_budget(in, depth);
  if (budget < need) {
    size_t big = 0;
    for (size_t i = 0; i < in.pieces.size(); ++i) {
      if (aligned_piece_bytes(in.pieces[i].bytes) > aligned_piece_bytes(in.pieces[big].bytes)) big = i;
    }
    std::string why = "needs at least " + format_size(need) + " because node '" +
                      (in.pieces.empty() ? std::string("?") : in.pieces[big].label) + "' reads a " + format_size(slot0) +
                      " piece (x" + std::to_string(depth + 1) + " ring slots for prefetch depth " +
                      std::to_string(depth) + ") on top of " + format_size(in.fixed_bytes) +
                      " of activations, scratchpad and small constants" + reserve_text(in, need) + " " +
                      expected_got(">= " + std::to_string(need) + " bytes", std::to_string(budget) + " bytes");
    return make_error(ErrorCode::BudgetInfeasible, "plan", "model", in.model, why);
  }
  // Resident set: fill what the ring leaves, hardest-to-hide pieces (most bytes per FLOP) first.
  uint64_t room = streaming_limit(in, budget) - in.fixed_bytes - static_cast<uint64_t>(depth + 1) * slot0;
  std::vector<int> order(in.pieces.size());
  std::iota(order.begin(), order.end(), 0);
  auto density = [&](int i) {
    return in.pieces[i].flops == 0 ? INFINITY : static_cast<double>(in.pieces[i].bytes) / in.pieces[i].flops;
  };
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return density(a) > density(b); });
  std::vector<bool> resident(in.pieces.size(), false);
  for (int i : order) {
    uint64_t b = aligned_piece_bytes(in.pieces[i].bytes);
    if (b <= room) {
      resident[i] = true;
      room -= b;
      plan.resident_bytes += b;
    }
  }
  for (size_t i = 0; i < in.pieces.size(); ++i) if (resident[i]) plan.resident.push_back(static_cast<int>(i));
  // Ring slot: the largest streamed piece; blocks: consecutive streamed pieces up to a slot.
  uint64_t slot = 0;
  for (size_t i = 0; i < in.pieces.size(); ++i) if (!resident[i]) slot = std::max(slot, aligned_piece_bytes(in.pieces[i].bytes));
  Block cur;
  auto flush = [&]() {
    if (!cur.pieces.empty()) plan.blocks.push_back(cur);
    cur = Block();
  };
  for (size_t i = 0; i < in.pieces.size(); ++i) {
    if (resident[i]) continue;
    uint64_t b = aligned_piece_bytes(in.pieces[i].bytes);
    if (!cur.pieces.empty() && cur.bytes + b > slot) flush();
    if (cur.pieces.empty()) cur.first_piece = static_cast<int>(i);
    cur.pieces.push_back(static_cast<int>(i));
    cur.end_piece = static_cast<int>(i) + 1;
    cur.bytes += b;
    plan.bytes_read_per_run += b;
  }
  flush();
  if (plan.blocks.empty()) {
    plan.all_resident = true;
    plan.predicted_peak_bytes = in.fixed_bytes + plan.resident_bytes;
    plan.predicted = predict_plan(in, plan);
    return plan;
  }
  plan.prefetch_depth = depth;
  plan.ring_slots = depth + 1;
  plan.ring_slot_bytes = slot;
  plan.ring_bytes = static_cast<uint64_t>(plan.ring_slots) * slot;
  plan.predicted_peak_bytes = in.fixed_bytes + plan.resident_bytes + plan.ring_bytes;
  plan.predicted = predict_plan(in, plan);
  return plan;
}

std::string Plan::to_string() const {
  std::ostringstream o;
  if (all_resident) {
    o << "plan: everything resident (" << format_size(resident_bytes) << " weights";
    if (whole_nodes) {
      o << ", sliced nodes run whole";
    } else {
      o << " + " << format_size(fixed_bytes) << " activations/scratch";
    }
    o << "), peak " << format_size(predicted_peak_bytes) << ", reads 0 B per run\n";
    return o.str();
  }
  o << "plan: budget " << format_size(budget_bytes) << ", predicted peak " << format_size(predicted_peak_bytes)
    << " (fixed " << format_size(fixed_bytes) << ", resident " << format_size(resident_bytes) << " in "
    << resident.size() << " pieces, ring " << ring_slots << " x " << format_size(ring_slot_bytes) << ")\n";
  o << "      prefetch depth " << prefetch_depth << ", " << blocks.size() << " blocks, reads "
    << format_size(bytes_read_per_run) << " per run\n";
  if (predicted.latency_ms > 0) {
    char line[160];
    std::snprintf(line, sizeof line, "      predicted (%s planner): latency %.3f ms, T* %.3f ms, eta %.3f\n", planner.c_str(),
                  predicted.latency_ms, predicted.t_star_ms, predicted.eta);
    o << line;
  }
  for (size_t b = 0; b < blocks.size(); ++b) {
    o << "  block " << b << ": pieces";
    for (int p : blocks[b].pieces) o << " " << p;
    o << " (" << format_size(blocks[b].bytes) << ")\n";
  }
  return o.str();
}

}  // namespace deepshark
