// Value lifetimes of a prepared graph, the input to the activation arena planner.
//
// Step i is node i. Graph inputs live in the caller's memory and constants in weight memory, so
// neither takes arena space. Reshape-like nodes (Reshape, Flatten, Squeeze, Unsqueeze, Identity,
// Dropout) whose input is not a constant run as views: their output shares its input's storage
// (the alias root), and the root's lifetime covers both. A node whose kernel may accumulate
// into one of its inputs (Kernel::may_share_output: a fused residual) writes its output over
// that input when this is the input's last use and both take the same bytes: the output then
// shares the input's root too (no second tensor, no copy). A Concat along the first axis whose
// leading dims are all 1 (channels of an N=1 tensor, e.g. the slices of a sliced node) runs as
// a view too: each input is written by its producer straight into its place in the output
// (alias_offset), when every input is produced by a node, read only by the Concat, and takes
// the output's layout. A Slice of one contiguous range along such an axis (a sliced node's
// channel range of its residual) is a view of its input at an offset, likewise.
//
//   ds::ValueLifetimes lt = ds::compute_lifetimes(graph);
//   ds::ArenaLayout layout = ds::plan_arena(lt.requests, 64);
#pragma once

#include <vector>

#include "graph/graph.h"
#include "kernels/kernel.h"
#include "runtime/arena_planner.h"

namespace deepshark {

// True when node runs as a view of its first input (no kernel, no copy).
bool is_alias_node(const Graph& graph, const Node& node);

// A Slice that takes elements [begin, end) along one `axis` whose leading dims are all 1, with
// step 1 and constant parameters, of a runtime tensor: one contiguous range of its input.
struct ContiguousSlice {
  int64_t axis = 0, begin = 0, end = 0;
  uint64_t inner = 1;  // elements per index along the axis
};
bool contiguous_slice(const Graph& graph, const Node& node, ContiguousSlice* out);

struct ValueLifetimes {
  std::vector<ValueId> alias_root;      // per value: the value whose storage it uses
  std::vector<uint64_t> alias_offset;   // per value: its byte offset in the root's storage
  // Per value: elements between its rows in the root's storage when it is a column range of a
  // row-major root (a Concat along the last axis written in place); 0 = contiguous.
  std::vector<int64_t> alias_row_stride;
  std::vector<bool> alias_node;         // per node
  std::vector<ArenaRequest> requests;   // one per arena-resident root value
  std::vector<ValueId> request_value;   // the value of each request
  int in_place_nodes = 0;               // nodes whose output shares an input's storage
  int concat_views = 0;                 // Concat nodes run as views (row-strided ones included)
  int strided_concat_views = 0;         // of which inputs are column ranges written row by row
  int slice_views = 0;                  // Slice nodes run as views
};

struct LifetimeOptions {
  // Bytes per value in its layout (runtime/layout_assign's plan_value_bytes); empty = the plain
  // size numel * dtype size.
  std::vector<uint64_t> value_bytes;
  // Layout per value (empty = all Plain): views and in-place outputs never mix layouts.
  std::vector<ActLayout> value_layout;
  // Per node, the input index that may share output 0's storage (Kernel::may_share_output;
  // -1 or empty: none).
  std::vector<int> shared_input;
  // Channel block of Blocked values: a Slice view of a blocked value keeps whole blocks.
  int block = 1;
  // Blocked values are channels-last (nhwc): a view of one is contiguous only along the channel
  // axis of a 1x1 spatial tensor.
  bool channels_last = false;
  // Per node: its kernel can write output 0 as a column range of a wider row-major tensor
  // (KernelConfig::output_row_stride; dnnl_backend::writes_row_strided). Then a Concat along the
  // last axis of such outputs is a view even when rows > 1. Empty: no node can.
  std::vector<bool> row_strided_output;
};

ValueLifetimes compute_lifetimes(const Graph& graph, const LifetimeOptions& options = {});

}  // namespace deepshark
