#include "runtime/layout_assign.h"

#include <algorithm>

#include "kernels/dnnl/dnnl_kernels.h"
#include "runtime/lifetimes.h"

namespace deepshark {
namespace {

bool is_eltwise(OpType op) {
  switch (op) {
    case OpType::Relu:
    case OpType::LeakyRelu:
    case OpType::Elu:
    case OpType::Clip:
    case OpType::Sigmoid:
    case OpType::Tanh:
    case OpType::HardSwish:
    case OpType::Exp:
    case OpType::Log:
    case OpType::Sqrt:
    case OpType::Abs:
    case OpType::Gelu:
    case OpType::Pow:
      return true;
    default:
      return false;
  }
}

bool is_binary(OpType op) {
  switch (op) {
    case OpType::Add:
    case OpType::Sub:
    case OpType::Mul:
    case OpType::Div:
    case OpType::Max:
    case OpType::Min:
      return true;
    default:
      return false;
  }
}

bool is_4d_f32(const Graph& g, ValueId v) {
  if (v == kNoValue) return false;
  const Value& val = g.value(v);
  return val.dtype == DType::F32 && val.shape_known && val.shape.size() == 4;
}

// Shape broadcastable to `y` (4-D) along the channel dim only (or a scalar).
bool per_channel(const Shape& s, const Shape& y) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  if (n == 1) return true;
  Shape t = s;
  if (t.size() > 4) return false;
  t.insert(t.begin(), 4 - t.size(), 1);
  return t[0] == 1 && t[1] == y[1] && t[2] == 1 && t[3] == 1;
}

// Whether node's oneDNN kernel can take input `i` (is_input) or give output `i` blocked.
bool accepts(const Graph& g, const Node& n, bool is_input, size_t i, int block, bool channels_last) {
  const ValueId v = is_input ? n.input(i) : (i < n.outputs.size() ? n.outputs[i] : kNoValue);
  if (!is_4d_f32(g, v)) return false;
  if (!is_input && i != 0) return false;
  switch (n.op) {
    case OpType::Conv:
      return !is_input || i == 0 || (i == 3 && n.attrs.get_int("ds.residual", 0) != 0);
    case OpType::Resize:  // nearest, whole factors (dnnl_backend::make_resize); else demoted by the probe
    case OpType::Upsample:
    case OpType::MaxPool:
    case OpType::AveragePool:
    case OpType::GlobalAveragePool:
    case OpType::GlobalMaxPool:
    case OpType::BatchNormalization:
      return !is_input || i == 0;
    case OpType::Slice: {  // a whole-block channel range runs as a view (runtime/lifetimes)
      ContiguousSlice cs;
      if ((is_input && i != 0) || !contiguous_slice(g, n, &cs)) return false;
      if (channels_last) return cs.axis == 1;  // strided in nhwc: a oneDNN reorder copies it
      return cs.axis == 1 && cs.begin % block == 0 && (cs.end - cs.begin) % block == 0;
    }
    case OpType::Concat: {
      const int64_t axis = n.attrs.get_int("axis", 0);
      if (axis != 1 && axis != -3) return false;
      for (ValueId in : n.inputs)
        if (!is_4d_f32(g, in) || g.value(in).shape[1] % block != 0) return false;
      return true;
    }
    default:
      break;
  }
  if (is_eltwise(n.op)) return !is_input || i == 0;
  if (is_binary(n.op)) {
    if (n.inputs.size() != 2 || !is_4d_f32(g, n.outputs.empty() ? kNoValue : n.outputs[0])) return false;
    const Shape& y = g.value(n.outputs[0]).shape;
    for (ValueId in : n.inputs) {
      if (in == kNoValue || !g.value(in).shape_known) return false;
      const Shape& s = g.value(in).shape;
      if (s != y && !per_channel(s, y)) return false;
    }
    return true;
  }
  return false;
}

}  // namespace

uint64_t value_bytes(const Value& v, ActLayout layout, int block) {
  Shape s = v.shape;
  if (layout == ActLayout::Blocked && s.size() == 4 && block > 1) s[1] = (s[1] + block - 1) / block * block;
  return static_cast<uint64_t>(numel(s)) * dtype_size(v.dtype);
}

std::vector<uint64_t> plan_value_bytes(const Graph& g, const LayoutPlan& plan) {
  std::vector<uint64_t> bytes(g.values.size());
  for (size_t v = 0; v < g.values.size(); ++v) bytes[v] = value_bytes(g.values[v], plan.value_layout[v], plan.block);
  return bytes;
}

LifetimeOptions layout_lifetime_options(const Graph& g, const LayoutPlan& plan) {
  LifetimeOptions o;
  o.value_bytes = plan_value_bytes(g, plan);
  o.value_layout = plan.value_layout;
  o.block = plan.block;
  o.channels_last = plan.channels_last;
  if (plan.dnnl) {
    o.row_strided_output.assign(g.nodes.size(), false);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& n = g.nodes[i];
      o.row_strided_output[i] = !n.outputs.empty() && n.outputs[0] != kNoValue &&
                                plan.value_layout[n.outputs[0]] == ActLayout::Plain &&
                                dnnl_backend::writes_row_strided(g, n);
    }
  }
  return o;
}

KernelConfig node_kernel_config(const Graph& g, const LayoutPlan& plan, const KernelConfig& base, size_t node,
                                const ValueLifetimes* views) {
  KernelConfig c = base;
  c.input_layouts.clear();
  c.output_layouts.clear();
  const Node& n = g.nodes[node];
  c.output_row_stride = 0;
  if (views && !n.outputs.empty() && n.outputs[0] != kNoValue &&
      static_cast<size_t>(n.outputs[0]) < views->alias_row_stride.size()) {
    c.output_row_stride = views->alias_row_stride[n.outputs[0]];
  }
  bool any = false;
  for (ValueId in : n.inputs) {
    ActLayout l = in == kNoValue ? ActLayout::Plain : plan.value_layout[in];
    any |= l != ActLayout::Plain;
    c.input_layouts.push_back(l);
  }
  for (ValueId o : n.outputs) {
    ActLayout l = o == kNoValue ? ActLayout::Plain : plan.value_layout[o];
    any |= l != ActLayout::Plain;
    c.output_layouts.push_back(l);
  }
  if (!any) {
    c.input_layouts.clear();
    c.output_layouts.clear();
  }
  return c;
}

LayoutPlan assign_layouts(const Graph& g, const KernelConfig& base, bool use_dnnl) {
  LayoutPlan plan;
  plan.value_layout.assign(g.values.size(), ActLayout::Plain);
  if (!use_dnnl) return plan;
  plan.dnnl = true;
  plan.block = dnnl_backend::activation_block();
  plan.channels_last = dnnl_backend::activation_format() == dnnl_backend::ActivationFormat::nhwc;
  const size_t nv = g.values.size();
  std::vector<int> producer(nv, -1);
  std::vector<bool> ok(nv, false), boundary(nv, false);
  for (ValueId v : g.inputs) boundary[v] = true;
  for (ValueId v : g.outputs) boundary[v] = true;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (size_t j = 0; j < n.outputs.size(); ++j) {
      ValueId o = n.outputs[j];
      if (o == kNoValue) continue;
      producer[o] = static_cast<int>(i);
      ok[o] = accepts(g, n, false, j, plan.block, plan.channels_last);
    }
  }
  std::vector<bool> consumed(nv, false);
  for (const Node& n : g.nodes)
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      ValueId in = n.inputs[j];
      if (in == kNoValue) continue;
      consumed[in] = true;
      if (!accepts(g, n, true, j, plan.block, plan.channels_last)) ok[in] = false;
    }
  // Only whole channel blocks: a padded channel dim (e.g. 8 channels in nChw16c) makes oneDNN 2.6
  // fall back to its reference convolution / binary kernels (measured on mnist-8: 16 ms instead of
  // 10 us for an 8->16 channel 5x5 convolution).
  auto whole_blocks = [&](size_t v) {
    const Shape& s = g.values[v].shape;
    return s.size() == 4 && s[1] % plan.block == 0;
  };
  for (size_t v = 0; v < nv; ++v)
    if (ok[v] && consumed[v] && !boundary[v] && producer[v] >= 0 && !g.values[v].is_constant() && whole_blocks(v))
      plan.value_layout[v] = ActLayout::Blocked;

  // Probe: every node touching a blocked value must get its oneDNN kernel with these layouts.
  auto touches = [&](const Node& n) {
    for (ValueId in : n.inputs)
      if (in != kNoValue && plan.value_layout[in] == ActLayout::Blocked) return true;
    for (ValueId o : n.outputs)
      if (o != kNoValue && plan.value_layout[o] == ActLayout::Blocked) return true;
    return false;
  };
  std::vector<bool> probed_ok(g.nodes.size(), false);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      const Node& n = g.nodes[i];
      if (probed_ok[i] || !touches(n)) continue;
      ContiguousSlice cs;
      if (!plan.channels_last && contiguous_slice(g, n, &cs) &&
          plan.value_layout[n.inputs[0]] == plan.value_layout[n.outputs[0]]) {
        probed_ok[i] = true;  // a view: no kernel reads or writes it
        continue;
      }
      auto k = dnnl_backend::make_kernel(g, n, node_kernel_config(g, plan, base, i));
      if (k.ok()) {
        probed_ok[i] = true;
        continue;
      }
      // Back to plain: this node's values, and re-probe the nodes that share them.
      std::vector<ValueId> demoted;
      for (ValueId in : n.inputs)
        if (in != kNoValue && plan.value_layout[in] == ActLayout::Blocked) demoted.push_back(in);
      for (ValueId o : n.outputs)
        if (o != kNoValue && plan.value_layout[o] == ActLayout::Blocked) demoted.push_back(o);
      for (ValueId v : demoted) plan.value_layout[v] = ActLayout::Plain;
      for (size_t j = 0; j < g.nodes.size(); ++j) {
        const Node& m = g.nodes[j];
        for (ValueId v : demoted)
          if (std::find(m.inputs.begin(), m.inputs.end(), v) != m.inputs.end() ||
              std::find(m.outputs.begin(), m.outputs.end(), v) != m.outputs.end())
            probed_ok[j] = false;
      }
      changed = true;
    }
  }
  plan.blocked_values = static_cast<int>(std::count(plan.value_layout.begin(), plan.value_layout.end(), ActLayout::Blocked));
  return plan;
}

}  // namespace deepshark
