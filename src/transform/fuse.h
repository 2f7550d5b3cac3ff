// Graph fusions that let one kernel do the work of several nodes, as ONNX Runtime's graph
// optimiser does. Runs on a prepared graph (static shapes, constants folded); prepare_graph calls
// it last unless PrepareOptions::fuse is false. Each fusion applies only where the intermediate
// value has exactly one consumer and is not a graph output, and every constant it needs is
// present with data:
//   batch_norm   Conv (constant W, b) -> BatchNormalization   => Conv with folded W', b'
//   gelu         torch's erf GELU (Div|Mul -> Erf -> Add 1 -> Mul x -> Mul 0.5, any order) => Gelu
//   layer_norm   torch's decomposed LayerNorm (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt,
//                Div, Mul gamma, Add beta over the last axis)  => LayerNormalization
//   matmul_bias  MatMul (constant 2-D B) -> Add constant [.., N]  => MatMul with bias input 2 [N]
//   residual     Conv -> Add other tensor of the output's shape  => Conv, ds.residual = 1, input 3
//   activation   Conv|ConvTranspose|Gemm|MatMul -> Relu|LeakyRelu|Clip (constant bounds)|Sigmoid|
//                Tanh|HardSwish|HardSigmoid|Gelu  => ds.activation (+ ds.alpha, ds.beta)
// The ds.* attribute convention is described in kernels/ref/ref_fused.h (reference semantics)
// and kernels/dnnl/dnnl_fused.h (oneDNN post-ops). Deterministic: nodes are visited in order.
//
//   DS_TRY(ds::FuseReport r, ds::fuse_graph(graph));
//   std::cout << r.to_string() << "\n";   // "fused 16 activation, 16 residual, ..."
#pragma once

#include <string>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark {

struct FuseReport {
  int batch_norm = 0;
  int gelu = 0;
  int layer_norm = 0;
  int matmul_bias = 0;
  int residual = 0;
  int activation = 0;

  int total() const { return batch_norm + gelu + layer_norm + matmul_bias + residual + activation; }
  // One line: "fused 2 batch_norm, 0 gelu, ..., 5 activation".
  std::string to_string() const;
};

// Rewrites `graph` in place (nodes keep topological order; replaced nodes and values nothing
// reads any more are pruned). Requires inferred shapes. Errors: OutOfMemory when folded weights
// cannot be allocated; Internal when a rewritten node fails shape inference or the graph fails
// verification (a bug in a fusion, reported instead of running a wrong graph).
Result<FuseReport> fuse_graph(Graph& graph);

}  // namespace deepshark
