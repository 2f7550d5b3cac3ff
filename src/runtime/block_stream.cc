#include "runtime/block_stream.h"
#include "runtime/block_stream_impl.h"

#include <chrono>
#include <optional>

#include "format/dsk_file.h"
#include "graph/flops.h"
#include "io/direct_file.h"
#include "io/loader.h"
#include "runtime/executor.h"
#include "plan/cost.h"
#include "plan/device_profile.h"
#include "plan/planner.h"
#include "runtime/kernel_factory.h"
#include "runtime/profile.h"
#include "transform/unslice.h"

namespace deepshark {

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }
}  // namespace

BlockStreamSession::BlockStreamSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BlockStreamSession::~BlockStreamSession() = default;

Result<std::unique_ptr<BlockStreamSession>> BlockStreamSession::open(const std::string& path,
                                                                     const StreamOptions& options) {
  DirectFile::Options o;
  o.direct = options.direct_io;
  DS_TRY(std::unique_ptr<DirectFile> f, DirectFile::open(path, o));
  Storage& storage = *f;
  DS_TRY(std::unique_ptr<BlockStreamSession> s, open_with_storage(path, storage, options));
  s->impl_->owned_storage = std::move(f);
  return s;
}

Status BlockStreamSession::Impl::map_pieces() {
  const auto& pieces = file->pieces();
  const auto& bindings = executor->weight_bindings();
  const Graph& g = sliced_graph;
  // Under whole nodes, a slice's parts go into the whole node's bindings (joined, not bound).
  const std::vector<bool> in_group = whole_nodes ? slices_of_groups() : std::vector<bool>(g.nodes.size(), false);
  std::vector<int> covered(bindings.size(), 0);
  std::vector<bool> joined(bindings.size(), false);
  piece_bindings.assign(pieces.size(), {});
  piece_joins.assign(pieces.size(), {});
  piece_labels.clear();
  for (size_t p = 0; p < pieces.size(); ++p) {
    const format::PieceEntry& e = pieces[p];
    const std::string node = e.node < g.nodes.size() ? g.nodes[e.node].name : "?";
    piece_labels.push_back(std::to_string(p) + " (node '" + node + "')");
    const int step = whole_nodes ? unsliced->node_of[e.node] : static_cast<int>(e.node);
    for (size_t k = 0; k < e.parts.size(); ++k) {
      const format::PiecePart& part = e.parts[k];
      bool slot = part.role == format::PartRole::WeightSlot;
      size_t found = bindings.size();
      for (size_t i = 0; i < bindings.size(); ++i) {
        const WeightBinding& b = bindings[i];
        if (b.step == step && (slot ? b.slot == static_cast<int>(part.index)
                                    : (b.slot < 0 && b.input == static_cast<int>(part.index)))) {
          found = i;
          break;
        }
      }
      std::string what = std::string(slot ? "weight slot " : "input ") + std::to_string(part.index);
      if (found == bindings.size()) {
        return make_error(ErrorCode::InvalidModel, "open", "block stream", path,
                          "piece " + std::to_string(p) + " holds " + what + " of node '" + node +
                              "', which this machine's kernel does not read: re-pack with 'deepshark pack'");
      }
      const WeightBinding& b = bindings[found];
      ++covered[found];
      if (in_group[e.node]) {
        joined[found] = true;
        piece_joins[p].push_back({found, k});
        continue;
      }
      if (b.layout != part.layout || b.bytes != part.bytes) {
        return make_error(ErrorCode::InvalidModel, "open", "block stream", path,
                          "node '" + node + "' " + what + " was packed as " + part.layout + " (" +
                              std::to_string(part.bytes) + " bytes) but this machine's kernel reads " + b.layout +
                              " (" + std::to_string(b.bytes) + " bytes): re-pack with 'deepshark pack'");
      }
      piece_bindings[p].push_back({found, part.offset});
    }
  }
  const Graph& eg = executor->graph();
  for (size_t i = 0; i < bindings.size(); ++i) {
    if (bindings[i].external && covered[i] != 1 && !(joined[i] && covered[i] > 1)) {
      return make_error(ErrorCode::InvalidModel, "open", "block stream", path,
                        "weight of node '" + eg.nodes[bindings[i].step].name + "' is stored in " +
                            std::to_string(covered[i]) + " pieces " + expected_got("1", std::to_string(covered[i])));
    }
  }
  return Status::ok_status();
}

void BlockStreamSession::Impl::bind_piece(int piece, const std::byte* base) {
  for (const auto& [binding, offset] : piece_bindings[piece]) executor->bind_weight(binding, base + offset);
}

ReadRequest BlockStreamSession::Impl::piece_request(int p, std::byte* dst) const {
  const format::PieceEntry& e = file->pieces()[p];
  ReadRequest r;
  r.offset = e.offset;
  r.bytes = e.bytes;
  r.dst = dst;
  r.checksum = e.checksum;
  r.label = piece_labels[p];
  return r;
}

Status BlockStreamSession::Impl::read_piece(int p, std::byte* dst) {
  DS_TRY(Ticket t, loader->submit(piece_request(p, dst)));
  Status s = loader->wait(t);
  if (!s.ok()) loader->cancel_all();
  return s;
}

Status BlockStreamSession::Impl::load_resident() {
  const auto& pieces = file->pieces();
  resident.resize(pieces.size());
  for (int p : plan.resident) {
    if (!piece_joins[p].empty()) continue;  // joined into a whole node's weight
    if (resident[p].data()) {
      bind_piece(p, resident[p].data());
      continue;
    }
    const format::PieceEntry& e = pieces[p];
    DS_TRY(Buffer b, Buffer::allocate(allocator, aligned_piece_bytes(e.bytes), MemoryClass::Weights,
                                      "resident piece", false, kPieceAlignment));
    DS_RETURN_IF_ERROR(read_piece(p, b.data()));
    bind_piece(p, b.data());
    resident[p] = std::move(b);
  }
  return Status::ok_status();
}

Status BlockStreamSession::Impl::build_executor(bool whole) {
  piece_bindings.clear();
  piece_joins.clear();
  joined_weights.clear();
  executor.reset();
  whole_nodes = whole;
  Graph g = whole ? unsliced->graph : sliced_graph;
  DS_TRY(executor, Executor::create(std::move(g), executor_options, allocator));
  return map_pieces();
}

Result<Plan> BlockStreamSession::Impl::make_plan(const Requirement& req) const {
  if (options.greedy_planner) return plan_greedy(plan_input, req);
  return plan_optimal(plan_input, req);
}

// Frees what the next plan does not keep, then reads new resident pieces and sizes the ring.
Status BlockStreamSession::Impl::apply_plan(Plan next, bool reset_peak) {
  plan_in_place = false;
  ring = Buffer();
  std::vector<bool> keep(file->pieces().size(), false);
  for (int p : next.resident) keep[p] = true;
  resident.resize(file->pieces().size());
  for (size_t p = 0; p < resident.size(); ++p) {
    if (!keep[p]) resident[p] = Buffer();
  }
  if (whole_nodes && !next.whole_nodes) {
    // The whole nodes' executor and joined weights go too (the sliced executor is built below).
    executor.reset();
    joined_weights.clear();
  }
  if (reset_peak) allocator.reset_peak();
  plan = std::move(next);
  allocator.set_limit(plan.budget_bytes);
  unslice_note.clear();
  bool whole = plan.whole_nodes;
  // A group whose weights cannot be joined (a layout oneDNN cannot address, a square slice whose
  // orientation is unknown) stays sliced: try again without it. No room under the budget for the
  // joined weights: every slice runs.
  bool joined = whole && whole_nodes && executor;
  std::string first_failure;
  while (whole && !joined) {
    if (!unsliced) {
      DS_TRY(UnslicedGraph u, unslice_graph(sliced_graph, keep_sliced));
      unsliced = std::move(u);
    }
    if (unsliced->groups.empty()) break;
    failed_group.clear();
    Status s = use_whole_nodes();
    if (s.ok()) {
      joined = true;
      break;
    }
    if (first_failure.empty()) first_failure = s.message();
    // A group that cannot be joined costs a rebuild and a re-read: at most kMaxJoinRetries.
    constexpr size_t kMaxJoinRetries = 8;
    if (failed_group.empty() || keep_sliced.size() >= kMaxJoinRetries || !keep_sliced.insert(failed_group).second) {
      // The budget has no room for the joined weights: run the slices. Other errors (reads,
      // memory without a budget) are the plan's errors.
      if (s.code() != ErrorCode::OutOfMemory || allocator.limit() == 0) return s;
      break;
    }
    unsliced.reset();
  }
  if (whole && joined && !keep_sliced.empty()) {
    unslice_note = std::to_string(keep_sliced.size()) + " sliced node(s) stay sliced" +
                   (first_failure.empty() ? "" : ": " + first_failure);
  } else if (whole && !joined && !first_failure.empty()) {
    unslice_note = "sliced nodes run as slices: " + first_failure;
  } else if (plan.all_resident && !whole && !whole_nodes_error.empty()) {
    unslice_note = "sliced nodes run as slices: " + whole_nodes_error;
  } else if (plan.all_resident && !whole && plan_input.whole_nodes_peak_bytes > 0) {
    unslice_note = "sliced nodes run as slices: running them whole needs " +
                   format_size(plan_input.whole_nodes_peak_bytes) + ", the budget is " + format_size(plan.budget_bytes);
  }
  if (!joined && (whole_nodes || !executor)) {
    DS_RETURN_IF_ERROR(build_executor(false));
  }
  DS_RETURN_IF_ERROR(load_resident());
  if (!plan.blocks.empty()) {
    DS_TRY(ring, Buffer::allocate(allocator, plan.ring_bytes, MemoryClass::IOBuffers, "weight ring", false,
                                  kPieceAlignment));
  }
  block_piece_offset.assign(file->pieces().size(), 0);
  tickets.assign(plan.blocks.size(), {});
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    uint64_t off = 0;
    for (int p : plan.blocks[b].pieces) {
      block_piece_offset[p] = off;
      off += aligned_piece_bytes(file->pieces()[p].bytes);
    }
    tickets[b].reserve(plan.blocks[b].pieces.size());
  }
  plan_in_place = true;
  return Status::ok_status();
}

Status BlockStreamSession::Impl::prepare(const std::string& dsk_path, Storage& st, const StreamOptions& opts,
                                        bool enforce_budget) {
  path = dsk_path;
  options = opts;
  if (options.threads < 1 || options.threads > 256) {
    return make_error(ErrorCode::InvalidArgument, "open", "block stream", path,
                      "bad thread count " + expected_got("1..256", std::to_string(options.threads)));
  }
  DS_TRY(format::DskFile f, format::DskFile::open(path));
  file = std::make_unique<format::DskFile>(std::move(f));
  const LayoutEnvironment env = layout_environment(options.threads);
  if (options.use_dnnl) {
    DS_RETURN_IF_ERROR(file->check_compatible(env.isa, env.dnnl_version, static_cast<uint32_t>(options.threads)));
  }
  if (st.size() < file->header().file_bytes) {
    return make_error(ErrorCode::Corruption, "open", "block stream", path,
                      "file is shorter than its header says " +
                          expected_got(std::to_string(file->header().file_bytes) + " bytes",
                                       std::to_string(st.size())));
  }
  storage = &st;
  // Piece-backed weights are constants without data: kernels see weights, bytes come later.
  Graph g = std::move(file->graph());
  for (ValueId id : file->piece_backed()) {
    Value& v = g.value(id);
    v.constant = Tensor::shape_only(v.dtype, v.shape);
  }
  // A packed weight is never smaller than its plain tensor (oneDNN layouts only pad): a part
  // whose value declares more bytes than the part holds is refused before any kernel is built
  // (fuzz: a 40 KB file declaring a 2.7 GB convolution weight spent seconds and 335 MB of
  // oneDNN's memory on building its kernel before the layout check refused it).
  for (size_t p = 0; p < file->pieces().size(); ++p) {
    for (const format::PiecePart& part : file->pieces()[p].parts) {
      if (part.value_id < 0 || static_cast<size_t>(part.value_id) >= g.values.size()) continue;
      const Value& v = g.value(part.value_id);
      const std::optional<int64_t> n = v.shape_known ? checked_numel(v.shape) : std::nullopt;
      const uint64_t plain = n ? static_cast<uint64_t>(*n) * dtype_size(v.dtype) : 0;
      if (v.shape_known && (!n || plain / dtype_size(v.dtype) != static_cast<uint64_t>(*n) || plain > part.bytes)) {
        return make_error(ErrorCode::Corruption, "open", "block stream", path,
                          "piece " + std::to_string(p) + " holds " + std::to_string(part.bytes) +
                              " bytes of weight '" + v.name + "' whose shape " + shape_to_string(v.shape) +
                              " needs more " + expected_got(">= " + std::to_string(plain) + " bytes",
                                                            std::to_string(part.bytes) + " bytes"));
      }
    }
  }
  plan_input.model = path;
  plan_input.reserve_bytes = options.unmanaged_reserve_bytes;
  for (size_t p = 0; p < file->pieces().size(); ++p) {
    const format::PieceEntry& e = file->pieces()[p];
    plan_input.pieces.push_back({g.nodes[e.node].name, e.bytes, static_cast<int>(e.node), node_flops(g, g.nodes[e.node])});
  }
  for (const Node& n : g.nodes) plan_input.node_names.push_back(n.name);

  ExecutorOptions ex;
  ex.threads = options.threads;
  ex.use_dnnl = options.use_dnnl;
  ex.profile_nodes = true;  // two clock reads per node: the measured times feed replan()
  executor_options = ex;
  sliced_graph = g;
  uint64_t planned = 0;
  ex.planned_bytes = &planned;
  const Requirement& req = options.requirement;
  if (enforce_budget) allocator.set_limit(req.memory_budget_bytes);
  auto created = Executor::create(std::move(g), ex, allocator);
  if (!created.ok()) {
    // Fixed memory over the budget: the planner says what the smallest budget is, as for any
    // other infeasible budget.
    if (created.status().code() == ErrorCode::OutOfMemory && req.memory_budget_bytes != 0 &&
        allocator.current_bytes() + planned > req.memory_budget_bytes) {
      plan_input.fixed_bytes = allocator.current_bytes() + planned;
      Result<Plan> p = make_plan(req);
      if (!p.ok()) return p.status();
    }
    return created.status();
  }
  executor = std::move(created).value();
  DS_RETURN_IF_ERROR(map_pieces());

  // Plan: fixed memory is what the executor already holds.
  plan_input.fixed_bytes = allocator.current_bytes();
  plan_input.arena_bytes = executor->arena_layout().total_bytes;
  plan_input.arena_lower_bound_bytes = executor->arena_layout().lower_bound_bytes;
  plan_input.arena_order = executor->arena_layout().order;
  if (options.unslice_resident) {
    // A model whose whole nodes cannot be built runs its all-resident plans as slices (said then).
    Result<uint64_t> w = whole_nodes_peak();
    if (w.ok()) {
      plan_input.whole_nodes_peak_bytes = *w;
    } else if (w.status().code() == ErrorCode::OutOfMemory) {
      return w.status();  // the machine's memory, not the model: open fails as for any allocation
    } else {
      whole_nodes_error = w.status().message();
      unsliced.reset();
    }
  }
  const Graph& graph = executor->graph();
  plan_input.node_ms = estimate_node_ms(graph, options.threads);
  if (!options.profile_path.empty()) {
    DS_TRY(DeviceProfile prof, read_device_profile(options.profile_path));
    DS_RETURN_IF_ERROR(apply_device_profile(prof, options.threads, &plan_input));
    plan_input.cost_source = "profile " + options.profile_path +
                             (prof.node_ms.empty() ? " (storage only; node times from FLOPs)" : "");
    measured_node_ms = !prof.node_ms.empty();
  } else {
    // The probe buffer is accounted and limited to what the budget leaves; it is freed before the
    // plan's memory is allocated, so the peak restarts after it (peak managed memory is the plan's).
    DS_TRY(plan_input.io, quick_io_cost(*storage, file->header().file_bytes, &allocator));
    allocator.reset_peak();
    plan_input.cost_source = "built-in: a few direct reads of the model file, node times from FLOPs "
                             "(give --profile for a measured device profile)";
  }
  return Status::ok_status();
}

Result<std::unique_ptr<BlockStreamSession>> BlockStreamSession::open_with_storage(const std::string& path,
                                                                                  Storage& storage,
                                                                                  const StreamOptions& options) {
  auto m = std::make_unique<Impl>();
  DS_RETURN_IF_ERROR(m->prepare(path, storage, options, /*enforce_budget=*/true));
  DS_TRY(Plan first, m->make_plan(options.requirement));

  uint32_t capacity = static_cast<uint32_t>(m->file->pieces().size() + 1);
  DS_TRY(m->loader, Loader::create(*m->storage, capacity));
  DS_RETURN_IF_ERROR(m->apply_plan(std::move(first)));
  return std::unique_ptr<BlockStreamSession>(new BlockStreamSession(std::move(m)));
}

Status BlockStreamSession::Impl::submit_block(int b) {
  std::byte* slot = ring.data() + static_cast<uint64_t>(b % plan.ring_slots) * plan.ring_slot_bytes;
  tickets[b].clear();
  for (int p : plan.blocks[b].pieces) {
    DS_TRY(Ticket t, loader->submit(piece_request(p, slot + block_piece_offset[p])));
    tickets[b].push_back(t);
  }
  return Status::ok_status();
}

Result<std::vector<Tensor>> BlockStreamSession::run(std::span<const TensorView> inputs) {
  Impl& m = *impl_;
  if (!m.plan_in_place) {
    // A replan failed and so did restoring the previous plan: try again now.
    Status s = m.apply_plan(m.plan);
    if (!s.ok()) {
      m.loader->cancel_all();
      return s.with_context("failed to run block stream '" + m.path + "': cannot restore its plan after a failed replan");
    }
  }
  const auto t0 = Clock::now();
  m.report = StreamReport();
  m.report.direct_io = false;
  if (auto* df = dynamic_cast<DirectFile*>(m.storage)) m.report.direct_io = df->is_direct();
  m.loader->reset_stats();
  DS_RETURN_IF_ERROR(m.executor->bind_inputs(inputs));
  const int nb = static_cast<int>(m.plan.blocks.size());
  const auto& pieces = m.file->pieces();
  auto fail = [&](const Status& s) -> Status {
    m.loader->cancel_all();
    return s;
  };
  int step = 0;
  double compute_ms = 0;
  for (int b = 0; b < std::min(nb, m.plan.ring_slots); ++b) {
    Status s = m.submit_block(b);
    if (!s.ok()) return fail(s);
  }
  for (int b = 0; b < nb; ++b) {
    for (Ticket t : m.tickets[b]) {
      Status s = m.loader->wait(t);
      if (!s.ok()) return fail(s);
    }
    std::byte* slot = m.ring.data() + static_cast<uint64_t>(b % m.plan.ring_slots) * m.plan.ring_slot_bytes;
    for (int p : m.plan.blocks[b].pieces) m.bind_piece(p, slot + m.block_piece_offset[p]);
    const int end = b + 1 < nb ? static_cast<int>(pieces[m.plan.blocks[b + 1].pieces.front()].node)
                               : m.executor->step_count();
    const auto c0 = Clock::now();
    Status s = m.executor->run_steps(step, end);
    compute_ms += ms_since(c0);
    if (!s.ok()) return fail(s);
    step = end;
    if (b + m.plan.ring_slots < nb) {
      s = m.submit_block(b + m.plan.ring_slots);
      if (!s.ok()) return fail(s);
    }
    if (m.options.progress) m.options.progress(b + 1, nb);
  }
  if (step < m.executor->step_count()) {
    const auto c0 = Clock::now();
    DS_RETURN_IF_ERROR(m.executor->run_steps(step, m.executor->step_count()));
    compute_ms += ms_since(c0);
  }
  DS_TRY(std::vector<Tensor> outs, m.executor->collect_outputs());
  const LoaderStats st = m.loader->stats();
  m.report.bytes_read = st.bytes_read;
  m.report.read_ms = st.read_ns / 1e6;
  m.report.stall_ms = st.stall_ns / 1e6;
  m.report.compute_ms = compute_ms;
  m.report.wall_ms = ms_since(t0);
  m.report.eta = m.report.wall_ms > 0 ? std::max(m.report.read_ms, compute_ms) / m.report.wall_ms : 0;
  m.report.peak_managed_bytes = m.allocator.peak_bytes();
  m.report.blocks = nb;
  m.report.unsliced_nodes = m.whole_nodes ? static_cast<int>(m.unsliced->groups.size()) : 0;
  if (m.whole_nodes) {
    m.last_node_ms.clear();
  } else {
    m.last_node_ms = m.executor->node_times_ms();
  }
  return outs;
}

Status BlockStreamSession::replan(const Requirement& requirement) {
  Impl& m = *impl_;
  const auto t0 = Clock::now();
  if (!m.last_node_ms.empty() && m.last_node_ms.size() == m.plan_input.node_ms.size() && !m.measured_node_ms) {
    m.plan_input.node_ms = m.last_node_ms;
    m.measured_node_ms = true;
    m.plan_input.cost_source += "; node times measured in a run";
  }
  DS_TRY(Plan next, m.make_plan(requirement));
  m.replan_ms = ms_since(t0);
  Plan previous = m.plan;
  Status s = m.apply_plan(std::move(next), /*reset_peak=*/true);
  if (!s.ok()) {
    m.loader->cancel_all();
    Status back = m.apply_plan(std::move(previous));
    if (!back.ok()) return s.with_context("failed to restore the previous plan: " + back.message());
  }
  return s;
}

double BlockStreamSession::last_replan_ms() const { return impl_->replan_ms; }
const std::vector<double>& BlockStreamSession::node_times_ms() const { return impl_->last_node_ms; }

Result<PlanInput> BlockStreamSession::plan_input_of(const std::string& dsk_path, const StreamOptions& options) {
  DirectFile::Options o;
  o.direct = options.direct_io;
  DS_TRY(std::unique_ptr<DirectFile> f, DirectFile::open(dsk_path, o));
  Impl m;
  DS_RETURN_IF_ERROR(m.prepare(dsk_path, *f, options, /*enforce_budget=*/false));
  return m.plan_input;
}

const Graph& BlockStreamSession::graph() const { return impl_->sliced_graph; }
const std::string& BlockStreamSession::unslice_note() const { return impl_->unslice_note; }
const Plan& BlockStreamSession::plan() const { return impl_->plan; }
const PlanInput& BlockStreamSession::plan_input() const { return impl_->plan_input; }
const StreamReport& BlockStreamSession::last_report() const { return impl_->report; }
uint64_t BlockStreamSession::peak_managed_bytes() const { return impl_->allocator.peak_bytes(); }
uint64_t BlockStreamSession::current_managed_bytes() const { return impl_->allocator.current_bytes(); }
uint64_t BlockStreamSession::memory_limit_bytes() const { return impl_->allocator.limit(); }
uint64_t BlockStreamSession::weight_bytes() const {
  uint64_t t = 0;
  for (const PieceSummary& p : impl_->plan_input.pieces) t += aligned_piece_bytes(p.bytes);
  return t;
}

}  // namespace deepshark
