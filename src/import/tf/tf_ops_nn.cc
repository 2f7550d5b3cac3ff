// Convolution, pooling, bias, batch norm and the dilated-convolution rewrite
// (SpaceToBatchND -> Conv -> BatchToSpaceND becomes one Conv with dilations).
#include "import/tf/tf_ops.h"

namespace deepshark::tf_import {

namespace {

// Largest kernel/stride/dilation/block value accepted (hostile files).
constexpr int64_t kMaxWindow = int64_t{1} << 20;

// The (h, w) entries of a 4-value list attribute (strides, ksize, dilations) in data_format
// order; the N and C entries must be 1.
Result<std::vector<int64_t>> spatial_pair(const Converter& c, const std::string& name, bool nhwc) {
  DS_TRY(std::vector<int64_t> v, c.attr_ints(name, {1, 1, 1, 1}));
  if (v.size() != 4) return c.invalid("attribute '" + name + "' must have 4 values " + expected_got("4", std::to_string(v.size())));
  const size_t h = nhwc ? 1 : 2, w = nhwc ? 2 : 3, ch = nhwc ? 3 : 1;
  if (v[0] != 1 || v[ch] != 1) {
    return c.unsupported("attribute '" + name + "' on the batch or channel dimension is not supported " +
                         expected_got("1", std::to_string(v[0] != 1 ? v[0] : v[ch])));
  }
  for (size_t i : {h, w}) {
    if (v[i] < 1 || v[i] > kMaxWindow) {
      return c.invalid("attribute '" + name + "' out of range " + expected_got("1.." + std::to_string(kMaxWindow), std::to_string(v[i])));
    }
  }
  return std::vector<int64_t>{v[h], v[w]};
}

// Sets auto_pad / pads from TF's padding attribute.
Status set_padding(const Converter& c, Attributes& a, bool nhwc) {
  DS_TRY(std::string p, c.attr_string("padding", ""));
  if (p == "SAME") {
    a.set_string("auto_pad", "SAME_UPPER");  // TF puts the odd pixel at the end
  } else if (p == "VALID") {
    a.set_ints("pads", {0, 0, 0, 0});
  } else if (p == "EXPLICIT") {
    DS_TRY(std::vector<int64_t> e, c.attr_ints("explicit_paddings", {}));
    if (e.size() != 8) return c.invalid("explicit_paddings must have 8 values " + expected_got("8", std::to_string(e.size())));
    const size_t h = nhwc ? 2 : 4, w = nhwc ? 4 : 6;
    for (int64_t v : e) {
      if (v < 0 || v > kMaxWindow) return c.invalid("explicit padding out of range " + expected_got("0.." + std::to_string(kMaxWindow), std::to_string(v)));
    }
    a.set_ints("pads", {e[h], e[w], e[h + 1], e[w + 1]});
  } else {
    return c.unsupported("unsupported padding " + expected_got("SAME, VALID or EXPLICIT", p));
  }
  return Status::ok_status();
}

Result<Tensor> filter(const Converter& c) {
  DS_TRY(Tensor w, c.constant(1));
  if (w.shape().size() != 4) return c.invalid("the filter must be 4-D " + expected_got("rank 4", shape_to_string(w.shape())));
  if (w.dtype() != DType::F32) return c.unsupported("the filter must be float " + expected_got("F32", dtype_name(w.dtype())));
  for (int64_t d : w.shape()) {
    if (d < 1) return c.invalid("the filter has an empty dimension " + shape_to_string(w.shape()));
  }
  return w;
}

Status convert_conv(Converter& c, bool depthwise) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_TRY(bool nhwc, c.nhwc_format());
  DS_TRY(TfValue x, c.input(0, /*allow_pending=*/true));
  const bool s2b = x.pending == Pending::SpaceToBatch;
  TfValue src = x;
  src.pending = Pending::None;
  DS_TRY(Tensor w, filter(c));
  const Shape& ws = w.shape();
  Attributes a;
  DS_TRY(std::vector<int64_t> strides, spatial_pair(c, "strides", nhwc));
  DS_TRY(std::vector<int64_t> dilations, spatial_pair(c, "dilations", nhwc));
  a.set_ints("kernel_shape", {ws[0], ws[1]});
  a.set_ints("strides", strides);
  Tensor oihw;
  if (depthwise) {
    // H,W,C,M -> C,M,H,W -> (C*M),1,H,W: output channel c*M + m, as TensorFlow orders them.
    oihw = permute_tensor(w, {2, 3, 0, 1}).reshaped({ws[2] * ws[3], 1, ws[0], ws[1]});
    a.set_int("group", ws[2]);
  } else {
    oihw = permute_tensor(w, {3, 2, 0, 1});
    a.set_int("group", 1);
  }
  if (s2b) {
    if (!nhwc) return c.unsupported("SpaceToBatchND before an NCHW convolution is not supported");
    DS_TRY(std::string p, c.attr_string("padding", ""));
    if (p != "VALID" || strides != std::vector<int64_t>{1, 1} || dilations != std::vector<int64_t>{1, 1}) {
      return c.unsupported("a convolution on SpaceToBatchND must have VALID padding, stride 1 and dilation 1");
    }
    a.set_ints("dilations", x.block);
    a.set_ints("pads", {x.pads[0], x.pads[2], x.pads[1], x.pads[3]});
  } else {
    a.set_ints("dilations", dilations);
    DS_RETURN_IF_ERROR(set_padding(c, a, nhwc));
  }
  ValueId in;
  if (nhwc) {
    DS_TRY(in, c.to_nchw(src));
  } else {
    in = c.to_native(src);
  }
  ValueId wid = c.add_constant(depthwise ? "filter_oihw_dw" : "filter_oihw", std::move(oihw));
  ValueId y = c.emit(OpType::Conv, {in, wid}, std::move(a));
  TfValue out;
  out.id = y;
  out.layout = nhwc ? Layout::Nchw : Layout::Native;
  if (s2b) {
    out.pending = Pending::DilatedConv;
    out.block = x.block;
    out.conv_node = c.last_node();
  }
  return c.set_output(std::move(out));
}

Status convert_pool(Converter& c, OpType op) {
  DS_RETURN_IF_ERROR(c.require_inputs(1, 1));
  DS_TRY(bool nhwc, c.nhwc_format());
  Attributes a;
  DS_TRY(std::vector<int64_t> k, spatial_pair(c, "ksize", nhwc));
  DS_TRY(std::vector<int64_t> s, spatial_pair(c, "strides", nhwc));
  a.set_ints("kernel_shape", k);
  a.set_ints("strides", s);
  DS_RETURN_IF_ERROR(set_padding(c, a, nhwc));
  // TF's SAME average pooling divides by the pixels inside the image.
  if (op == OpType::AveragePool) a.set_int("count_include_pad", 0);
  ValueId x;
  if (nhwc) {
    DS_TRY(x, c.nchw(0));
  } else {
    DS_TRY(x, c.native(0));
  }
  return c.set_output(c.emit(op, {x}, std::move(a)), nhwc ? Layout::Nchw : Layout::Native);
}

// A per-channel vector [C] as [C,1,1] for an NCHW value.
Result<ValueId> channel_vector(Converter& c, size_t i) {
  DS_TRY(TfValue b, c.input(i));
  const Value& v = c.g.value(b.id);
  if (v.is_constant()) {
    if (v.constant->shape().size() != 1) {
      return c.invalid("the bias must be 1-D " + expected_got("rank 1", shape_to_string(v.constant->shape())));
    }
    const int64_t n = v.constant->shape()[0];
    return c.add_constant("bias_c11", v.constant->reshaped({n, 1, 1}));
  }
  Attributes a;
  a.set_ints("axes", {1, 2});
  return c.emit(OpType::Unsqueeze, {c.to_native(b)}, std::move(a), "bias_c11");
}

}  // namespace

Status convert_conv2d(Converter& c) { return convert_conv(c, false); }
Status convert_depthwise(Converter& c) { return convert_conv(c, true); }
Status convert_max_pool(Converter& c) { return convert_pool(c, OpType::MaxPool); }
Status convert_avg_pool(Converter& c) { return convert_pool(c, OpType::AveragePool); }

Status convert_bias_add(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(2, 2));
  DS_TRY(bool nhwc, c.nhwc_format());
  DS_TRY(TfValue x, c.input(0));
  if (nhwc && x.layout == Layout::Native) {
    DS_TRY(ValueId b, c.native(1));
    return c.set_output(c.emit(OpType::Add, {x.id, b}), Layout::Native);
  }
  // NCHW data: the bias runs along dim 1.
  DS_TRY(ValueId b, channel_vector(c, 1));
  ValueId xin = nhwc ? x.id : c.to_native(x);
  return c.set_output(c.emit(OpType::Add, {xin, b}), nhwc ? Layout::Nchw : Layout::Native);
}

Status convert_fused_bn(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(5, 5));
  DS_TRY(bool training, c.attr_bool("is_training", true));
  if (training) return c.unsupported("is_training must be false in an inference graph");
  DS_TRY(bool nhwc, c.nhwc_format());
  DS_TRY(float eps, c.attr_float("epsilon", 1e-4f));
  std::vector<ValueId> ins;
  if (nhwc) {
    DS_TRY(ValueId x, c.nchw(0));
    ins.push_back(x);
  } else {
    DS_TRY(ValueId x, c.native(0));
    ins.push_back(x);
  }
  for (size_t i = 1; i < 5; ++i) {
    DS_TRY(ValueId v, c.native(i));
    ins.push_back(v);
  }
  Attributes a;
  a.set_float("epsilon", eps);
  return c.set_output(c.emit(OpType::BatchNormalization, std::move(ins), std::move(a)), nhwc ? Layout::Nchw : Layout::Native);
}

Status convert_space_to_batch(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(3, 3));
  DS_TRY(TfValue x, c.input(0));
  DS_TRY(std::vector<int64_t> block, c.const_ints(1));
  DS_TRY(std::vector<int64_t> pads, c.const_ints(2));
  if (block.size() != 2 || pads.size() != 4) {
    return c.unsupported("only 2-D SpaceToBatchND is supported " +
                         expected_got("block_shape [2] and paddings [2,2]", std::to_string(block.size()) + " block values and " +
                                                                               std::to_string(pads.size()) + " paddings"));
  }
  for (int64_t b : block) {
    if (b < 1 || b > kMaxWindow) return c.invalid("block_shape out of range " + expected_got("1.." + std::to_string(kMaxWindow), std::to_string(b)));
  }
  for (int64_t p : pads) {
    if (p < 0 || p > kMaxWindow) return c.invalid("paddings out of range " + expected_got("0.." + std::to_string(kMaxWindow), std::to_string(p)));
  }
  x.pending = Pending::SpaceToBatch;
  x.block = block;
  x.pads = pads;  // top, bottom, left, right
  return c.set_output(std::move(x));
}

Status convert_batch_to_space(Converter& c) {
  DS_RETURN_IF_ERROR(c.require_inputs(3, 3));
  DS_TRY(TfValue y, c.input(0, /*allow_pending=*/true));
  if (y.pending != Pending::DilatedConv) {
    return c.unsupported("BatchToSpaceND is supported only after a convolution on SpaceToBatchND (dilated convolution)");
  }
  DS_TRY(std::vector<int64_t> block, c.const_ints(1));
  DS_TRY(std::vector<int64_t> crops, c.const_ints(2));
  if (block != y.block) {
    return c.unsupported("block_shape differs from the SpaceToBatchND's " + expected_got(shape_to_string(y.block), shape_to_string(block)));
  }
  if (crops.size() != 4) return c.invalid("crops must be [2,2] " + expected_got("4 values", std::to_string(crops.size())));
  // Cropping the dilated output = padding the input less (pads: top, left, bottom, right).
  Attributes& a = c.g.nodes[y.conv_node].attrs;
  std::vector<int64_t> p = a.get_ints("pads");
  const std::vector<int64_t> sub = {crops[0], crops[2], crops[1], crops[3]};
  for (size_t i = 0; i < 4; ++i) {
    if (sub[i] < 0 || sub[i] > p[i]) {
      return c.unsupported("crops larger than the SpaceToBatchND paddings are not supported " +
                           expected_got("<= " + std::to_string(p[i]), std::to_string(sub[i])));
    }
    p[i] -= sub[i];
  }
  a.set_ints("pads", p);
  TfValue taken = y;
  taken.pending = Pending::Rewritten;
  c.define(c.input_name(0), taken);
  y.pending = Pending::None;
  y.block.clear();
  return c.set_output(std::move(y));
}

}  // namespace deepshark::tf_import
