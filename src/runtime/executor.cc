#include "runtime/executor.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "kernels/dnnl/dnnl_kernels.h"
#include "runtime/kernel_factory.h"
#include "runtime/layout_assign.h"
#include "runtime/lifetimes.h"

namespace deepshark {

struct Executor::Step {
  int node = 0;
  bool alias = false;
  std::unique_ptr<Kernel> kernel;
  std::vector<TensorView> inputs;
  std::vector<TensorView> outputs;
  std::vector<const std::byte*> weights;
  std::vector<int> claimed;  // node input indices replaced by weight slots
};

Executor::~Executor() = default;

namespace {

std::string node_label(const Node& n) { return n.name.empty() ? std::string(op_name(n.op)) : n.name; }

}  // namespace

Result<std::unique_ptr<Executor>> Executor::create(Graph graph, const ExecutorOptions& options,
                                                   CountingAllocator& allocator) {
  std::unique_ptr<Executor> ex(new Executor());
  ex->graph_ = std::move(graph);
  ex->options_ = options;
  DS_RETURN_IF_ERROR(ex->build(options, allocator));
  return ex;
}

Status Executor::build(const ExecutorOptions& options, CountingAllocator& allocator) {
  Graph& g = graph_;
  const size_t nv = g.values.size();
  for (const Node& n : g.nodes) {
    for (ValueId o : n.outputs) {
      if (o != kNoValue && !g.value(o).shape_known) {
        return make_error(ErrorCode::Internal, "prepare", "value", g.value(o).name, "shape not inferred");
      }
    }
  }
  if (options.use_dnnl) dnnl_backend::set_threads(options.threads);
  KernelConfig config;
  config.threads = options.threads;
  config.allocator = &allocator;

  // Blocked activation layouts between oneDNN kernels (the packer runs the same pass).
  const LayoutPlan plan = assign_layouts(g, config, options.use_dnnl);
  summary_.blocked_values = plan.blocked_values;

  LifetimeOptions lifetime_options = layout_lifetime_options(g, plan);
  // Views (reshape-like nodes, Concat views) need no kernel.
  const ValueLifetimes views = compute_lifetimes(g, lifetime_options);

  // Kernels (oneDNN first, reference where oneDNN has none).
  steps_.resize(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    Step& s = steps_[i];
    s.node = static_cast<int>(i);
    if (views.alias_node[i]) {
      s.alias = true;
      ++summary_.alias_nodes;
      continue;
    }
    DS_TRY(s.kernel, make_node_kernel(g, n, node_kernel_config(g, plan, config, i, &views), options.use_dnnl));
    if (s.kernel->name().rfind("ref:", 0) == 0) {
      ++summary_.ref_nodes;
    } else {
      ++summary_.dnnl_nodes;
    }
    for (int w = 0; w < s.kernel->weight_count(); ++w) s.claimed.push_back(s.kernel->weight_input(w));
    s.weights.assign(s.kernel->weight_count(), nullptr);
  }

  // Lifetimes once the kernels are known: a kernel that accumulates into an input (a fused
  // residual) may have its output placed on that input.
  std::vector<int> shared_input(g.nodes.size(), -1);
  for (const Step& s : steps_) {
    if (s.alias) continue;
    const Node& n = g.nodes[s.node];
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      if (!s.kernel->may_share_output(static_cast<int>(j))) continue;
      const bool same_layout = n.inputs[j] != kNoValue && !n.outputs.empty() && n.outputs[0] != kNoValue &&
                               plan.value_layout[n.inputs[j]] == plan.value_layout[n.outputs[0]];
      if (same_layout) shared_input[s.node] = static_cast<int>(j);
    }
  }
  lifetime_options.shared_input = std::move(shared_input);
  const ValueLifetimes lifetimes = compute_lifetimes(g, lifetime_options);
  alias_root_ = lifetimes.alias_root;
  alias_offset_ = lifetimes.alias_offset;
  summary_.in_place_nodes = lifetimes.in_place_nodes;
  summary_.concat_views = lifetimes.concat_views;
  summary_.strided_concat_views = lifetimes.strided_concat_views;
  summary_.slice_views = lifetimes.slice_views;

  // Weight bindings: kernel slots, then plain constant inputs.
  value_ptr_.assign(nv, nullptr);
  for (Step& s : steps_) {
    if (s.alias) continue;
    const Node& n = g.nodes[s.node];
    for (int w = 0; w < s.kernel->weight_count(); ++w) {
      WeightBinding b;
      b.step = s.node;
      b.slot = w;
      b.input = s.kernel->weight_input(w);
      b.value = n.input(static_cast<size_t>(b.input));
      b.bytes = s.kernel->weight_bytes(w);
      b.layout = s.kernel->weight_layout(w);
      b.external = b.value != kNoValue && g.value(b.value).is_constant() && !g.value(b.value).constant->has_data();
      bindings_.push_back(std::move(b));
    }
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      ValueId in = n.inputs[j];
      bool claimed = std::find(s.claimed.begin(), s.claimed.end(), static_cast<int>(j)) != s.claimed.end();
      if (in == kNoValue || claimed || !g.value(in).is_constant()) continue;
      const Tensor& t = *g.value(in).constant;
      WeightBinding b;
      b.step = s.node;
      b.input = static_cast<int>(j);
      b.value = in;
      b.bytes = t.bytes();
      b.layout = "plain";
      b.external = !t.has_data() && t.bytes() > 0;
      bindings_.push_back(std::move(b));
    }
  }
  // Sizes first: under an allocator limit, a graph whose fixed memory cannot fit (e.g. a crafted
  // file claiming huge activations) fails before anything proportional to it is allocated.
  const std::vector<ArenaRequest>& requests = lifetimes.requests;
  const std::vector<ValueId>& request_value = lifetimes.request_value;
  layout_ = plan_arena(requests, kDefaultAlignment);
  uint64_t scratch = 0;
  for (Step& s : steps_) if (!s.alias) scratch = std::max(scratch, s.kernel->scratch_bytes());
  {
    uint64_t weights = 0;
    std::vector<bool> bound(nv, false);  // what the copy loops below skip as already held
    for (const WeightBinding& b : bindings_) {
      if (b.external || (b.slot < 0 && bound[b.value])) continue;
      weights += b.bytes;
      if (b.slot < 0) bound[b.value] = true;
    }
    for (ValueId o : g.outputs) {
      if (!g.value(o).is_constant() || bound[o] || !g.value(o).constant->has_data()) continue;
      weights += g.value(o).constant->bytes();
      bound[o] = true;
    }
    const uint64_t planned = weights + layout_.total_bytes + scratch;
    if (options.planned_bytes) *options.planned_bytes = planned;
    if (planned > allocator.available_bytes()) {
      return make_error(ErrorCode::OutOfMemory, "prepare", "graph", g.name,
                        "weights " + std::to_string(weights) + " + activation arena " +
                            std::to_string(layout_.total_bytes) + " + kernel scratchpad " + std::to_string(scratch) +
                            " bytes exceed the memory limit of " + std::to_string(allocator.limit()) + " bytes (" +
                            std::to_string(allocator.current_bytes()) + " already held) " +
                            expected_got("<= " + std::to_string(allocator.available_bytes()) + " bytes",
                                         std::to_string(planned) + " bytes"));
    }
  }

  // Pack or copy every weight whose data the graph holds; a constant read plainly by several
  // steps is copied once. Each graph constant is released after its last binding, so the weights
  // are held once (graph copy or packed copy), plus one tensor, while preparing.
  std::vector<int> pending(nv, 0);
  for (const WeightBinding& b : bindings_) if (!b.external && b.value != kNoValue) ++pending[b.value];
  for (ValueId o : g.outputs) if (g.value(o).is_constant()) ++pending[o];
  auto release = [&](ValueId v) {
    if (v == kNoValue || --pending[v] > 0) return;
    Value& val = g.value(v);
    if (val.is_constant()) val.constant = Tensor::shape_only(val.constant->dtype(), val.constant->shape());
  };
  for (size_t i = 0; i < bindings_.size(); ++i) {
    const WeightBinding& b = bindings_[i];
    if (b.external) continue;
    if (b.slot < 0 && value_ptr_[b.value] != nullptr) {
      release(b.value);
      continue;
    }
    DS_TRY(Buffer buf, Buffer::allocate(allocator, b.bytes, MemoryClass::Weights, "weights"));
    if (b.slot >= 0) {
      DS_RETURN_IF_ERROR(steps_[b.step].kernel->pack_weight(g, b.slot, buf.data())
                             .with_context("failed to pack weights of node '" + node_label(g.nodes[b.step]) + "'"));
    } else if (b.bytes) {
      std::memcpy(buf.data(), g.value(b.value).constant->raw(), b.bytes);
    }
    summary_.weight_bytes += buf.size();
    bind_weight(i, buf.data());
    weight_buffers_.push_back(std::move(buf));
    release(b.value);
  }
  // A graph output that is a constant is copied too.
  for (ValueId o : g.outputs) {
    if (!g.value(o).is_constant() || value_ptr_[o] != nullptr) continue;
    const Tensor& t = *g.value(o).constant;
    if (!t.has_data()) continue;
    DS_TRY(Buffer buf, Buffer::allocate(allocator, t.bytes(), MemoryClass::Weights, "constant"));
    std::memcpy(buf.data(), t.raw(), t.bytes());
    value_ptr_[o] = buf.data();
    weight_buffers_.push_back(std::move(buf));
  }

  DS_TRY(arena_, Buffer::allocate(allocator, layout_.total_bytes, MemoryClass::Activations, "activation arena"));
  summary_.arena_bytes = layout_.total_bytes;
  for (size_t r = 0; r < requests.size(); ++r) value_ptr_[request_value[r]] = arena_.data() + layout_.offsets[r];

  DS_TRY(scratch_, Buffer::allocate(allocator, scratch, MemoryClass::Scratch, "kernel scratchpad"));
  summary_.scratch_bytes = scratch;

  // Views with static shapes; data pointers are resolved per run for graph-input-rooted values.
  for (Step& s : steps_) {
    const Node& n = g.nodes[s.node];
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      ValueId in = n.inputs[j];
      TensorView v;
      if (in != kNoValue) v = TensorView{g.value(in).dtype, g.value(in).shape, nullptr};
      s.inputs.push_back(std::move(v));
    }
    for (ValueId o : n.outputs) {
      TensorView v;
      if (o != kNoValue) v = TensorView{g.value(o).dtype, g.value(o).shape, nullptr};
      s.outputs.push_back(std::move(v));
    }
  }
  // Release graph constant data: every byte used at run time now lives in accounted buffers.
  // The values stay constants (shape only), so kernels and bindings still see them as weights.
  for (Value& v : g.values) {
    if (v.is_constant()) v.constant = Tensor::shape_only(v.constant->dtype(), v.constant->shape());
  }
  node_times_ms_.clear();
  return Status::ok_status();
}

int Executor::step_count() const { return static_cast<int>(steps_.size()); }

std::vector<std::string> Executor::kernel_names() const {
  std::vector<std::string> names;
  for (const Step& s : steps_) names.push_back(s.alias ? "alias" : s.kernel->name());
  return names;
}

void Executor::bind_weight(size_t binding, const std::byte* data) {
  const WeightBinding& b = bindings_.at(binding);
  if (b.slot >= 0) {
    steps_[b.step].weights[b.slot] = data;
  } else {
    value_ptr_[b.value] = const_cast<std::byte*>(data);
  }
}

Status Executor::bind_inputs(std::span<const TensorView> inputs) {
  const Graph& g = graph_;
  if (inputs.size() != g.inputs.size()) {
    return make_error(ErrorCode::InvalidArgument, "run", "graph", g.name,
                      "wrong number of inputs " + expected_got(std::to_string(g.inputs.size()),
                                                               std::to_string(inputs.size())));
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Value& v = g.value(g.inputs[i]);
    if (inputs[i].dtype != v.dtype) {
      return make_error(ErrorCode::InvalidArgument, "run", "input", v.name,
                        "wrong dtype " + expected_got(dtype_name(v.dtype), dtype_name(inputs[i].dtype)));
    }
    if (inputs[i].shape != v.shape) {
      return make_error(ErrorCode::InvalidArgument, "run", "input", v.name,
                        "wrong shape " + expected_got(shape_to_string(v.shape), shape_to_string(inputs[i].shape)));
    }
    if (inputs[i].data == nullptr && inputs[i].bytes() > 0) {
      return make_error(ErrorCode::InvalidArgument, "run", "input", v.name, "no data");
    }
    value_ptr_[g.inputs[i]] = static_cast<std::byte*>(inputs[i].data);
  }
  if (options_.use_dnnl) dnnl_backend::set_threads(options_.threads);
  if (options_.profile_nodes) node_times_ms_.assign(steps_.size(), 0.0);
  return Status::ok_status();
}

Status Executor::run_steps(int begin, int end) {
  const Graph& g = graph_;
  auto ptr = [&](ValueId v) -> std::byte* {
    std::byte* base = value_ptr_[alias_root_[v]];
    return base ? base + alias_offset_[v] : nullptr;
  };
  for (int i = begin; i < end; ++i) {
    Step& s = steps_[i];
    if (s.alias) continue;
    const Node& n = g.nodes[s.node];
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      bool claimed = std::find(s.claimed.begin(), s.claimed.end(), static_cast<int>(j)) != s.claimed.end();
      s.inputs[j].data = (n.inputs[j] == kNoValue || claimed) ? nullptr : ptr(n.inputs[j]);
    }
    for (size_t j = 0; j < n.outputs.size(); ++j) s.outputs[j].data = n.outputs[j] == kNoValue ? nullptr : ptr(n.outputs[j]);
    auto t0 = std::chrono::steady_clock::now();
    Status st = s.kernel->run(s.inputs, s.outputs, s.weights, scratch_.data());
    if (!st.ok()) return st.with_context("failed to run node '" + node_label(n) + "'");
    if (options_.profile_nodes) {
      node_times_ms_[s.node] =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    }
  }
  return Status::ok_status();
}

Result<std::vector<Tensor>> Executor::collect_outputs() {
  const Graph& g = graph_;
  std::vector<Tensor> outs;
  outs.reserve(g.outputs.size());
  for (ValueId o : g.outputs) {
    const Value& v = g.value(o);
    auto created = Tensor::create(v.dtype, v.shape);
    if (!created.ok()) return created.status().with_context("failed to return output '" + v.name + "'");
    Tensor t = std::move(created).value();
    if (t.bytes()) std::memcpy(t.raw(), value_ptr_[alias_root_[o]] + alias_offset_[o], t.bytes());
    outs.push_back(std::move(t));
  }
  return outs;
}

Result<std::vector<Tensor>> Executor::run(std::span<const TensorView> inputs) {
  DS_RETURN_IF_ERROR(bind_inputs(inputs));
  DS_RETURN_IF_ERROR(run_steps(0, step_count()));
  return collect_outputs();
}

}  // namespace deepshark
