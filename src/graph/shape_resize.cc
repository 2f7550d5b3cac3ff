// Shape rules for ops whose output size comes from a shape-carrying input: Expand, Tile, Pad,
// Resize, Upsample. Those inputs must be constants by the time the node is reached.
#include <cmath>

#include "graph/shape_inference.h"
#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

namespace {

using i128 = __int128;

// Resize/Upsample from per-dim scales: floor(in * scale).
Result<Shape> scaled(const ShapeCtx& c, const Shape& in, const std::vector<double>& scales) {
  if (scales.size() != in.size()) {
    return c.invalid("scales has one value per dim " + expected_got(std::to_string(in.size()), std::to_string(scales.size())));
  }
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (!(scales[i] > 0) || !std::isfinite(scales[i])) {
      return c.invalid("scales must be positive " + expected_got("> 0", std::to_string(scales[i])));
    }
    // ONNX Runtime multiplies in float: floor(float(in) * scale) for F32 scales.
    double o = std::floor(static_cast<double>(static_cast<float>(in[i]) * static_cast<float>(scales[i])));
    if (o > static_cast<double>(kMaxDim)) return c.invalid("scaled output too large at dim " + std::to_string(i));
    out[i] = static_cast<int64_t>(o);
  }
  return out;
}

}  // namespace

Status infer_Expand(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  DS_TRY(std::vector<int64_t> shape, c.ints(1));
  if (shape.size() > kMaxRank) return c.invalid("target rank too large " + expected_got("<= " + std::to_string(kMaxRank), std::to_string(shape.size())));
  for (int64_t d : shape) {
    if (d < 0 || d > kMaxDim) return c.invalid("shape " + ints_to_string(shape) + " has an invalid dimension " + expected_got(">= 0", std::to_string(d)));
  }
  auto out = broadcast_shapes(x->shape, shape);
  if (!out.ok()) return c.invalid("cannot expand: " + out.status().message());
  return c.set(0, x->dtype, *out);
}

Status infer_Tile(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  DS_TRY(std::vector<int64_t> reps, c.ints(1));
  if (reps.size() != x->shape.size()) {
    return c.invalid("repeats has one value per dim " + expected_got(std::to_string(x->shape.size()), std::to_string(reps.size())));
  }
  Shape out(reps.size());
  for (size_t i = 0; i < reps.size(); ++i) {
    if (reps[i] < 0 || reps[i] > kMaxDim) return c.invalid("repeats must be non-negative " + expected_got(">= 0", std::to_string(reps[i])));
    i128 o = static_cast<i128>(x->shape[i]) * reps[i];
    if (o > kMaxDim) return c.invalid("tiled output too large at dim " + std::to_string(i));
    out[i] = static_cast<int64_t>(o);
  }
  return c.set(0, x->dtype, out);
}

Status infer_Pad(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 4));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  int64_t rank = static_cast<int64_t>(x->shape.size());
  DS_TRY(std::vector<int64_t> pads, c.ints(1));
  std::vector<int64_t> axes;
  if (c.has(3)) {
    DS_TRY(std::vector<int64_t> raw, c.ints(3));
    DS_TRY(axes, c.axes(raw, rank));
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  if (pads.size() != 2 * axes.size()) {
    return c.invalid("pads has two values per padded dim " + expected_got(std::to_string(2 * axes.size()), std::to_string(pads.size())));
  }
  if (c.has(2)) {
    DS_TRY(const Value* cv, c.in(2));
    auto n = checked_numel(cv->shape);
    if (!n || *n != 1) return c.invalid("constant_value must be a scalar " + expected_got("1 element", shape_to_string(cv->shape)));
  }
  std::string mode = c.n.attrs.get_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap") {
    return c.invalid("unknown pad mode " + expected_got("constant, reflect, edge or wrap", mode));
  }
  Shape out = x->shape;
  size_t na = axes.size();
  for (size_t i = 0; i < na; ++i) {
    size_t a = static_cast<size_t>(axes[i]);
    int64_t pb = pads[i], pe = pads[i + na];
    if (pb < -kMaxDim || pb > kMaxDim || pe < -kMaxDim || pe > kMaxDim) return c.invalid("pads out of range " + ints_to_string(pads));
    int64_t dim = x->shape[a];
    i128 o = static_cast<i128>(dim) + pb + pe;
    if (o < 0 || o > kMaxDim) {
      return c.invalid("padded dim " + std::to_string(a) + " out of range " +
                       expected_got("0.." + std::to_string(kMaxDim), std::to_string(static_cast<int64_t>(o))));
    }
    if (mode == "reflect" && (pb >= dim || pe >= dim) && (pb > 0 || pe > 0)) {
      return c.invalid("reflect pads must be smaller than the dim " + expected_got("< " + std::to_string(dim), ints_to_string(pads)));
    }
    if ((mode == "edge" || mode == "wrap") && dim == 0 && (pb > 0 || pe > 0)) {
      return c.invalid(mode + " padding of an empty dim " + expected_got("dim > 0", "0"));
    }
    out[a] = static_cast<int64_t>(o);
  }
  return c.set(0, x->dtype, out);
}

Status infer_Resize(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 4));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  if (c.n.attrs.has("axes")) return c.unsupported("Resize with the 'axes' attribute is not supported");
  std::string policy = c.n.attrs.get_string("keep_aspect_ratio_policy", "stretch");
  if (policy != "stretch") return c.unsupported("keep_aspect_ratio_policy " + expected_got("stretch", policy));
  bool has_scales = c.has_nonempty(2), has_sizes = c.has_nonempty(3);
  if (has_scales == has_sizes) {
    return c.invalid("Resize needs exactly one of scales and sizes " +
                     expected_got("one", has_scales ? "both" : "neither"));
  }
  if (has_sizes) {
    DS_TRY(std::vector<int64_t> sizes, c.ints(3));
    if (sizes.size() != x->shape.size()) {
      return c.invalid("sizes has one value per dim " + expected_got(std::to_string(x->shape.size()), std::to_string(sizes.size())));
    }
    for (int64_t s : sizes) {
      if (s < 0 || s > kMaxDim) return c.invalid("sizes must be non-negative " + expected_got(">= 0", std::to_string(s)));
    }
    return c.set(0, x->dtype, sizes);
  }
  DS_TRY(std::vector<double> scales, c.floats(2));
  DS_TRY(Shape out, scaled(c, x->shape, scales));
  return c.set(0, x->dtype, out);
}

Status infer_Upsample(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 2));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, c.in(0));
  std::vector<double> scales;
  if (c.has(1)) {
    DS_TRY(scales, c.floats(1));
  } else {
    std::vector<float> f = c.n.attrs.get_floats("scales");
    if (f.empty()) return c.invalid("Upsample needs scales (input 1 or attribute)");
    scales.assign(f.begin(), f.end());
  }
  DS_TRY(Shape out, scaled(c, x->shape, scales));
  return c.set(0, x->dtype, out);
}

}  // namespace deepshark::shape_rules
