#include "runtime/arena_planner.h"

#include <algorithm>
#include <numeric>

namespace deepshark {

std::string ArenaLayout::to_string() const {
  std::string s = "arena " + std::to_string(total_bytes) + " bytes:";
  for (size_t i = 0; i < offsets.size(); ++i) s += " " + std::to_string(i) + "@" + std::to_string(offsets[i]);
  return s;
}

ArenaLayout plan_arena(const std::vector<ArenaRequest>& requests, uint64_t alignment) {
  const size_t n = requests.size();
  ArenaLayout layout;
  layout.offsets.assign(n, 0);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].bytes != requests[b].bytes) return requests[a].bytes > requests[b].bytes;
    return requests[a].first < requests[b].first;
  });
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

}  // namespace deepshark
