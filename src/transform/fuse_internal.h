// Internal to the transform module: the bookkeeping every fusion shares (who produces and who
// reads each value, which constants hold data, which nodes were replaced) and the per-kind
// fusion entry points. Not a public header: only src/transform/fuse*.cc include it.
//
// A fusion rewrites in place: the fused node takes the slot of the LAST node of the matched
// chain (all its inputs are produced before that slot, so topological order holds) and the
// other nodes of the chain are killed; the context is rebuilt after every rewrite.
//
//   FuseCtx c(g);
//   if (c.single_use(v) && c.consumer(v) == j) { ...; c.kill(i); c.rebuild(); }
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark::fuse_detail {

class FuseCtx {
 public:
  explicit FuseCtx(Graph& graph);

  Graph& g;

  // Recomputes producers and consumers after a rewrite (dead nodes are skipped).
  void rebuild();

  bool dead(size_t node) const { return dead_[node]; }
  void kill(size_t node) { dead_[node] = true; }
  // Drops killed nodes from g.nodes.
  void compact();

  bool valid(ValueId v) const { return v >= 0 && static_cast<size_t>(v) < g.values.size(); }
  bool is_output(ValueId v) const { return valid(v) && is_output_[v]; }
  // Exactly one node input reads v (counting each input slot), and v is not a graph output.
  bool single_use(ValueId v) const;
  // The node reading v when single_use(v), else -1.
  int consumer(ValueId v) const;
  // All (live) nodes reading v, one entry per input slot, in node order.
  const std::vector<int>& consumers(ValueId v) const { return readers_[v]; }
  // The live node producing v, or -1 (graph input, constant, or produced by a killed node).
  int producer(ValueId v) const { return valid(v) ? producer_[v] : -1; }

  // v is a constant whose data is present (not a shape-only weight).
  bool has_data(ValueId v) const;
  // v is a constant F32 (or F64) value with data: the tensor, else nullptr.
  const Tensor* float_constant(ValueId v) const;
  // v is a one-element F32/F64 constant: its value.
  std::optional<double> scalar(ValueId v) const;
  // v is an F32 value with a known static shape.
  bool static_f32(ValueId v) const;

  // A new constant value named after `base` (made unique).
  ValueId add_constant(const std::string& base, Tensor t);

 private:
  std::vector<bool> dead_, is_output_;
  std::vector<int> producer_;
  std::vector<std::vector<int>> readers_;
};

// True when |v - want| <= 1e-6 * max(1, |want|).
bool near(double v, double want);

// The other input of a two-input node (input 0 or 1) that is not `v`; kNoValue when the node
// does not have exactly two inputs or does not read `v` in exactly one of them.
ValueId other_input(const Node& n, ValueId v);

// Fusion kinds, each visiting node i: true when a rewrite happened (the context was rebuilt).
Result<bool> fuse_batch_norm(FuseCtx& c, size_t i);
Result<bool> fuse_gelu(FuseCtx& c, size_t i);
Result<bool> fuse_layer_norm(FuseCtx& c, size_t i);
Result<bool> fuse_matmul_bias(FuseCtx& c, size_t i);
Result<bool> fuse_residual(FuseCtx& c, size_t i);
Result<bool> fuse_activation(FuseCtx& c, size_t i);

}  // namespace deepshark::fuse_detail
