// Sources (Placeholder, Const), aliases, data movement (Reshape, Squeeze, ExpandDims, ConcatV2,
// Pad) and shape arithmetic (Shape, StridedSlice, Pack, Cast: ONNX-style ops that prepare_graph
// folds), and Dequantize of constants folded here.
#include <cmath>
#include <limits>

#include "import/tf/tf_ops.h"
#include "import/tf/tf_tensor.h"

namespace deepshark::tf_import {

namespace {

constexpr size_t kMaxRank = 16;
constexpr int64_t kMaxPad = int64_t{1} << 20;

Result<int> attr_type(const Converter& c, const std::string& name, int def) {
  const tf::AttrValue* a = c.attr(name);
  if (!a) return def;
  if (a->value_case() != tf::AttrValue::kType) return c.invalid("attribute '" + name + "' must be a data type");
  return static_cast<int>(a->type());
}

Result<DType> graph_dtype(const Converter& c, int tf_type, const std::string& what) {
  std::optional<DType> d = dtype_from_tf(tf_type);
  if (!d || tf_type == tf::DT_QUINT8) {
    return c.unsupported("unsupported data type '" + tf_dtype_name(tf_type) + "' for " + what);
  }
  return *d;
}

// A scalar or 1-element constant as int64.
Result<int64_t> const_scalar_int(const Converter& c, size_t i, const std::string& what) {
  DS_TRY(std::vector<int64_t> v, c.const_ints(i));
  if (v.size() != 1) return c.invalid(what + " must be a single value " + expected_got("1 value", std::to_string(v.size())));
  return v[0];
}

Result<float> const_scalar_float(const Converter& c, size_t i, const std::string& what) {
  DS_TRY(Tensor t, c.constant(i));
  if (t.numel() != 1 || t.dtype() != DType::F32) {
    return c.invalid(what + " must be one float " + expected_got("1 F32 value", std::to_string(t.numel()) + " " + dtype_name(t.dtype())));
  }
  return t.data<float>()[0];
}

}  // namespace

Status convert_placeholder(Converter& c) {
  DS_TRY(int dt, attr_type(c, "dtype", tf::DT_FLOAT));
  DS_TRY(DType dtype, graph_dtype(c, dt, "a graph input"));
  Shape shape;
  bool known = false;
  const tf::AttrValue* sa = c.attr("shape");
  if (sa && sa->value_case() != tf::AttrValue::kShape) return c.invalid("attribute 'shape' must be a shape");
  // No shape, unknown rank or no dims: the caller's shape is used, whatever its rank.
  if (sa && !sa->shape().unknown_rank() && sa->shape().dim_size() > 0) {
    if (static_cast<size_t>(sa->shape().dim_size()) > kMaxRank) {
      return c.invalid("input rank too large " + expected_got("<= " + std::to_string(kMaxRank), std::to_string(sa->shape().dim_size())));
    }
    known = true;
    Shape positive;
    for (const auto& d : sa->shape().dim()) {
      if (d.size() < -1) return c.invalid("negative dimension " + std::to_string(d.size()) + " in the input shape");
      shape.push_back(d.size());
      if (d.size() < 0) known = false;
      else positive.push_back(d.size());
    }
    if (!checked_numel(positive)) return c.invalid("element count of shape " + shape_to_string(shape) + " overflows");
  }
  ValueId id = c.own_value(dtype, std::move(shape), known);
  c.g.inputs.push_back(id);
  return c.set_output(id);
}

Status convert_const(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(0, 0));
  const tf::AttrValue* v = c.attr("value");
  if (!v || v->value_case() != tf::AttrValue::kTensor) return c.invalid("a Const node needs a tensor attribute 'value'");
  DS_TRY(Tensor t, decode_tensor(v->tensor(), "node", c.node->name(), c.splat_budget));
  return c.set_output(c.own_constant(std::move(t)));
}

Status convert_identity(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_TRY(TfValue x, c.input(0, /*allow_pending=*/true));
  return c.set_output(std::move(x));
}

Status convert_noop(Converter& c) { return Status::ok_status(); }

Status convert_reshape(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_TRY(ValueId x, c.native(0));
  DS_TRY(TfValue s, c.input(1));
  ValueId shape = s.id;
  if (c.g.value(s.id).is_constant()) {
    DS_TRY(std::vector<int64_t> v, c.const_ints(1));
    shape = c.i64_constant("shape", v);
  }
  Attributes a;
  a.set_int("allowzero", 1);  // TF's 0 is a zero-sized dim, never "copy"
  return c.set_output(c.emit(OpType::Reshape, {x, shape}, std::move(a)));
}

Status convert_squeeze(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_TRY(TfValue x, c.input(0));
  DS_TRY(std::vector<int64_t> dims, c.attr_ints("squeeze_dims", {}));
  Attributes a;
  if (x.layout == Layout::Nchw && !dims.empty()) {
    DS_TRY(std::vector<int64_t> ax, normalize_axes(c, dims, 4, "squeeze dim"));
    if (nchw_keeps_order(ax)) {
      std::vector<int64_t> mapped;
      for (int64_t v : ax) mapped.push_back(nhwc_to_nchw_axis(v));
      std::sort(mapped.begin(), mapped.end());
      a.set_ints("axes", mapped);
      return c.set_output(c.emit(OpType::Squeeze, {x.id}, std::move(a)));
    }
  }
  if (!dims.empty()) a.set_ints("axes", dims);
  return c.set_output(c.emit(OpType::Squeeze, {c.to_native(x)}, std::move(a)));
}

Status convert_expand_dims(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_TRY(ValueId x, c.native(0));
  DS_TRY(int64_t axis, const_scalar_int(c, 1, "the axis"));
  Attributes a;
  a.set_ints("axes", {axis});
  return c.set_output(c.emit(OpType::Unsqueeze, {x}, std::move(a)));
}

Status convert_concat(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 1 << 16));
  const size_t n = c.input_count() - 1;
  DS_TRY(int64_t declared, c.attr_int("N", static_cast<int64_t>(n)));
  if (declared != static_cast<int64_t>(n)) {
    return c.invalid("attribute N does not match the inputs " + expected_got(std::to_string(n), std::to_string(declared)));
  }
  DS_TRY(int64_t axis, const_scalar_int(c, n, "the axis"));
  std::vector<TfValue> xs;
  bool any_nchw = false, all_4d = true;
  for (size_t i = 0; i < n; ++i) {
    DS_TRY(TfValue v, c.input(i));
    any_nchw |= v.layout == Layout::Nchw;
    const Value& val = c.g.value(v.id);
    if (v.layout != Layout::Nchw && !(val.is_constant() && val.constant->shape().size() == 4)) all_4d = false;
    xs.push_back(std::move(v));
  }
  Attributes a;
  std::vector<ValueId> ins;
  if (any_nchw && all_4d) {
    DS_TRY(std::vector<int64_t> ax, normalize_axes(c, {axis}, 4, "the axis"));
    for (const TfValue& v : xs) {
      DS_TRY(ValueId id, c.to_nchw(v));
      ins.push_back(id);
    }
    a.set_int("axis", nhwc_to_nchw_axis(ax[0]));
    return c.set_output(c.emit(OpType::Concat, std::move(ins), std::move(a)), Layout::Nchw);
  }
  for (const TfValue& v : xs) ins.push_back(c.to_native(v));
  a.set_int("axis", axis);
  return c.set_output(c.emit(OpType::Concat, std::move(ins), std::move(a)));
}

Status convert_pad(Converter& c) {
  const bool v2 = c.node->op() == "PadV2";
  DS_RETURN_IF_ERROR(c.require_inputs(v2 ? 3 : 2, v2 ? 3 : 2));
  DS_TRY(TfValue x, c.input(0));
  DS_TRY(std::vector<int64_t> p, c.const_ints(1));
  if (p.size() % 2 != 0 || p.size() / 2 > kMaxRank) return c.invalid("paddings must be [rank, 2] " + expected_got("an even count", std::to_string(p.size())));
  for (int64_t v : p) {
    if (v < 0 || v > kMaxPad) return c.unsupported("padding out of range " + expected_got("0.." + std::to_string(kMaxPad), std::to_string(v)));
  }
  const size_t r = p.size() / 2;
  const bool keep = x.layout == Layout::Nchw && r == 4;
  std::vector<int64_t> pads(2 * r);
  for (size_t d = 0; d < r; ++d) {
    const size_t src = keep ? static_cast<size_t>(std::vector<int64_t>{0, 3, 1, 2}[d]) : d;  // NCHW dim d = NHWC dim src
    pads[d] = p[2 * src];
    pads[r + d] = p[2 * src + 1];
  }
  std::vector<ValueId> ins = {keep ? x.id : c.to_native(x), c.i64_constant("pads", pads)};
  if (v2) {
    DS_TRY(ValueId cv, c.native(2));
    ins.push_back(cv);
  }
  Attributes a;
  a.set_string("mode", "constant");
  return c.set_output(c.emit(OpType::Pad, std::move(ins), std::move(a)), keep ? Layout::Nchw : Layout::Native);
}

Status convert_shape(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_TRY(int out_type, attr_type(c, "out_type", tf::DT_INT32));
  if (out_type != tf::DT_INT32 && out_type != tf::DT_INT64) {
    return c.unsupported("Shape out_type must be int32 or int64 " + expected_got("DT_INT32 or DT_INT64", tf_dtype_name(out_type)));
  }
  DS_TRY(ValueId x, c.native(0));
  const Value& v = c.g.value(x);
  if (v.is_constant()) {  // fold here
    const Shape& s = v.constant->shape();
    if (out_type == tf::DT_INT64) return c.set_output(c.own_constant(Tensor::from_values<int64_t>({static_cast<int64_t>(s.size())}, s)));
    std::vector<int32_t> s32;
    for (int64_t d : s) {
      if (d > std::numeric_limits<int32_t>::max()) return c.invalid("dimension " + std::to_string(d) + " does not fit int32");
      s32.push_back(static_cast<int32_t>(d));
    }
    return c.set_output(c.own_constant(Tensor::from_values<int32_t>({static_cast<int64_t>(s32.size())}, s32)));
  }
  if (out_type == tf::DT_INT64) return c.set_output(c.emit(OpType::Shape, {x}));
  ValueId s = c.emit(OpType::Shape, {x}, {}, "i64");
  Attributes a;
  a.set_int("to", onnx_dtype_code(DType::I32));
  return c.set_output(c.emit(OpType::Cast, {s}, std::move(a)));
}

Status convert_strided_slice(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(4, 4));
  DS_TRY(ValueId x, c.native(0));
  DS_TRY(std::vector<int64_t> begin, c.const_ints(1));
  DS_TRY(std::vector<int64_t> end, c.const_ints(2));
  DS_TRY(std::vector<int64_t> strides, c.const_ints(3));
  if (begin.size() != end.size() || begin.size() != strides.size() || begin.size() > kMaxRank) {
    return c.invalid("begin, end and strides must have the same length <= 16 " +
                     expected_got(std::to_string(begin.size()), std::to_string(end.size()) + " and " + std::to_string(strides.size())));
  }
  DS_TRY(int64_t begin_mask, c.attr_int("begin_mask", 0));
  DS_TRY(int64_t end_mask, c.attr_int("end_mask", 0));
  DS_TRY(int64_t ellipsis_mask, c.attr_int("ellipsis_mask", 0));
  DS_TRY(int64_t new_axis_mask, c.attr_int("new_axis_mask", 0));
  DS_TRY(int64_t shrink_mask, c.attr_int("shrink_axis_mask", 0));
  if (ellipsis_mask != 0 || new_axis_mask != 0) {
    return c.unsupported("StridedSlice with ellipsis_mask or new_axis_mask is not supported " +
                         expected_got("0 and 0", std::to_string(ellipsis_mask) + " and " + std::to_string(new_axis_mask)));
  }
  constexpr int64_t kBig = std::numeric_limits<int64_t>::max(), kSmall = std::numeric_limits<int64_t>::min();
  std::vector<int64_t> starts, ends, axes, steps, squeeze;
  for (size_t i = 0; i < begin.size(); ++i) {
    const int64_t bit = int64_t{1} << i;
    int64_t s = strides[i], b = begin[i], e = end[i];
    if (s == 0) return c.invalid("stride 0 at dimension " + std::to_string(i));
    if (shrink_mask & bit) {
      s = 1;
      e = b == -1 ? kBig : b + 1;
      squeeze.push_back(static_cast<int64_t>(i));
    } else {
      if (begin_mask & bit) b = s > 0 ? 0 : kBig;
      if (end_mask & bit) e = s > 0 ? kBig : kSmall;
    }
    starts.push_back(b);
    ends.push_back(e);
    axes.push_back(static_cast<int64_t>(i));
    steps.push_back(s);
  }
  ValueId y = c.emit(OpType::Slice,
                     {x, c.i64_constant("starts", starts), c.i64_constant("ends", ends), c.i64_constant("axes", axes),
                      c.i64_constant("steps", steps)},
                     {}, squeeze.empty() ? "" : "slice");
  if (!squeeze.empty()) {
    Attributes a;
    a.set_ints("axes", squeeze);
    y = c.emit(OpType::Squeeze, {y}, std::move(a));
  }
  return c.set_output(y);
}

Status convert_pack(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1 << 16));
  DS_TRY(int64_t axis, c.attr_int("axis", 0));
  std::vector<ValueId> parts;
  for (size_t i = 0; i < c.input_count(); ++i) {
    DS_TRY(ValueId x, c.native(i));
    Attributes a;
    a.set_ints("axes", {axis});
    parts.push_back(c.emit(OpType::Unsqueeze, {x}, std::move(a), "unsqueeze_" + std::to_string(i)));
  }
  Attributes a;
  a.set_int("axis", axis);
  return c.set_output(c.emit(OpType::Concat, std::move(parts), std::move(a)));
}

Status convert_cast(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_TRY(int dst, attr_type(c, "DstT", tf::DT_INVALID));
  DS_TRY(DType to, graph_dtype(c, dst, "Cast"));
  DS_TRY(TfValue x, c.input(0));
  Attributes a;
  a.set_int("to", onnx_dtype_code(to));
  return c.set_output(c.emit(OpType::Cast, {x.id}, std::move(a)), x.layout);
}

Status convert_dequantize(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(3, 3));
  DS_TRY(int t, attr_type(c, "T", tf::DT_QUINT8));
  if (t != tf::DT_QUINT8) return c.unsupported("Dequantize supports quint8 only " + expected_got("DT_QUINT8", tf_dtype_name(t)));
  DS_TRY(std::string mode, c.attr_string("mode", "MIN_COMBINED"));
  if (mode != "MIN_COMBINED" && mode != "MIN_FIRST") {
    return c.unsupported("unsupported Dequantize mode " + expected_got("MIN_COMBINED or MIN_FIRST", mode));
  }
  DS_TRY(int64_t axis, c.attr_int("axis", -1));
  if (axis != -1) return c.unsupported("per-axis Dequantize is not supported " + expected_got("-1", std::to_string(axis)));
  DS_TRY(Tensor q, c.constant(0));
  if (q.dtype() != DType::U8) return c.invalid("the input must be quint8 " + expected_got("U8", dtype_name(q.dtype())));
  DS_TRY(float lo, const_scalar_float(c, 1, "min_range"));
  DS_TRY(float hi, const_scalar_float(c, 2, "max_range"));
  if (!std::isfinite(lo) || !std::isfinite(hi) || hi < lo) {
    return c.invalid("bad quantization range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  DS_TRY(Tensor out, Tensor::create(DType::F32, q.shape()));
  const uint8_t* src = q.data<uint8_t>();
  float* dst = out.data<float>();
  const int64_t n = q.numel();
  if (mode == "MIN_COMBINED") {
    const double scale = (static_cast<double>(hi) - lo) / 255.0;
    for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(lo + src[i] * scale);
  } else {
    // TensorFlow's QuantizedToFloat: range widened by 256/255, min rounded to a step.
    if (hi == lo) {
      for (int64_t i = 0; i < n; ++i) dst[i] = lo;
    } else {
      const double range = (static_cast<double>(hi) - lo) * (256.0 / 255.0);
      const double step = range / 256.0;
      const double lo_rounded = std::round(lo / static_cast<float>(step)) * static_cast<float>(step);
      for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(lo_rounded + src[i] * step);
    }
  }
  return c.set_output(c.own_constant(std::move(out)));
}

}  // namespace deepshark::tf_import
