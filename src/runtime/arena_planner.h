// Activation arena layout: places every intermediate tensor at an offset in one arena so that two
// tensors share bytes only when their lifetimes do not overlap. A pure function, tested exactly.
//
//   std::vector<ds::ArenaRequest> r = {{.bytes = 100, .first = 0, .last = 2}, ...};
//   ds::ArenaLayout layout = ds::plan_arena(r, 64);
//   layout.offsets[i];  layout.total_bytes;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace deepshark {

struct ArenaRequest {
  uint64_t bytes = 0;
  int first = 0;  // step that writes it (inclusive)
  int last = 0;   // last step that reads it (inclusive)
};

struct ArenaLayout {
  std::vector<uint64_t> offsets;  // one per request
  uint64_t total_bytes = 0;
  // No layout can be smaller: the most (aligned) bytes live at one step.
  uint64_t lower_bound_bytes = 0;
  std::string order;  // the placement order that gave this layout
  std::string to_string() const;
};

// Places tensors one by one, each at the lowest offset where it fits among already-placed tensors
// whose lifetimes overlap it, in each of a few orders — largest first; longest-lived first;
// largest bytes x lifetime first; by first step — and keeps the smallest arena (ties: the
// earlier order). Offsets are multiples of `alignment`. Deterministic.
ArenaLayout plan_arena(const std::vector<ArenaRequest>& requests, uint64_t alignment);

}  // namespace deepshark
