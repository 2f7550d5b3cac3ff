// ReLU, PReLU, Sigmoid, TanH, Power, Softmax, BatchNorm (+ a following Scale), Scale, Dropout.
#include <cmath>

#include "import/caffe/caffe_layers.h"

namespace deepshark::caffe_import {

namespace {

Result<std::vector<ValueId>> one(Result<ValueId> y) {
  if (!y.ok()) return y.status();
  return std::vector<ValueId>{*y};
}

Attributes float_attr(const char* name, float v) {
  Attributes a;
  a.set_float(name, v);
  return a;
}

Result<std::vector<ValueId>> simple(Builder& b, const Layer& l, OpType op) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  return one(b.add(op, l, "", {l.bottoms[0]}));
}

// Shape of a per-channel (or per-axis-range) parameter so that it broadcasts against an input of
// `rank` dims starting at `axis`: param dims followed by ones.
Shape broadcast_param_shape(const Shape& param, int64_t axis, size_t rank) {
  Shape s = param;
  while (static_cast<int64_t>(s.size()) + axis < static_cast<int64_t>(rank)) s.push_back(1);
  return s;
}

}  // namespace

Result<std::vector<ValueId>> convert_ReLU(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  const float slope = l.param->relu_param().negative_slope();
  if (slope != 0.f) return one(b.add(OpType::LeakyRelu, l, "", {l.bottoms[0]}, float_attr("alpha", slope)));
  return one(b.add(OpType::Relu, l, "", {l.bottoms[0]}));
}

Result<std::vector<ValueId>> convert_PReLU(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 1));
  const ValueId x = l.bottoms[0];
  DS_TRY(Shape xs, b.shape_of(l, x));
  Shape slope_shape;
  if (l.param->prelu_param().channel_shared()) {
    slope_shape = {1};
  } else {
    if (xs.size() < 2) return Builder::invalid(l, "input needs a channel axis " + expected_got("rank >= 2", shape_to_string(xs)));
    // [C, 1, 1]: broadcasts unidirectionally against NCHW.
    slope_shape = broadcast_param_shape({xs[1]}, 1, xs.size());
  }
  DS_TRY(Tensor slope, b.blob(l, 0, slope_shape, "slope"));
  return one(b.add(OpType::PRelu, l, "", {x, b.constant(l.name + "/slope", slope)}));
}

Result<std::vector<ValueId>> convert_Sigmoid(Builder& b, const Layer& l) { return simple(b, l, OpType::Sigmoid); }
Result<std::vector<ValueId>> convert_TanH(Builder& b, const Layer& l) { return simple(b, l, OpType::Tanh); }

Result<std::vector<ValueId>> convert_Dropout(Builder& b, const Layer& l) {
  // Inference: Caffe's dropout scales at training time, so the test-time layer is the identity.
  return simple(b, l, OpType::Identity);
}

Result<std::vector<ValueId>> convert_Power(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  const caffe::PowerParameter& p = l.param->power_param();
  // y = (shift + scale * x) ^ power, one node per non-trivial step.
  ValueId y = l.bottoms[0];
  const bool do_scale = p.scale() != 1.f, do_shift = p.shift() != 0.f, do_pow = p.power() != 1.f;
  if (!do_scale && !do_shift && !do_pow) return one(b.add(OpType::Identity, l, "", {y}));
  if (do_scale) {
    DS_TRY(y, b.add(OpType::Mul, l, do_shift || do_pow ? "scale" : "", {y, b.scalar(l.name + "/scale", p.scale())}));
  }
  if (do_shift) {
    DS_TRY(y, b.add(OpType::Add, l, do_pow ? "shift" : "", {y, b.scalar(l.name + "/shift", p.shift())}));
  }
  if (do_pow) { DS_TRY(y, b.add(OpType::Pow, l, "", {y, b.scalar(l.name + "/power", p.power())})); }
  return std::vector<ValueId>{y};
}

Result<std::vector<ValueId>> convert_Softmax(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  Attributes a;
  a.set_int("axis", l.param->softmax_param().axis());
  return one(b.add(OpType::Softmax, l, "", {l.bottoms[0]}, a));
}

Result<std::vector<ValueId>> convert_BatchNorm(Builder& b, const Layer& l) {
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 2, 3));
  const caffe::BatchNormParameter& p = l.param->batch_norm_param();
  // Inference always uses the stored statistics (as OpenCV does; use_global_stats: false in a
  // deploy file is a leftover from training).
  const int64_t c = l.blobs[0].numel();
  if (c < 1) return Builder::invalid(l, "mean blob is empty " + expected_got(">= 1 channels", "0"));
  DS_TRY(Tensor mean, b.blob(l, 0, {c}, "mean"));
  DS_TRY(Tensor var, b.blob(l, 1, {c}, "variance"));
  // blob[2] is Caffe's moving-average normaliser: the stored sums divided by it are the statistics
  // (0 means "no statistics yet": Caffe then uses 0).
  float factor = 1.f;
  if (l.blobs.size() == 3) {
    DS_TRY(Tensor f, b.blob(l, 2, {1}, "scale factor"));
    const float s = f.data<float>()[0];
    factor = s == 0.f ? 0.f : 1.f / s;
  }
  DS_TRY(Tensor m, Tensor::create(DType::F32, {c}));
  DS_TRY(Tensor v, Tensor::create(DType::F32, {c}));
  for (int64_t i = 0; i < c; ++i) {
    m.data<float>()[i] = mean.data<float>()[i] * factor;
    v.data<float>()[i] = var.data<float>()[i] * factor;
  }
  DS_TRY(Tensor gamma, Tensor::create(DType::F32, {c}));
  DS_TRY(Tensor beta, Tensor::create(DType::F32, {c}));
  std::fill(gamma.data<float>(), gamma.data<float>() + c, 1.f);
  if (l.fused_scale != nullptr) {
    // The following Scale layer (axis 1, one axis) supplies gamma and beta.
    Layer s = l;
    s.name = l.fused_scale->name();
    s.blobs = l.fused_blobs;
    const bool bias = l.fused_scale->scale_param().bias_term();
    if (s.blobs.size() != (bias ? 2u : 1u)) {
      return Builder::invalid(s, "wrong number of blobs " + expected_got(bias ? "2" : "1", std::to_string(s.blobs.size())));
    }
    DS_TRY(gamma, b.blob(s, 0, {c}, "scale"));
    if (bias) { DS_TRY(beta, b.blob(s, 1, {c}, "bias")); }
  }
  if (!std::isfinite(p.eps()) || p.eps() < 0.f) {
    return Builder::invalid(l, "eps must be a non-negative number " + expected_got(">= 0", std::to_string(p.eps())));
  }
  Attributes a;
  a.set_float("epsilon", p.eps());
  std::vector<ValueId> ins = {l.bottoms[0], b.constant(l.name + "/scale", gamma), b.constant(l.name + "/bias", beta),
                              b.constant(l.name + "/mean", m), b.constant(l.name + "/var", v)};
  return one(b.add(OpType::BatchNormalization, l, "", ins, a));
}

Result<std::vector<ValueId>> convert_Scale(Builder& b, const Layer& l) {
  const caffe::ScaleParameter& p = l.param->scale_param();
  if (l.bottoms.size() != 1 && l.bottoms.size() != 2) {
    return Builder::invalid(l, "wrong number of bottoms " + expected_got("1 or 2", std::to_string(l.bottoms.size())));
  }
  const bool learned = l.bottoms.size() == 1;
  DS_RETURN_IF_ERROR(b.expect_io(l, l.bottoms.size(), 1, (learned ? 1 : 0) + (p.bias_term() ? 1 : 0)));
  const ValueId x = l.bottoms[0];
  DS_TRY(Shape xs, b.shape_of(l, x));
  DS_TRY(int64_t axis, b.axis(l, p.axis(), xs.size(), "axis"));
  Shape param;
  ValueId scale = kNoValue;
  if (learned) {
    int64_t n = p.num_axes();
    if (n == -1) n = static_cast<int64_t>(xs.size()) - axis;
    if (n < 0 || axis + n > static_cast<int64_t>(xs.size())) {
      return Builder::invalid(l, "num_axes out of range " + expected_got("-1.." + std::to_string(xs.size() - axis), std::to_string(p.num_axes())));
    }
    param.assign(xs.begin() + axis, xs.begin() + axis + n);
    DS_TRY(Tensor t, b.blob(l, 0, broadcast_param_shape(param, axis, xs.size()), "scale"));
    scale = b.constant(l.name + "/scale", t);
  } else {
    DS_TRY(Shape ss, b.shape_of(l, l.bottoms[1]));
    if (axis + static_cast<int64_t>(ss.size()) > static_cast<int64_t>(xs.size()) ||
        !std::equal(ss.begin(), ss.end(), xs.begin() + axis)) {
      return Builder::invalid(l, "the scale bottom's shape must match the input from axis " + std::to_string(axis) + " " +
                                     expected_got("a prefix of " + shape_to_string(Shape(xs.begin() + axis, xs.end())), shape_to_string(ss)));
    }
    param = ss;
    DS_TRY(scale, b.add(OpType::Reshape, l, "reshape", {l.bottoms[1], b.ints(l.name + "/shape", broadcast_param_shape(ss, axis, xs.size()))}));
  }
  if (!p.bias_term()) return one(b.add(OpType::Mul, l, "", {x, scale}));
  DS_TRY(ValueId y, b.add(OpType::Mul, l, "mul", {x, scale}));
  DS_TRY(Tensor bias, b.blob(l, learned ? 1 : 0, broadcast_param_shape(param, axis, xs.size()), "bias"));
  return one(b.add(OpType::Add, l, "", {y, b.constant(l.name + "/bias", bias)}));
}

}  // namespace deepshark::caffe_import
