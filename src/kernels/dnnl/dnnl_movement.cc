// ReduceMean / ReduceSum / ReduceMax on the reduction primitive, Transpose as a reorder into
// permuted strides, Concat on the concat primitive (blocked operands read and written as they
// are).
#include <algorithm>

#include "graph/shape_inference.h"
#include "kernels/dnnl/dnnl_ops.h"

namespace deepshark::dnnl_backend {
namespace {

int64_t count(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

}  // namespace

Result<std::unique_ptr<Kernel>> make_reduce(const Graph& graph, const Node& node, const KernelConfig& config) {
  dnnl::algorithm alg;
  switch (node.op) {
    case OpType::ReduceMean: alg = dnnl::algorithm::reduction_mean; break;
    case OpType::ReduceSum: alg = dnnl::algorithm::reduction_sum; break;
    case OpType::ReduceMax: alg = dnnl::algorithm::reduction_max; break;
    default: return unsupported(node, "not a supported reduction");
  }
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  std::vector<int64_t> axes;
  if (node.input(1) != kNoValue) {
    const Tensor* t = constant_input(graph, node, 1);
    if (!t || t->dtype() != DType::I64 || !t->has_data()) return unsupported(node, "axes input is not a constant I64");
    axes.assign(t->data<int64_t>(), t->data<int64_t>() + t->numel());
  } else {
    axes = node.attrs.get_ints("axes");
  }
  if (node.inputs.size() > 2) return unsupported(node, "more than 2 inputs");
  const int64_t rank = static_cast<int64_t>(x.size());
  if (rank == 0) return unsupported(node, "scalar input");
  if (axes.empty()) {
    if (node.attrs.get_int("noop_with_empty_axes", 0) != 0) return unsupported(node, "noop_with_empty_axes");
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  Shape reduced = x;
  for (int64_t a : axes) {
    if (a < -rank || a >= rank) return unsupported(node, "axis out of range");
    reduced[static_cast<size_t>(a < 0 ? a + rank : a)] = 1;
  }
  if (count(reduced) != count(y)) return unsupported(node, "output size does not match the axes");
  if (reduced == x) return unsupported(node, "nothing to reduce");
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "reduction");
    dnnl::reduction::desc d(alg, plain_desc(x), plain_desc(reduced), 0.f, 0.f);
    dnnl::reduction::primitive_desc pd(d, b.attr(), engine());
    int step = b.add_step(dnnl::reduction(pd), pd);
    b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

Result<std::unique_ptr<Kernel>> make_transpose(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  const size_t rank = x.size();
  std::vector<int64_t> perm = node.attrs.get_ints("perm");
  if (perm.empty())
    for (size_t i = 0; i < rank; ++i) perm.push_back(static_cast<int64_t>(rank - 1 - i));
  if (perm.size() != rank || y.size() != rank || rank == 0) return unsupported(node, "perm does not match the rank");
  std::vector<bool> seen(rank, false);
  for (int64_t& p : perm) {
    if (p < 0) p += static_cast<int64_t>(rank);
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[static_cast<size_t>(p)]) return unsupported(node, "bad perm");
    seen[static_cast<size_t>(p)] = true;
  }
  // Y[k] walks X's dim perm[k]: X's dim perm[k] gets Y's row-major stride k.
  Dims y_strides(rank, 1), dst_strides(rank, 0);
  for (int i = static_cast<int>(rank) - 2; i >= 0; --i) y_strides[i] = y_strides[i + 1] * y[i + 1];
  for (size_t k = 0; k < rank; ++k) {
    if (y[k] != x[static_cast<size_t>(perm[k])]) return unsupported(node, "output shape does not match perm");
    dst_strides[static_cast<size_t>(perm[k])] = y_strides[k];
  }
  const memory::desc dst = strided_desc(to_dims(x), dst_strides);
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "transpose");
    dnnl::reorder::primitive_desc pd(engine(), plain_desc(x), engine(), dst, b.attr());
    int step = b.add_step(dnnl::reorder(pd), pd);
    b.bind_input(step, DNNL_ARG_FROM, 0, plain_desc(x));
    b.bind_output(step, DNNL_ARG_TO, 0, dst);
    return b.finish();
  });
}

Result<std::unique_ptr<Kernel>> make_concat(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  const int64_t rank = static_cast<int64_t>(y.size());
  int64_t axis = node.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || node.inputs.empty()) return unsupported(node, "axis out of range");
  std::vector<memory::desc> srcs;
  int64_t total = 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    DS_TRY(Shape s, f32_input_shape(graph, node, i));
    if (s.size() != y.size()) return unsupported(node, "inputs differ in rank");
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && s[d] != y[d]) return unsupported(node, "inputs differ off the axis");
    total += s[axis];
    srcs.push_back(act_desc(s, config.input_layout(i)));
  }
  if (total != y[axis]) return unsupported(node, "output size does not match the inputs");
  const memory::desc y_md = act_desc(y, config.output_layout(0));
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "concat");
    dnnl::concat::primitive_desc pd(y_md, static_cast<int>(axis), srcs, engine(), b.attr());
    int step = b.add_step(dnnl::concat(pd), pd);
    for (size_t i = 0; i < srcs.size(); ++i)
      b.bind_input(step, DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), static_cast<int>(i), srcs[i]);
    b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
    return b.finish();
  });
}

// A Slice with unit steps that is not a view (a channel range of an nhwc activation, or a range
// of an inner axis: ViT's query / key / value split): one oneDNN reorder from the input's
// sub-memory to the output. Other steps run the reference kernel.
Result<std::unique_ptr<Kernel>> make_slice(const Graph& graph, const Node& node, const KernelConfig& config) {
  DS_TRY(Shape x, f32_input_shape(graph, node, 0));
  DS_TRY(Shape y, f32_output_shape(graph, node, 0));
  const int64_t rank = static_cast<int64_t>(x.size());
  auto starts = constant_ints(graph, node.input(1));
  auto ends = constant_ints(graph, node.input(2));
  if (!starts || !ends || starts->size() != ends->size()) return unsupported(node, "starts / ends are not constants");
  std::vector<int64_t> axes(starts->size()), steps(starts->size(), 1);
  for (size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<int64_t>(k);
  if (node.input(3) != kNoValue) {
    auto a = constant_ints(graph, node.input(3));
    if (!a || a->size() != starts->size()) return unsupported(node, "axes are not constants");
    axes = *a;
  }
  if (node.input(4) != kNoValue) {
    auto s = constant_ints(graph, node.input(4));
    if (!s || s->size() != starts->size()) return unsupported(node, "steps are not constants");
    steps = *s;
  }
  Dims dims = to_dims(x), offsets(x.size(), 0);
  for (size_t k = 0; k < axes.size(); ++k) {
    const int64_t axis = axes[k] < 0 ? axes[k] + rank : axes[k];
    if (axis < 0 || axis >= rank || steps[k] != 1) return unsupported(node, "only unit steps on valid axes");
    const int64_t dim = x[axis];
    auto clamp = [&](int64_t v) { return std::clamp(v < 0 ? v + dim : v, int64_t{0}, dim); };
    const int64_t b = clamp((*starts)[k]), e = clamp((*ends)[k]);
    offsets[axis] = b;
    dims[axis] = std::max<int64_t>(e - b, 0);
  }
  if (dims != to_dims(y)) return unsupported(node, "slice bounds do not give the output shape");
  return guarded_create(node, [&]() -> Result<std::unique_ptr<Kernel>> {
    PrimitiveKernel::Builder b(graph, node, "slice");
    const memory::desc from = act_desc(x, config.input_layout(0)).submemory_desc(dims, offsets);
    const memory::desc to = act_desc(y, config.output_layout(0));
    dnnl::reorder::primitive_desc pd(engine(), from, engine(), to, b.attr());
    int step = b.add_step(dnnl::reorder(pd), pd);
    b.bind_input(step, DNNL_ARG_FROM, 0, from);
    b.bind_output(step, DNNL_ARG_TO, 0, to);
    return b.finish();
  });
}

}  // namespace deepshark::dnnl_backend
