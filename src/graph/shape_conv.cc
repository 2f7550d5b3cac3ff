// Shape rules for sliding-window ops: Conv, ConvTranspose, MaxPool, AveragePool and the global
// pools. Window arithmetic runs in 128-bit integers: every attribute is bounded by kMaxDim
// (2^40), so no intermediate product can overflow, and the result is range-checked by set().
#include <algorithm>

#include "graph/shape_rules.h"

namespace deepshark::shape_rules {

// shape_fused.cc: the fusion pass's ds.* attributes (residual input 3, activation name).
bool has_fused_residual(const ShapeCtx& c);
Status check_fused_epilogue(const ShapeCtx& c, DType dtype, const Shape& out, bool residual_allowed);

namespace {

using i128 = __int128;

struct Window {
  std::vector<int64_t> k, s, d, pb, pe;
  std::string auto_pad;
};

bool same_pad(const Window& w) { return w.auto_pad == "SAME_UPPER" || w.auto_pad == "SAME_LOWER"; }

// Reads strides, dilations, pads and auto_pad for `r` spatial dims with the given kernel.
Result<Window> read_window(const ShapeCtx& c, size_t r, std::vector<int64_t> kernel, bool has_dilations) {
  if (kernel.size() != r) return c.invalid("kernel rank mismatch");
  Window w;
  for (int64_t k : kernel) {
    if (k < 1 || k > kMaxDim) return c.invalid("kernel size must be positive " + expected_got(">= 1", std::to_string(k)));
  }
  w.k = std::move(kernel);
  DS_TRY(w.s, c.ints_attr("strides", r, 1, 1));
  if (has_dilations) {
    DS_TRY(w.d, c.ints_attr("dilations", r, 1, 1));
  } else {
    w.d.assign(r, 1);
  }
  w.auto_pad = c.n.attrs.get_string("auto_pad", "NOTSET");
  if (w.auto_pad != "NOTSET" && w.auto_pad != "VALID" && !same_pad(w)) {
    return c.invalid("unknown auto_pad " + expected_got("NOTSET, VALID, SAME_UPPER or SAME_LOWER", w.auto_pad));
  }
  DS_TRY(std::vector<int64_t> pads, c.ints_attr("pads", 2 * r, 0, 0));
  if (w.auto_pad != "NOTSET") pads.assign(2 * r, 0);
  w.pb.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(r));
  w.pe.assign(pads.begin() + static_cast<std::ptrdiff_t>(r), pads.end());
  return w;
}

// Reads kernel_shape; when `from_weights` is given, the attribute (if present) must agree.
Result<std::vector<int64_t>> kernel_shape(const ShapeCtx& c, size_t r, const Shape* from_weights) {
  const Attribute* a = c.n.attrs.find("kernel_shape");
  if (!from_weights) {
    if (!a) return c.invalid("attribute 'kernel_shape' is required");
    DS_TRY(std::vector<int64_t> k, c.ints_attr("kernel_shape", r, 1, 1));
    return k;
  }
  std::vector<int64_t> k(from_weights->begin() + 2, from_weights->end());
  if (a && (a->kind != AttrKind::Ints || a->ints != k)) {
    return c.invalid("attribute 'kernel_shape' disagrees with the weights " +
                     expected_got(ints_to_string(k), a->kind == AttrKind::Ints ? ints_to_string(a->ints) : "non-list"));
  }
  return k;
}

// Output spatial sizes of a forward window (Conv, pools). ceil_mode follows ONNX Runtime and
// PyTorch: a last window that would start inside the end padding is dropped.
Result<Shape> forward_out(const ShapeCtx& c, const Shape& in, const Window& w, bool ceil_mode) {
  Shape out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    i128 dk = static_cast<i128>(w.k[i] - 1) * w.d[i] + 1;
    i128 o;
    if (same_pad(w)) {
      o = (static_cast<i128>(in[i]) + w.s[i] - 1) / w.s[i];
    } else {
      i128 span = static_cast<i128>(in[i]) + w.pb[i] + w.pe[i] - dk;
      if (span < 0) {
        return c.invalid("kernel is larger than the padded input at spatial dim " + std::to_string(i) + " " +
                         expected_got("dilated kernel <= " + std::to_string(static_cast<int64_t>(in[i] + w.pb[i] + w.pe[i])),
                                      std::to_string(static_cast<int64_t>(dk))));
      }
      o = (ceil_mode ? (span + w.s[i] - 1) / w.s[i] : span / w.s[i]) + 1;
      if (ceil_mode && (o - 1) * w.s[i] >= static_cast<i128>(in[i]) + w.pb[i]) --o;
    }
    if (o < 1 || o > kMaxDim) return c.invalid("empty or oversized output at spatial dim " + std::to_string(i));
    out[i] = static_cast<int64_t>(o);
  }
  return out;
}

Result<const Value*> spatial_input(const ShapeCtx& c) {
  DS_TRY(const Value* x, c.in(0));
  if (x->shape.size() < 3) {
    return c.invalid("input '" + x->name + "' needs rank >= 3 (N, C, spatial...) " +
                     expected_got(">= 3", std::to_string(x->shape.size())));
  }
  return x;
}

Result<int64_t> read_group(const ShapeCtx& c) {
  int64_t group = c.n.attrs.get_int("group", 1);
  if (group < 1 || group > kMaxDim) return c.invalid("group must be positive " + expected_got(">= 1", std::to_string(group)));
  return group;
}

Status check_bias(const ShapeCtx& c, int64_t channels) {
  if (!c.has(2)) return Status::ok_status();
  DS_TRY(const Value* b, c.in(2));
  if (b->shape != Shape{channels}) {
    return c.invalid("bias '" + b->name + "' has the wrong shape " +
                     expected_got(shape_to_string({channels}), shape_to_string(b->shape)));
  }
  return Status::ok_status();
}

Status pool(ShapeCtx& c, bool max_pool) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, max_pool ? 2 : 1));
  DS_TRY(const Value* x, spatial_input(c));
  size_t r = x->shape.size() - 2;
  DS_TRY(std::vector<int64_t> k, kernel_shape(c, r, nullptr));
  DS_TRY(Window w, read_window(c, r, k, true));
  int64_t ceil_mode = c.n.attrs.get_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) return c.invalid("ceil_mode must be 0 or 1 " + expected_got("0 or 1", std::to_string(ceil_mode)));
  DS_TRY(Shape sp, forward_out(c, Shape(x->shape.begin() + 2, x->shape.end()), w, ceil_mode == 1));
  Shape out{x->shape[0], x->shape[1]};
  out.insert(out.end(), sp.begin(), sp.end());
  DS_RETURN_IF_ERROR(c.set(0, x->dtype, out));
  return c.set(1, DType::I64, out);
}

Status global_pool(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, spatial_input(c));
  Shape out = x->shape;
  std::fill(out.begin() + 2, out.end(), 1);
  return c.set(0, x->dtype, out);
}

}  // namespace

Status infer_Conv(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, has_fused_residual(c) ? 4 : 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, spatial_input(c));
  DS_TRY(const Value* wv, c.in(1));
  const Shape& xs = x->shape;
  const Shape& ws = wv->shape;
  if (ws.size() != xs.size()) {
    return c.invalid("weights '" + wv->name + "' must have the input's rank " +
                     expected_got(std::to_string(xs.size()), std::to_string(ws.size())));
  }
  DS_TRY(int64_t group, read_group(c));
  if (static_cast<i128>(ws[1]) * group != xs[1]) {
    return c.invalid("input channel mismatch with weights '" + wv->name + "' and group " + std::to_string(group) + " " +
                     expected_got(std::to_string(static_cast<int64_t>(static_cast<i128>(ws[1]) * group)) + " input channels",
                                  std::to_string(xs[1])));
  }
  if (ws[0] % group != 0) {
    return c.invalid("output channels must divide into groups " +
                     expected_got("a multiple of " + std::to_string(group), std::to_string(ws[0])));
  }
  DS_RETURN_IF_ERROR(check_bias(c, ws[0]));
  size_t r = xs.size() - 2;
  DS_TRY(std::vector<int64_t> k, kernel_shape(c, r, &ws));
  DS_TRY(Window w, read_window(c, r, k, true));
  DS_TRY(Shape sp, forward_out(c, Shape(xs.begin() + 2, xs.end()), w, false));
  Shape out{xs[0], ws[0]};
  out.insert(out.end(), sp.begin(), sp.end());
  if (x->dtype != wv->dtype) {
    return c.invalid("input and weights have different dtypes " + expected_got(dtype_name(x->dtype), dtype_name(wv->dtype)));
  }
  DS_RETURN_IF_ERROR(check_fused_epilogue(c, x->dtype, out, true));
  return c.set(0, x->dtype, out);
}

Status infer_ConvTranspose(ShapeCtx& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, has_fused_residual(c) ? 4 : 3));
  DS_RETURN_IF_ERROR(c.require_outputs(1, 1));
  DS_TRY(const Value* x, spatial_input(c));
  DS_TRY(const Value* wv, c.in(1));
  const Shape& xs = x->shape;
  const Shape& ws = wv->shape;
  if (ws.size() != xs.size()) {
    return c.invalid("weights '" + wv->name + "' must have the input's rank " +
                     expected_got(std::to_string(xs.size()), std::to_string(ws.size())));
  }
  DS_TRY(int64_t group, read_group(c));
  if (ws[0] != xs[1]) {
    return c.invalid("input channel mismatch with weights '" + wv->name + "' " +
                     expected_got(std::to_string(ws[0]) + " input channels", std::to_string(xs[1])));
  }
  if (xs[1] % group != 0) {
    return c.invalid("input channels must divide into groups " +
                     expected_got("a multiple of " + std::to_string(group), std::to_string(xs[1])));
  }
  i128 out_c = static_cast<i128>(ws[1]) * group;
  if (out_c > kMaxDim) return c.invalid("too many output channels");
  DS_RETURN_IF_ERROR(check_bias(c, static_cast<int64_t>(out_c)));
  size_t r = xs.size() - 2;
  DS_TRY(std::vector<int64_t> k, kernel_shape(c, r, &ws));
  DS_TRY(Window w, read_window(c, r, k, true));
  DS_TRY(std::vector<int64_t> out_pad, c.ints_attr("output_padding", r, 0, 0));
  std::vector<int64_t> out_shape = c.n.attrs.get_ints("output_shape");
  if (!out_shape.empty() && out_shape.size() == r + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
  if (!out_shape.empty() && out_shape.size() != r) {
    return c.invalid("attribute 'output_shape' needs one value per spatial dim " +
                     expected_got(std::to_string(r), std::to_string(out_shape.size())));
  }
  Shape out{xs[0], static_cast<int64_t>(out_c)};
  for (size_t i = 0; i < r; ++i) {
    if (out_pad[i] >= std::max(w.s[i], w.d[i])) {
      return c.invalid("output_padding must be smaller than stride or dilation " +
                       expected_got("< " + std::to_string(std::max(w.s[i], w.d[i])), std::to_string(out_pad[i])));
    }
    i128 full = static_cast<i128>(w.s[i]) * (xs[i + 2] - 1) + out_pad[i] + static_cast<i128>(w.k[i] - 1) * w.d[i] + 1;
    i128 o;
    if (!out_shape.empty()) {
      o = out_shape[i];
      if (o < 1 || o > full) {
        return c.invalid("output_shape out of range at spatial dim " + std::to_string(i) + " " +
                         expected_got("1.." + std::to_string(static_cast<int64_t>(full)), std::to_string(out_shape[i])));
      }
    } else if (same_pad(w)) {
      o = static_cast<i128>(xs[i + 2]) * w.s[i];
    } else {
      o = full - w.pb[i] - w.pe[i];
    }
    if (o < 1 || o > kMaxDim) return c.invalid("empty or oversized output at spatial dim " + std::to_string(i));
    out.push_back(static_cast<int64_t>(o));
  }
  DS_RETURN_IF_ERROR(check_fused_epilogue(c, x->dtype, out, true));
  return c.set(0, x->dtype, out);
}

Status infer_MaxPool(ShapeCtx& c) { return pool(c, true); }
Status infer_AveragePool(ShapeCtx& c) { return pool(c, false); }
Status infer_GlobalAveragePool(ShapeCtx& c) { return global_pool(c); }
Status infer_GlobalMaxPool(ShapeCtx& c) { return global_pool(c); }

}  // namespace deepshark::shape_rules
