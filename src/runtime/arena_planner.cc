#include "runtime/arena_planner.h"

#include <algorithm>
#include <functional>
#include <numeric>

namespace deepshark {

std::string ArenaLayout::to_string() const {
  std::string s = "arena " + std::to_string(total_bytes) + " bytes:";
  for (size_t i = 0; i < offsets.size(); ++i) s += " " + std::to_string(i) + "@" + std::to_string(offsets[i]);
  return s;
}

namespace {

ArenaLayout place_in_order(const std::vector<ArenaRequest>& requests, const std::vector<size_t>& order,
                           uint64_t alignment) {
  ArenaLayout layout;
  layout.offsets.assign(requests.size(), 0);
  auto align = [&](uint64_t v) { return (v + alignment - 1) / alignment * alignment; };
  std::vector<size_t> placed;
  std::vector<std::pair<uint64_t, uint64_t>> busy;  // [begin, end) of overlapping placed tensors
  for (size_t i : order) {
    const ArenaRequest& r = requests[i];
    if (r.bytes == 0) continue;
    busy.clear();
    for (size_t j : placed) {
      const ArenaRequest& q = requests[j];
      bool overlap = !(q.last < r.first || r.last < q.first);
      if (overlap) busy.emplace_back(layout.offsets[j], layout.offsets[j] + align(q.bytes));
    }
    std::sort(busy.begin(), busy.end());
    uint64_t offset = 0;
    for (const auto& [b, e] : busy) {
      if (offset + r.bytes <= b) break;  // fits in the gap before this one
      offset = std::max(offset, e);
    }
    layout.offsets[i] = offset;
    layout.total_bytes = std::max(layout.total_bytes, align(offset + r.bytes));
    placed.push_back(i);
  }
  return layout;
}

}  // namespace

ArenaLayout plan_arena(const std::vector<ArenaRequest>& requests, uint64_t alignment) {
  const size_t n = requests.size();
  auto align = [&](uint64_t v) { return (v + alignment - 1) / alignment * alignment; };
  auto span = [&](size_t i) { return static_cast<uint64_t>(requests[i].last - requests[i].first + 1); };
  using Less = std::function<bool(size_t, size_t)>;
  const std::vector<std::pair<const char*, Less>> orders = {
      {"largest first", [&](size_t a, size_t b) { return requests[a].bytes > requests[b].bytes; }},
      {"longest-lived first", [&](size_t a, size_t b) { return span(a) > span(b); }},
      {"largest bytes x lifetime first",
       [&](size_t a, size_t b) { return requests[a].bytes * span(a) > requests[b].bytes * span(b); }},
      {"first step first", [&](size_t a, size_t b) { return requests[a].first < requests[b].first; }},
  };
  ArenaLayout best;
  for (const auto& entry : orders) {
    const Less& less = entry.second;  // (not a structured binding: clang 14 cannot capture those)
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    // Ties: earlier first step, then index (stable).
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (less(a, b)) return true;
      if (less(b, a)) return false;
      return requests[a].first < requests[b].first;
    });
    ArenaLayout l = place_in_order(requests, order, alignment);
    if (best.order.empty() || l.total_bytes < best.total_bytes) {
      best = std::move(l);
      best.order = entry.first;
    }
  }
  if (best.order.empty()) best.offsets.assign(n, 0);
  // Lower bound: the most aligned bytes live at one step (sweep over first / last + 1 events).
  std::vector<std::pair<int64_t, int64_t>> events;
  for (const ArenaRequest& r : requests) {
    if (r.bytes == 0) continue;
    events.emplace_back(r.first, static_cast<int64_t>(align(r.bytes)));
    events.emplace_back(static_cast<int64_t>(r.last) + 1, -static_cast<int64_t>(align(r.bytes)));
  }
  std::sort(events.begin(), events.end());  // frees (negative) before allocations at the same step
  int64_t live = 0;
  for (const auto& [step, delta] : events) {
    live += delta;
    best.lower_bound_bytes = std::max(best.lower_bound_bytes, static_cast<uint64_t>(live));
  }
  return best;
}

}  // namespace deepshark
