// Convolution, Deconvolution, Pooling, InnerProduct, LRN.
#include <type_traits>

#include "import/caffe/caffe_layers.h"

namespace deepshark::caffe_import {

namespace {

// Largest kernel / stride / pad / dilation accepted: far beyond any real layer, small enough
// that no shape arithmetic overflows.
constexpr int64_t kMaxWindowValue = int64_t{1} << 20;

struct Window {
  std::vector<int64_t> kernel, stride, pad, dilation;
};

// One spatial parameter in any of Caffe's spellings: `name: v` (all dims), one value per dim, or
// `name_h` / `name_w` for 2-D.
template <typename Rep>
Result<std::vector<int64_t>> spatial(const Layer& l, const char* what, const Rep& values, bool has_h, bool has_w,
                                     int64_t h, int64_t w, size_t rank, int64_t def, bool required) {
  std::vector<int64_t> out;
  if (has_h || has_w) {
    if (rank != 2) return Builder::invalid(l, std::string(what) + "_h / " + what + "_w need 2 spatial dims " + expected_got("2", std::to_string(rank)));
    if (!(has_h && has_w)) return Builder::invalid(l, std::string(what) + "_h and " + what + "_w must be given together");
    if (values.size() > 0) return Builder::invalid(l, std::string("both ") + what + " and " + what + "_h / " + what + "_w are given");
    out = {h, w};
  } else if (values.size() == 0) {
    if (required) return Builder::invalid(l, std::string(what) + " is required");
    out.assign(rank, def);
  } else if (values.size() == 1) {
    out.assign(rank, static_cast<int64_t>(values.Get(0)));
  } else if (static_cast<size_t>(values.size()) == rank) {
    out.assign(values.begin(), values.end());
  } else {
    return Builder::invalid(l, std::string(what) + " needs 1 value or one per spatial dim " +
                                   expected_got("1 or " + std::to_string(rank), std::to_string(values.size())));
  }
  for (int64_t v : out) {
    if (v > kMaxWindowValue) return Builder::invalid(l, std::string(what) + " is absurdly large " + expected_got("<= " + std::to_string(kMaxWindowValue), std::to_string(v)));
  }
  return out;
}

template <typename P>
Result<Window> read_window(const Layer& l, const P& p, size_t rank, bool kernel_required) {
  Window w;
  DS_TRY(w.kernel, spatial(l, "kernel", p.kernel_size(), p.has_kernel_h(), p.has_kernel_w(), p.kernel_h(), p.kernel_w(), rank, 1, kernel_required));
  DS_TRY(w.stride, spatial(l, "stride", p.stride(), p.has_stride_h(), p.has_stride_w(), p.stride_h(), p.stride_w(), rank, 1, false));
  DS_TRY(w.pad, spatial(l, "pad", p.pad(), p.has_pad_h(), p.has_pad_w(), p.pad_h(), p.pad_w(), rank, 0, false));
  if constexpr (std::is_same_v<P, caffe::ConvolutionParameter>) {
    DS_TRY(w.dilation, spatial(l, "dilation", p.dilation(), false, false, 0, 0, rank, 1, false));
  } else {
    w.dilation.assign(rank, 1);
  }
  for (size_t i = 0; i < rank; ++i) {
    if (w.kernel[i] < 1 || w.stride[i] < 1 || w.dilation[i] < 1) {
      return Builder::invalid(l, "kernel, stride and dilation must be positive " +
                                     expected_got(">= 1", std::to_string(std::min({w.kernel[i], w.stride[i], w.dilation[i]}))));
    }
  }
  return w;
}

void set_window(Attributes& a, const Window& w) {
  a.set_ints("kernel_shape", w.kernel);
  a.set_ints("strides", w.stride);
  a.set_ints("dilations", w.dilation);
  std::vector<int64_t> pads = w.pad;
  pads.insert(pads.end(), w.pad.begin(), w.pad.end());
  a.set_ints("pads", pads);
}

// Spatial rank from the input (4-D when the input's shape is not known yet).
size_t spatial_rank(const Builder& b, ValueId x) {
  const Value& v = b.g.value(x);
  return v.shape_known && v.shape.size() >= 3 ? v.shape.size() - 2 : 2;
}

Result<std::vector<ValueId>> convolution(Builder& b, const Layer& l, bool transposed) {
  const caffe::ConvolutionParameter& p = l.param->convolution_param();
  const int64_t bias_blobs = p.bias_term() ? 1 : 0;
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, static_cast<size_t>(1 + bias_blobs)));
  if (p.axis() != 1) return Builder::unsupported(l, "convolution along axis " + std::to_string(p.axis()) + " " + expected_got("1", std::to_string(p.axis())));
  const ValueId x = l.bottoms[0];
  const size_t rank = spatial_rank(b, x);
  DS_TRY(Window w, read_window(l, p, rank, true));
  const int64_t cout = p.num_output(), group = p.group();
  if (cout < 1) return Builder::invalid(l, "num_output must be positive " + expected_got(">= 1", std::to_string(cout)));
  if (group < 1 || cout % group != 0) {
    return Builder::invalid(l, "num_output must be a multiple of group " + expected_got("a divisor of " + std::to_string(cout), std::to_string(group)));
  }
  std::optional<int64_t> k_count = checked_numel(w.kernel);
  if (!k_count) return Builder::invalid(l, "kernel " + shape_to_string(w.kernel) + " is too large");
  const int64_t k_elems = *k_count;
  // Input channels: from the input's shape when known, else from the weight blob's size.
  int64_t cin = 0;
  if (b.shape_known(x)) {
    DS_TRY(Shape xs, b.shape_of(l, x));
    if (xs.size() != rank + 2) return Builder::invalid(l, "input rank " + expected_got(std::to_string(rank + 2), shape_to_string(xs)));
    cin = xs[1];
  } else {
    const int64_t per = (transposed ? cout / group : 1) * k_elems;
    const int64_t total = l.blobs[0].numel();
    cin = transposed ? total / per : total / per * group / cout;
  }
  if (cin < 1 || cin % group != 0) {
    return Builder::invalid(l, "input channels must be a multiple of group " + expected_got("a multiple of " + std::to_string(group), std::to_string(cin)));
  }
  Shape wshape = transposed ? Shape{cin, cout / group} : Shape{cout, cin / group};
  wshape.insert(wshape.end(), w.kernel.begin(), w.kernel.end());
  DS_TRY(Tensor wt, b.blob(l, 0, wshape, "weight"));
  std::vector<ValueId> ins = {x, b.constant(l.name + "/weight", wt)};
  if (bias_blobs) {
    DS_TRY(Tensor bt, b.blob(l, 1, {cout}, "bias"));
    ins.push_back(b.constant(l.name + "/bias", bt));
  }
  Attributes a;
  set_window(a, w);
  a.set_int("group", group);
  DS_TRY(ValueId y, b.add(transposed ? OpType::ConvTranspose : OpType::Conv, l, "", ins, a));
  return std::vector<ValueId>{y};
}

}  // namespace

Result<std::vector<ValueId>> convert_Convolution(Builder& b, const Layer& l) { return convolution(b, l, false); }
Result<std::vector<ValueId>> convert_Deconvolution(Builder& b, const Layer& l) { return convolution(b, l, true); }

Result<std::vector<ValueId>> convert_Pooling(Builder& b, const Layer& l) {
  const caffe::PoolingParameter& p = l.param->pooling_param();
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  const ValueId x = l.bottoms[0];
  if (p.pool() == caffe::PoolingParameter::STOCHASTIC) return Builder::unsupported(l, "STOCHASTIC pooling");
  const bool is_max = p.pool() == caffe::PoolingParameter::MAX;
  const size_t rank = spatial_rank(b, x);
  if (p.global_pooling()) {
    DS_TRY(Window w, read_window(l, p, rank, false));
    for (size_t i = 0; i < rank; ++i) {
      if (w.pad[i] != 0 || w.stride[i] != 1) {
        return Builder::invalid(l, "global pooling takes no pad and stride 1 " +
                                       expected_got("pad 0, stride 1", "pad " + std::to_string(w.pad[i]) + ", stride " + std::to_string(w.stride[i])));
      }
    }
    DS_TRY(ValueId y, b.add(is_max ? OpType::GlobalMaxPool : OpType::GlobalAveragePool, l, "", {x}));
    return std::vector<ValueId>{y};
  }
  DS_TRY(Window w, read_window(l, p, rank, true));
  for (size_t i = 0; i < rank; ++i) {
    if (w.pad[i] >= w.kernel[i]) {
      return Builder::invalid(l, "pad must be smaller than the kernel " + expected_got("< " + std::to_string(w.kernel[i]), std::to_string(w.pad[i])));
    }
  }
  // Caffe rounds the output size up unless told otherwise, and drops a last window that would
  // start in the end padding: exactly ceil_mode=1 with the ONNX Runtime rule shape inference uses.
  bool ceil = p.round_mode() == caffe::PoolingParameter::CEIL;
  if (p.has_ceil_mode()) ceil = p.ceil_mode();
  if (p.has_round_mode() && p.has_ceil_mode() && ceil != (p.round_mode() == caffe::PoolingParameter::CEIL)) {
    return Builder::invalid(l, "round_mode and ceil_mode disagree");
  }
  Attributes a;
  set_window(a, w);
  a.erase("dilations");
  a.set_int("ceil_mode", ceil ? 1 : 0);
  // Caffe's average divides by the window clipped to the padded input: count_include_pad.
  if (!is_max) a.set_int("count_include_pad", 1);
  DS_TRY(ValueId y, b.add(is_max ? OpType::MaxPool : OpType::AveragePool, l, "", {x}, a));
  return std::vector<ValueId>{y};
}

Result<std::vector<ValueId>> convert_InnerProduct(Builder& b, const Layer& l) {
  const caffe::InnerProductParameter& p = l.param->inner_product_param();
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, p.bias_term() ? 2 : 1));
  const ValueId x = l.bottoms[0];
  const int64_t n = p.num_output();
  if (n < 1) return Builder::invalid(l, "num_output must be positive " + expected_got(">= 1", std::to_string(n)));
  const int64_t count = l.blobs[0].numel();
  if (count == 0 || count % n != 0) {
    return Builder::invalid(l, "weight blob size is not a multiple of num_output " +
                                   expected_got("a multiple of " + std::to_string(n), std::to_string(count)));
  }
  const int64_t k = count / n;
  int64_t axis = p.axis();
  size_t rank = 0;
  if (b.shape_known(x)) {
    DS_TRY(Shape xs, b.shape_of(l, x));
    rank = xs.size();
    DS_TRY(axis, b.axis(l, p.axis(), rank, "axis"));
    const int64_t inner = numel(Shape(xs.begin() + axis, xs.end()));
    if (inner != k) {
      return Builder::invalid(l, "weight blob does not match the input " + shape_to_string(xs) + " " +
                                     expected_got(std::to_string(n) + " x " + std::to_string(inner) + " floats", std::to_string(count)));
    }
  } else if (axis != 1) {
    return Builder::unsupported(l, "axis " + std::to_string(axis) + " needs the input's static shape");
  }
  std::vector<ValueId> bias;
  if (p.bias_term()) {
    DS_TRY(Tensor bt, b.blob(l, 1, {n}, "bias"));
    bias.push_back(b.constant(l.name + "/bias", bt));
  }
  if (axis == 1) {
    // Flatten + Gemm: the fully connected form every backend recognises.
    ValueId flat = x;
    if (rank != 2) { DS_TRY(flat, b.add(OpType::Flatten, l, "flatten", {x}, [] { Attributes a; a.set_int("axis", 1); return a; }())); }
    DS_TRY(Tensor wt, b.blob(l, 0, p.transpose() ? Shape{k, n} : Shape{n, k}, "weight"));
    std::vector<ValueId> ins = {flat, b.constant(l.name + "/weight", wt)};
    ins.insert(ins.end(), bias.begin(), bias.end());
    Attributes a;
    a.set_int("transB", p.transpose() ? 0 : 1);
    DS_TRY(ValueId y, b.add(OpType::Gemm, l, "", ins, a));
    return std::vector<ValueId>{y};
  }
  // Other axes: keep the leading dims (Reshape [0,..,0,-1]) and multiply by W^T [k, n].
  DS_TRY(Tensor wt, b.blob(l, 0, p.transpose() ? Shape{k, n} : Shape{n, k}, "weight"));
  DS_TRY(Tensor wkn, Tensor::create(DType::F32, {k, n}));
  const float* src = wt.data<float>();
  float* dst = wkn.data<float>();
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j) dst[i * n + j] = p.transpose() ? src[i * n + j] : src[j * k + i];
  std::vector<int64_t> shape(static_cast<size_t>(axis), 0);
  shape.push_back(-1);
  DS_TRY(ValueId flat, b.add(OpType::Reshape, l, "reshape", {x, b.ints(l.name + "/shape", shape)}));
  if (bias.empty()) {
    DS_TRY(ValueId y, b.add(OpType::MatMul, l, "", {flat, b.constant(l.name + "/weight", wkn)}));
    return std::vector<ValueId>{y};
  }
  DS_TRY(ValueId mm, b.add(OpType::MatMul, l, "matmul", {flat, b.constant(l.name + "/weight", wkn)}));
  DS_TRY(ValueId y, b.add(OpType::Add, l, "", {mm, bias[0]}));
  return std::vector<ValueId>{y};
}

Result<std::vector<ValueId>> convert_LRN(Builder& b, const Layer& l) {
  const caffe::LRNParameter& p = l.param->lrn_param();
  DS_RETURN_IF_ERROR(b.expect_io(l, 1, 1, 0));
  if (p.norm_region() != caffe::LRNParameter::ACROSS_CHANNELS) return Builder::unsupported(l, "LRN norm_region WITHIN_CHANNEL");
  const int64_t size = p.local_size();
  if (size < 1 || size % 2 == 0 || size > kMaxWindowValue) {
    return Builder::invalid(l, "local_size must be a positive odd number " + expected_got("1, 3, 5, ...", std::to_string(size)));
  }
  // Caffe: x / (k + alpha/n * sum of squares over n channels)^beta -- the ONNX LRN formula
  // with bias = k (ONNX also divides alpha by size), so the values carry over unchanged.
  Attributes a;
  a.set_int("size", size);
  a.set_float("alpha", p.alpha());
  a.set_float("beta", p.beta());
  a.set_float("bias", p.k());
  DS_TRY(ValueId y, b.add(OpType::LRN, l, "", {l.bottoms[0]}, a));
  return std::vector<ValueId>{y};
}

}  // namespace deepshark::caffe_import
