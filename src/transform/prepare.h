// Graph preparation between import and execution: bind the caller's input shapes, infer every
// value's static shape, fold constant subgraphs (shape arithmetic such as Shape -> Gather ->
// Concat -> Reshape), and drop no-op nodes (Identity, Dropout in inference).
//
//   DS_RETURN_IF_ERROR(ds::prepare_graph(graph, {{"input", {1, 3, 224, 224}}}));
#pragma once

#include <map>
#include <string>

#include "base/status.h"
#include "graph/graph.h"
#include "transform/fuse.h"

namespace deepshark {

inline constexpr uint64_t kFoldBudgetBaseBytes = uint64_t{256} << 20;
inline constexpr uint64_t kFoldBudgetBaseWork = uint64_t{1} << 26;

struct PrepareOptions {
  // Overrides for graph input shapes (required where the model leaves a dimension dynamic).
  std::map<std::string, Shape> input_shapes;
  // Fold nodes whose inputs are all constants, using the reference kernels.
  bool fold_constants = true;
  // Folding skips nodes whose outputs would exceed this many bytes (keeps big weights as they are),
  // or whose work (multiply-adds, elements read or written, window positions) would exceed
  // fold_limit_work: such nodes run at run time instead.
  uint64_t fold_limit_bytes = uint64_t{64} << 20;
  uint64_t fold_limit_work = uint64_t{1} << 24;
  // All folding of one prepare together may create at most fold_budget_bytes plus twice the
  // model's constant bytes, and do at most fold_budget_work plus four times the model's constant
  // bytes of work; past that prepare fails with InvalidModel naming the node (a model that computes
  // constants out of all proportion to its size, docs/robustness.md).
  uint64_t fold_budget_bytes = kFoldBudgetBaseBytes;
  uint64_t fold_budget_work = kFoldBudgetBaseWork;
  // Run the fusion pass (fuse_graph) last; false keeps one node per original op (bisecting a
  // wrong answer to a fusion, or comparing speed with and without).
  bool fuse = true;
  // When set, receives what the fusion pass did (all zero when `fuse` is false).
  FuseReport* fuse_report = nullptr;
};

// InvalidArgument for an unknown input name, a wrong rank, or a dimension that contradicts a
// static one in the model; InvalidModel / Unsupported from shape inference, naming the node;
// InvalidModel when folding exceeds its budget (above).
Status prepare_graph(Graph& graph, const PrepareOptions& options);

}  // namespace deepshark
