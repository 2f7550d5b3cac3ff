#include "import/caffe/caffe_builder.h"

#include "graph/shape_inference.h"

namespace deepshark::caffe_import {

Status Builder::invalid(const Layer& l, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", "layer", l.name, reason);
}

Status Builder::unsupported(const Layer& l, const std::string& reason) {
  return make_error(ErrorCode::Unsupported, "import", "layer", l.name, reason);
}

std::string Builder::unique(const std::string& base) {
  std::string name = base;
  for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
  used_.insert(name);
  return name;
}

ValueId Builder::constant(const std::string& name, Tensor t) { return g.add_constant(unique(name), std::move(t)); }

ValueId Builder::scalar(const std::string& name, float v) {
  return constant(name, Tensor::from_values<float>({}, {v}));
}

ValueId Builder::ints(const std::string& name, const std::vector<int64_t>& v) {
  return constant(name, Tensor::from_values<int64_t>({static_cast<int64_t>(v.size())}, v));
}

Status Builder::infer(const Node& n) {
  for (ValueId in : n.inputs) {
    if (in != kNoValue && !g.value(in).shape_known) return Status::ok_status();  // dynamic: prepare infers later
  }
  return infer_node(g, n);
}

Result<ValueId> Builder::add(OpType op, const Layer& l, const std::string& suffix, std::vector<ValueId> ins,
                             Attributes attrs) {
  DS_TRY(std::vector<ValueId> outs, add_multi(op, l, std::move(ins), 1, std::move(attrs)));
  if (!suffix.empty()) {
    // add_multi names node and value after the layer; a helper node takes a suffix instead.
    Node& n = g.nodes.back();
    n.name = unique(l.name + "/" + suffix);
    g.value(outs[0]).name = n.name;
  }
  return outs[0];
}

Result<std::vector<ValueId>> Builder::add_multi(OpType op, const Layer& l, std::vector<ValueId> ins, size_t count,
                                                Attributes attrs) {
  std::vector<ValueId> outs;
  for (size_t i = 0; i < count; ++i) outs.push_back(g.add_value(l.name + "#out" + std::to_string(i)));
  Node& n = g.add_node(op, l.name, std::move(ins), outs);
  n.attrs = std::move(attrs);
  Status s = infer(g.nodes.back());
  if (!s.ok()) return s.with_context("failed to import layer '" + l.name + "' (" + l.type + ")");
  return outs;
}

Status Builder::expect_io(const Layer& l, size_t bottoms, size_t tops, size_t min_blobs, size_t max_blobs) const {
  if (l.bottoms.size() != bottoms) {
    return invalid(l, "wrong number of bottoms " + expected_got(std::to_string(bottoms), std::to_string(l.bottoms.size())));
  }
  if (l.top_count != tops) {
    return invalid(l, "wrong number of tops " + expected_got(std::to_string(tops), std::to_string(l.top_count)));
  }
  if (l.blobs.size() < min_blobs || l.blobs.size() > max_blobs) {
    std::string want = min_blobs == max_blobs ? std::to_string(min_blobs)
                                              : std::to_string(min_blobs) + ".." + std::to_string(max_blobs);
    std::string reason = "wrong number of blobs " + expected_got(want, std::to_string(l.blobs.size()));
    if (l.blobs.empty()) reason += ": are the weights (.caffemodel) missing?";
    return invalid(l, reason);
  }
  return Status::ok_status();
}

Result<Tensor> Builder::blob(const Layer& l, size_t i, const Shape& shape, const std::string& what) const {
  if (i >= l.blobs.size()) {
    return invalid(l, "missing " + what + " blob " + expected_got(std::to_string(i + 1) + " blobs", std::to_string(l.blobs.size())));
  }
  std::optional<int64_t> want = checked_numel(shape);
  if (!want) return invalid(l, what + " shape " + shape_to_string(shape) + " overflows");
  const Tensor& t = l.blobs[i];
  if (t.numel() != *want) {
    return invalid(l, what + " blob has the wrong size for " + shape_to_string(shape) + " " +
                          expected_got(std::to_string(*want) + " floats", std::to_string(t.numel()) + " in " + shape_to_string(t.shape())));
  }
  return t.reshaped(shape);
}

Result<Shape> Builder::shape_of(const Layer& l, ValueId v) const {
  const Value& val = g.value(v);
  if (!val.shape_known) {
    return unsupported(l, "needs the static shape of its input '" + val.name + "' (pass the input shapes)");
  }
  return val.shape;
}

Result<int64_t> Builder::axis(const Layer& l, int64_t axis, size_t rank, const std::string& what) const {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) {
    return invalid(l, what + " out of range " + expected_got("-" + std::to_string(r) + ".." + std::to_string(r - 1), std::to_string(axis)));
  }
  return axis < 0 ? axis + r : axis;
}

}  // namespace deepshark::caffe_import
