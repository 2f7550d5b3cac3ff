#include <chrono>
#include <filesystem>

#include "deepshark/deepshark.h"
#include "import/caffe/caffe_importer.h"
#include "import/onnx/onnx_importer.h"
#include "import/tf/tf_importer.h"
#include "pack/pack.h"
#include "runtime/block_stream.h"
#include "runtime/executor.h"
#include "transform/prepare.h"

namespace deepshark {

namespace {
std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

std::vector<TensorInfo> infos(const Graph& g, const std::vector<ValueId>& ids) {
  std::vector<TensorInfo> r;
  for (ValueId id : ids) r.push_back({g.value(id).name, g.value(id).dtype, g.value(id).shape});
  return r;
}
}  // namespace

Result<Graph> load_model(const ModelSource& source) {
  const std::string& path = source.path;
  std::string ext = lower_extension(path);
  if (ext == ".prototxt") {
    CaffeImportOptions co;
    co.input_shapes = source.input_shapes;
    return import_caffe(path, source.weights, source.mean, co);
  }
  if (!source.weights.empty() || !source.mean.empty()) {
    return make_error(ErrorCode::InvalidArgument, "load", "model", path,
                      "--weights and --mean are for Caffe models (.prototxt)");
  }
  if (ext == ".onnx") return import_onnx(path);
  if (ext == ".pb") return import_tf(path);
  if (ext == ".dsk") {
    // Reached by inspect and pack: run and plan open .dsk files themselves.
    return make_error(ErrorCode::InvalidArgument, "load", "model", path,
                      "a packed block stream file (.dsk) is not a model source here: 'deepshark run' and "
                      "'deepshark plan' take it; inspect and pack take the model it was packed from");
  }
  return make_error(ErrorCode::InvalidArgument, "load", "model", path,
                    "unknown model format " + expected_got(".onnx, .pb, .prototxt or .dsk", ext.empty() ? "no extension" : ext));
}

Result<Tensor> read_tensor_file(const std::string& path) {
  std::string ext = lower_extension(path);
  if (ext == ".pb") return read_onnx_tensor(path);
  return read_npy(path);
}

struct Session::Impl {
  CountingAllocator allocator;
  std::unique_ptr<Executor> executor;       // in-memory sessions
  std::unique_ptr<BlockStreamSession> stream;  // .dsk sessions
  std::vector<TensorInfo> inputs, outputs;
  RunStats stats;
  std::vector<TensorView> views;
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::open(const std::string& model_path, const SessionOptions& options) {
  if (lower_extension(model_path) == ".dsk") {
    StreamOptions so;
    so.threads = options.threads;
    so.use_dnnl = options.use_dnnl;
    so.direct_io = options.direct_io;
    so.requirement.memory_budget_bytes = options.memory_budget_bytes;
    so.requirement.prefetch_depth = options.prefetch_depth;
    so.requirement.latency_ms = options.latency_target_ms;
    so.requirement.balance = options.balance;
    so.profile_path = options.profile_path;
    so.greedy_planner = options.greedy_planner;
    so.progress = options.progress;
    auto impl = std::make_unique<Impl>();
    DS_TRY(impl->stream, BlockStreamSession::open(model_path, so));
    const Graph& g = impl->stream->graph();
    for (const auto& [name, shape] : options.input_shapes) {
      ValueId id = g.find_value(name);
      if (id == kNoValue || std::find(g.inputs.begin(), g.inputs.end(), id) == g.inputs.end()) {
        return make_error(ErrorCode::InvalidArgument, "bind", "input", name, "the packed model has no such input");
      }
      if (g.value(id).shape != shape) {
        return make_error(ErrorCode::InvalidArgument, "bind", "input", name,
                          "the model was packed for another shape " +
                              expected_got(shape_to_string(g.value(id).shape), shape_to_string(shape)) +
                              ": re-pack with --shape");
      }
    }
    impl->inputs = infos(g, g.inputs);
    impl->outputs = infos(g, g.outputs);
    return std::unique_ptr<Session>(new Session(std::move(impl)));
  }
  if (options.memory_budget_bytes != 0 || options.latency_target_ms > 0 || options.balance >= 0) {
    return make_error(ErrorCode::InvalidArgument, "open", "model", model_path,
                      "a memory budget needs a packed model: run 'deepshark pack' first");
  }
  DS_TRY(Graph g, load_model(ModelSource{model_path, options.weights_path, options.mean_path, options.input_shapes}));
  return create(std::move(g), options);
}

Result<std::unique_ptr<Session>> Session::create(Graph graph, const SessionOptions& options) {
  if (options.threads < 1 || options.threads > 256) {
    return make_error(ErrorCode::InvalidArgument, "open", "session", graph.name,
                      "bad thread count " + expected_got("1..256", std::to_string(options.threads)));
  }
  auto impl = std::make_unique<Impl>();
  PrepareOptions prep;
  prep.input_shapes = options.input_shapes;
  DS_RETURN_IF_ERROR(prepare_graph(graph, prep));
  impl->inputs = infos(graph, graph.inputs);
  impl->outputs = infos(graph, graph.outputs);
  ExecutorOptions ex;
  ex.threads = options.threads;
  ex.use_dnnl = options.use_dnnl;
  ex.profile_nodes = options.profile_nodes;
  DS_TRY(impl->executor, Executor::create(std::move(graph), ex, impl->allocator));
  return std::unique_ptr<Session>(new Session(std::move(impl)));
}

Result<std::vector<NamedTensor>> Session::run(const std::vector<NamedTensor>& inputs) {
  Impl& m = *impl_;
  m.views.assign(m.inputs.size(), TensorView{});
  std::vector<bool> given(m.inputs.size(), false);
  for (const NamedTensor& nt : inputs) {
    size_t i = 0;
    while (i < m.inputs.size() && m.inputs[i].name != nt.name) ++i;
    if (i == m.inputs.size()) {
      std::string names;
      for (const TensorInfo& t : m.inputs) names += (names.empty() ? "" : ", ") + t.name;
      return make_error(ErrorCode::InvalidArgument, "bind", "input", nt.name,
                        "the model has no such input " + expected_got("one of: " + names, nt.name));
    }
    if (given[i]) return make_error(ErrorCode::InvalidArgument, "bind", "input", nt.name, "given twice");
    given[i] = true;
    m.views[i] = nt.tensor.view();
  }
  for (size_t i = 0; i < given.size(); ++i) {
    if (!given[i]) return make_error(ErrorCode::InvalidArgument, "bind", "input", m.inputs[i].name, "missing");
  }
  auto t0 = std::chrono::steady_clock::now();
  std::vector<Tensor> outs;
  if (m.stream) {
    DS_TRY(outs, m.stream->run(m.views));
    const StreamReport& r = m.stream->last_report();
    m.stats.bytes_read = r.bytes_read;
    m.stats.read_ms = r.read_ms;
    m.stats.compute_ms = r.compute_ms;
    m.stats.stall_ms = r.stall_ms;
    m.stats.eta = r.eta;
    m.stats.blocks = r.blocks;
    m.stats.direct_io = r.direct_io;
    m.stats.unsliced_nodes = r.unsliced_nodes;
  } else {
    DS_TRY(outs, m.executor->run(m.views));
    m.stats.node_ms = m.executor->node_times_ms();
  }
  m.stats.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::vector<NamedTensor> named;
  for (size_t i = 0; i < outs.size(); ++i) named.push_back({m.outputs[i].name, std::move(outs[i])});
  return named;
}

const std::vector<TensorInfo>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->outputs; }
const RunStats& Session::last_run() const { return impl_->stats; }

MemoryReport Session::memory() const {
  MemoryReport r;
  if (impl_->stream) {
    const BlockStreamSession& b = *impl_->stream;
    r.weight_bytes = b.plan().resident_bytes + b.plan().ring_bytes;
    r.peak_managed_bytes = b.peak_managed_bytes();
    r.current_managed_bytes = b.current_managed_bytes();
    return r;
  }
  const ExecutorSummary& s = impl_->executor->summary();
  r.weight_bytes = s.weight_bytes;
  r.arena_bytes = s.arena_bytes;
  r.scratch_bytes = s.scratch_bytes;
  r.current_managed_bytes = impl_->allocator.current_bytes();
  r.peak_managed_bytes = impl_->allocator.peak_bytes();
  return r;
}

PlanSummary Session::plan() const {
  PlanSummary p;
  if (!impl_->stream) {
    p.predicted_peak_bytes = impl_->allocator.peak_bytes();
    p.resident_bytes = impl_->executor->summary().weight_bytes;
    p.text = "plan: in memory (not packed)\n";
    return p;
  }
  const Plan& plan = impl_->stream->plan();
  p.streaming = !plan.all_resident;
  p.budget_bytes = plan.budget_bytes;
  p.predicted_peak_bytes = plan.predicted_peak_bytes;
  p.resident_bytes = plan.resident_bytes;
  p.ring_bytes = plan.ring_bytes;
  p.bytes_read_per_run = plan.bytes_read_per_run;
  p.prefetch_depth = plan.prefetch_depth;
  p.blocks = static_cast<int>(plan.blocks.size());
  p.text = plan.to_string();
  p.predicted_latency_ms = plan.predicted.latency_ms;
  p.t_star_ms = plan.predicted.t_star_ms;
  p.predicted_eta = plan.predicted.eta;
  p.replan_ms = impl_->stream->last_replan_ms();
  p.cost_source = impl_->stream->plan_input().cost_source;
  p.unslice_note = impl_->stream->unslice_note();
  return p;
}

Status Session::replan(const PlanRequirement& r) {
  if (!impl_->stream) {
    return make_error(ErrorCode::InvalidArgument, "replan", "session", "in memory",
                      "only sessions over a packed model (.dsk) have a plan");
  }
  Requirement req;
  req.memory_budget_bytes = r.memory_budget_bytes;
  req.latency_ms = r.latency_ms;
  req.balance = r.balance;
  req.prefetch_depth = r.prefetch_depth;
  return impl_->stream->replan(req);
}

std::vector<Session::NodeKernel> Session::kernels() const {
  std::vector<NodeKernel> r;
  if (!impl_->executor) return r;
  const Graph& g = impl_->executor->graph();
  std::vector<std::string> names = impl_->executor->kernel_names();
  for (size_t i = 0; i < names.size(); ++i) r.push_back({g.nodes[i].name, op_name(g.nodes[i].op), names[i]});
  return r;
}

Result<PackSummary> pack_model(const std::string& model_path, const std::string& out_path,
                               const PackOptions& options) {
  DS_TRY(Graph g, load_model(ModelSource{model_path, options.weights_path, options.mean_path, options.input_shapes}));
  PrepareOptions prep;
  prep.input_shapes = options.input_shapes;
  DS_RETURN_IF_ERROR(prepare_graph(g, prep));
  PackGraphOptions po;
  po.slice_limit_bytes = options.slice_limit_bytes;
  po.threads = options.threads;
  po.progress = options.progress;
  DS_TRY(PackReport r, pack_graph(std::move(g), out_path, po));
  PackSummary s;
  s.pieces = r.pieces;
  s.piece_bytes = r.piece_bytes;
  s.inline_bytes = r.inline_bytes;
  s.file_bytes = r.file_bytes;
  for (const SlicedNode& n : r.slicing.nodes) s.sliced.push_back(n.name + ": " + std::to_string(n.slices) + " slices");
  s.unsliceable = r.slicing.unsliceable;
  return s;
}

}  // namespace deepshark
