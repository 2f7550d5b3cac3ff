// Pack: a prepared graph -> a block stream file (.dsk). One pass, one node at a time: slice
// oversized nodes, build each node's kernel exactly as a session will, write its weights in the
// kernel's layout as one piece (4096-aligned, XXH3-64 checksummed), then the graph and the piece
// table. Peak memory is the model's weights (as imported) plus one piece.
//
//   ds::PackGraphOptions opt;  opt.slice_limit_bytes = 2 << 20;  opt.threads = 2;
//   DS_TRY(ds::PackReport r, ds::pack_graph(std::move(graph), "model.dsk", opt));
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"
#include "pack/slice.h"

namespace deepshark {

// 2 MiB: VGG-16 (fc6 alone is 392 MiB) then runs under 32 MiB with double buffering.
inline constexpr uint64_t kDefaultSliceLimitBytes = uint64_t{2} << 20;
// Constants smaller than this that no kernel re-lays stay inline in the graph (always resident).
inline constexpr uint64_t kDefaultInlineLimitBytes = uint64_t{16} << 10;

struct PackGraphOptions {
  uint64_t slice_limit_bytes = kDefaultSliceLimitBytes;
  uint64_t inline_limit_bytes = kDefaultInlineLimitBytes;
  int threads = 1;                            // weight layouts depend on it
  bool use_dnnl = true;
  // Called after each node: (nodes done, nodes total, bytes written).
  std::function<void(size_t, size_t, uint64_t)> progress;
};

struct PackReport {
  SliceReport slicing;
  uint64_t pieces = 0;
  uint64_t piece_bytes = 0;      // payload bytes written
  uint64_t inline_bytes = 0;     // constants kept in the graph
  uint64_t file_bytes = 0;
  std::vector<std::string> shared_weights;  // large constants read by several nodes (kept inline)
};

// `graph` must be prepared (static shapes, constants folded). IOError for the output file;
// Unsupported / InvalidModel from kernels, naming the node.
Result<PackReport> pack_graph(Graph graph, const std::string& out_path, const PackGraphOptions& options);

}  // namespace deepshark
