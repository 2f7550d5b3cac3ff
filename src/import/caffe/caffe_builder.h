// The graph-building context the Caffe layer converters share: unique names, constants, nodes
// with shape inference as they are added (so converters that need a dimension, e.g. Slice or
// Reshape with num_axes, can read it), and the checks every converter repeats (bottom / top /
// blob counts, blob sizes). Internal to the Caffe importer.
//
//   DS_RETURN_IF_ERROR(b.expect_io(layer, 1, 1, 1));
//   DS_TRY(Tensor w, b.blob(layer, 0, {cout, cin, kh, kw}, "weight"));
//   DS_TRY(ValueId y, b.add(OpType::Conv, layer, "", {x, b.constant(layer.name + "/weight", w)}, attrs));
#pragma once

#include <string>
#include <unordered_set>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"
#include "import/caffe/caffe_proto_io.h"

namespace deepshark::caffe_import {

// One layer as the converters see it: its parameters, resolved bottoms and decoded blobs.
struct Layer {
  const caffe::LayerParameter* param = nullptr;
  std::string name;
  std::string type;
  std::vector<ValueId> bottoms;
  size_t top_count = 0;
  std::vector<Tensor> blobs;
  // Set for a BatchNorm whose only consumer is the next layer, a Scale with one bottom: the
  // converter folds it in (its blobs are `fused_blobs`, its parameters `fused_param`).
  const caffe::LayerParameter* fused_scale = nullptr;
  std::vector<Tensor> fused_blobs;
};

class Builder {
 public:
  Graph g;

  // InvalidModel / Unsupported "failed to import layer '<name>': <reason>".
  static Status invalid(const Layer& l, const std::string& reason);
  static Status unsupported(const Layer& l, const std::string& reason);

  // Reserves a name from the file so that generated names never collide with it.
  void reserve(const std::string& name) { used_.insert(name); }
  // `base` if free, else base_1, base_2, ...; the result is reserved.
  std::string unique(const std::string& base);

  ValueId constant(const std::string& name, Tensor t);
  ValueId scalar(const std::string& name, float v);
  ValueId ints(const std::string& name, const std::vector<int64_t>& v);

  // Adds node `<layer>` (or `<layer>/<suffix>`) with one new output value, and infers its shape
  // when every input's shape is known.
  Result<ValueId> add(OpType op, const Layer& l, const std::string& suffix, std::vector<ValueId> ins,
                      Attributes attrs = {});
  Result<std::vector<ValueId>> add_multi(OpType op, const Layer& l, std::vector<ValueId> ins, size_t outs,
                                         Attributes attrs);

  // The checks every converter starts with.
  Status expect_io(const Layer& l, size_t bottoms, size_t tops, size_t min_blobs, size_t max_blobs) const;
  Status expect_io(const Layer& l, size_t bottoms, size_t tops, size_t blobs) const {
    return expect_io(l, bottoms, tops, blobs, blobs);
  }
  // Blob i reshaped to `shape` (InvalidModel when its element count differs).
  Result<Tensor> blob(const Layer& l, size_t i, const Shape& shape, const std::string& what) const;
  // The static shape of a value, or Unsupported naming the layer when it is not known.
  Result<Shape> shape_of(const Layer& l, ValueId v) const;
  bool shape_known(ValueId v) const { return g.value(v).shape_known; }
  // Normalises a Caffe axis (negative counts from the end) against `rank`.
  Result<int64_t> axis(const Layer& l, int64_t axis, size_t rank, const std::string& what) const;

 private:
  std::unordered_set<std::string> used_;
  Status infer(const Node& n);
};

}  // namespace deepshark::caffe_import
