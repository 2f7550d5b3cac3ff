// TensorFlow importer: a frozen GraphDef (.pb) -> Graph, without TensorFlow installed (our own
// schema, tf_graph.proto, with TensorFlow's field numbers).
//
// What downstream can rely on:
//  - Graph inputs are the Placeholder nodes, named as in the file. A Placeholder without a static
//    shape (no shape attribute, unknown rank, or no dims) accepts any shape: the caller gives it
//    (prepare_graph's input_shapes). Unknown dims (-1) are dynamic.
//  - Graph outputs are the nodes whose output nothing consumes (Const, NoOp and Placeholder
//    excepted), or TfImportOptions::outputs when given, named as in the file and in the layout
//    the model declares (an NHWC model gives NHWC outputs).
//  - NHWC is handled here: a 4-D value is converted to NCHW once, where the first op that needs
//    NCHW (Conv, pools, batch norm) consumes it, stays NCHW through layout-agnostic ops
//    (activations, elementwise with constants, bias, pads, concat, reductions with remapped axes)
//    and goes back to NHWC before layout-sensitive ops (Reshape, MatMul, Shape...) and at outputs.
//    Filters are re-laid HWIO -> OIHW (depthwise H,W,C,M -> C*M,1,H,W with group = C).
//  - Shape arithmetic (Shape, StridedSlice, Pack, Cast) becomes ONNX-style ops that prepare_graph
//    folds; Dequantize of constants and SpaceToBatchND -> conv -> BatchToSpaceND (dilated
//    convolution) are rewritten at import.
//  - Errors are prefixed "failed to import model '<path>': " and name the node, e.g.
//    "failed to import node 'w': tensor_content size does not match shape [5,5,1,20] of DT_FLOAT
//    (expected 2000 bytes, got 1996)". Unsupported ops: Unsupported "failed to import node 'x':
//    unsupported op type 'Foo'".
//
//   DS_TRY(ds::Graph g, ds::import_tf("lenet.pb"));
//   DS_RETURN_IF_ERROR(ds::prepare_graph(g, {.input_shapes = {{"in", {1, 28, 28, 1}}}}));
//   DS_TRY(std::vector<std::string> ops, ds::tf_op_report("model.pb"));  // for `inspect`
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"

namespace deepshark {

struct TfImportOptions {
  // Names of the nodes whose output 0 ("node") or output k ("node:k") are the graph outputs;
  // empty: every node whose output nothing consumes.
  std::vector<std::string> outputs;
};

// InvalidModel for malformed files ("not a valid TensorFlow GraphDef" when protobuf cannot parse
// it; bad tensor sizes, missing inputs, cycles, duplicate names, absurd dims — naming the node),
// Unsupported naming op type and node for ops or attributes outside what the importer maps, and for
// files over 2 GiB; IOError when the file cannot be read.
Result<Graph> import_tf(const std::string& path, const TfImportOptions& options = {});
Result<Graph> import_tf_bytes(const std::string& bytes, const std::string& label, const TfImportOptions& options = {});

// One line per op type the file uses, in first-use order: "<op> <count> supported|unsupported",
// e.g. "Conv2D 2 supported". Does not stop at the first unsupported op. InvalidModel / IOError
// only when the file cannot be read or parsed.
Result<std::vector<std::string>> tf_op_report(const std::string& path);

// True when the importer maps TensorFlow op type `op`.
bool tf_op_supported(const std::string& op);

}  // namespace deepshark
