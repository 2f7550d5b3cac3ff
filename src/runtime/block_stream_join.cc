// Running sliced nodes whole when every piece is resident (BlockStreamSession, DESIGN §5): the
// memory of that form foreseen at open (whole_nodes_peak), and the slices' weights joined into
// the unsliced kernels' layouts when such a plan is applied (use_whole_nodes).
#include <cstring>

#include "kernels/dnnl/dnnl_kernels.h"
#include "runtime/block_stream_impl.h"

namespace deepshark {

namespace {

// The executor's arena and scratchpad while no run uses them, handed out front to back at piece
// alignment; what was handed out is not given back.
class IdleMemory {
 public:
  explicit IdleMemory(Executor& e) : regions_{e.idle_arena(), e.idle_scratch()} {}
  std::byte* take(uint64_t bytes) {
    for (std::span<std::byte>& r : regions_) {
      const uint64_t skip = (kPieceAlignment - reinterpret_cast<uintptr_t>(r.data()) % kPieceAlignment) % kPieceAlignment;
      if (r.data() && r.size() >= skip + bytes) {
        std::byte* at = r.data() + skip;
        r = r.subspan(skip + bytes);
        return at;
      }
    }
    return nullptr;
  }

 private:
  std::vector<std::span<std::byte>> regions_;
};

// Bytes of a plain float copy of a value of this shape (a staging copy).
uint64_t plain_bytes(const Shape& shape) { return static_cast<uint64_t>(checked_numel(shape).value_or(0)) * sizeof(float); }

}  // namespace

std::vector<bool> BlockStreamSession::Impl::slices_of_groups() const {
  std::vector<bool> in_group(sliced_graph.nodes.size(), false);
  for (const UnslicedGroup& grp : unsliced->groups) {
    for (int n : grp.slices) in_group[n] = true;
  }
  return in_group;
}

Status BlockStreamSession::Impl::use_whole_nodes() {
  // Pieces of sliced nodes still resident from a streaming plan are joined from memory rather
  // than read again, where the budget holds them beside the joined weights; else they go first.
  uint64_t held = 0;
  const std::vector<bool> in_group = slices_of_groups();
  for (size_t p = 0; p < resident.size(); ++p) {
    if (resident[p].data() && in_group[file->pieces()[p].node]) held += resident[p].size();
  }
  if (held > 0 && allocator.limit() != 0 && plan_input.whole_nodes_peak_bytes + held > allocator.limit()) {
    for (size_t p = 0; p < resident.size(); ++p) {
      if (in_group[file->pieces()[p].node]) resident[p] = Buffer();
    }
  }
  DS_RETURN_IF_ERROR(build_executor(true));
  DS_RETURN_IF_ERROR(load_resident());
  return join_sliced_weights();
}

namespace {

// Whether the whole node's kernel holds weight input `input` with its first two dims swapped
// relative to the value (layout_swaps_value's hint for square weights): inner product weights are
// [N, K], matmul's [K, N], deconvolution's [O, I] for an [I, O] value. -1: not known.
int swap_hint(const Node& n, int input, const std::string& kernel) {
  if (input != 1) return -1;
  const bool value_nk = n.op == OpType::Gemm && n.attrs.get_int("transB", 0) != 0;  // else [K, N]
  if (n.op == OpType::Gemm || n.op == OpType::MatMul) {
    if (kernel.find("inner_product") != std::string::npos) return value_nk ? 0 : 1;
    if (kernel.find("matmul") != std::string::npos) return value_nk ? 1 : 0;
    return -1;
  }
  if (kernel.find("deconvolution") != std::string::npos) return 1;
  if (kernel.find("convolution") != std::string::npos) return 0;
  return -1;
}

}  // namespace

Result<uint64_t> BlockStreamSession::Impl::whole_nodes_peak() {
  if (!unsliced) {
    DS_TRY(UnslicedGraph u, unslice_graph(sliced_graph, keep_sliced));
    unsliced = std::move(u);
  }
  if (unsliced->groups.empty()) return uint64_t{0};
  CountingAllocator probe;
  ExecutorOptions ex = executor_options;
  ex.planned_bytes = nullptr;
  DS_TRY(std::unique_ptr<Executor> e, Executor::create(Graph(unsliced->graph), ex, probe));
  const std::vector<bool> in_group = slices_of_groups();
  std::vector<bool> whole_step(unsliced->graph.nodes.size(), false);
  for (const UnslicedGroup& grp : unsliced->groups) whole_step[grp.node] = true;
  uint64_t held = probe.current_bytes();
  for (const WeightBinding& b : e->weight_bindings()) {
    if (b.external && whole_step[b.step]) held += b.bytes;
  }
  uint64_t largest = 0;
  for (const format::PieceEntry& p : file->pieces()) {
    if (p.node < in_group.size() && in_group[p.node]) {
      largest = std::max(largest, aligned_piece_bytes(p.bytes));
    } else {
      held += aligned_piece_bytes(p.bytes);
    }
  }
  // As join_sliced_weights takes memory: the read area first, then each plain staging copy, from
  // the idle arena and scratchpad, or a later node's joined weight; what fits nowhere is allocated
  // (staging: until its node is joined, so one node's at a time).
  IdleMemory idle(*e);
  if (largest > 0 && !idle.take(largest)) held += largest;
  const std::vector<std::string> kernels = e->kernel_names();
  const Graph& eg = e->graph();
  uint64_t staging_peak = 0;
  // Joined weights a staging copy may borrow: those of the groups after it (join_sliced_weights).
  std::vector<int> group_of_step(eg.nodes.size(), -1);
  for (size_t g = 0; g < unsliced->groups.size(); ++g) group_of_step[unsliced->groups[g].node] = static_cast<int>(g);
  for (size_t g = 0; g < unsliced->groups.size(); ++g) {
    const UnslicedGroup& grp = unsliced->groups[g];
    std::set<size_t> lent;
    auto borrow = [&](uint64_t bytes) {
      const auto& bs = e->weight_bindings();
      for (size_t j = 0; j < bs.size(); ++j) {
        if (bs[j].external && group_of_step[bs[j].step] > static_cast<int>(g) && bs[j].bytes >= bytes && lent.insert(j).second) {
          return true;
        }
      }
      return false;
    };
    const Node& n = eg.nodes[grp.node];
    SlicePlan sp;
    if (!plan_slice(eg, n, &sp).empty()) continue;  // the join fails this group: it stays sliced
    uint64_t staged = 0;
    for (const WeightBinding& b : e->weight_bindings()) {
      if (!b.external || b.step != grp.node || b.value == kNoValue) continue;
      const int axis = b.input == sp.weight_input ? sp.weight_axis : b.input == sp.bias_input ? sp.bias_axis : -1;
      if (axis < 0) continue;
      dnnl_backend::WeightRegion whole{b.layout, eg.value(b.value).shape, false, nullptr, b.bytes};
      Result<bool> sw = dnnl_backend::layout_swaps_value(b.layout, whole.value_shape, swap_hint(n, b.input, kernels[b.step]));
      if (!sw.ok()) continue;
      whole.swap01 = *sw;
      int64_t at = 0;
      bool direct = true;
      for (int slice : grp.slices) {
        const ValueId v = sliced_graph.nodes[slice].input(b.input);
        if (v == kNoValue || static_cast<size_t>(axis) >= sliced_graph.value(v).shape.size()) break;
        const int64_t extent = sliced_graph.value(v).shape[axis];
        Result<bool> ok = dnnl_backend::addresses_range(whole, axis, at, extent);
        if (ok.ok() && !*ok) {
          direct = false;
          break;
        }
        at += extent;
      }
      if (direct) continue;
      const uint64_t plain = plain_bytes(whole.value_shape);
      if (!idle.take(plain) && !borrow(plain)) staged += plain;
    }
    staging_peak = std::max(staging_peak, staged);
  }
  return std::max(probe.peak_bytes(), held + staging_peak);
}


Status BlockStreamSession::Impl::join_sliced_weights() {
  const auto& bindings = executor->weight_bindings();
  const auto& pieces = file->pieces();
  const Graph& eg = executor->graph();
  const std::vector<std::string> kernels = executor->kernel_names();
  joined_weights.clear();
  joined_weights.resize(bindings.size());
  // Pieces are read, and joined in a plain staging copy where needed, in memory the plan already
  // holds: the executor's arena and scratchpad are idle between runs. Only what does not fit there
  // is allocated (and may not fit under the budget).
  IdleMemory idle(*executor);
  // What did not fit in idle memory, per use (the read area: index 0; binding i's staging: 1 + i),
  // freed as soon as that use ends.
  std::vector<Buffer> owned(bindings.size() + 1);
  // Binding i's staging copy may also live in the joined weight of a node whose slices come after
  // the piece being joined (lent until node i is complete: nothing writes it before).
  std::vector<int> first_piece(bindings.size(), -1), lent_to(bindings.size(), -1), staged_in(bindings.size(), -1);
  std::vector<bool> padded(bindings.size(), false);
  auto borrow = [&](size_t i, size_t p, uint64_t bytes) -> std::byte* {
    for (size_t j = 0; j < bindings.size(); ++j) {
      if (j != i && joined_weights[j].data() && lent_to[j] < 0 && first_piece[j] > static_cast<int>(p) &&
          joined_weights[j].size() >= bytes) {
        lent_to[j] = static_cast<int>(i);
        staged_in[i] = static_cast<int>(j);
        return joined_weights[j].data();
      }
    }
    return nullptr;
  };
  auto scratch = [&](uint64_t bytes, const char* what, size_t use) -> Result<std::byte*> {
    if (std::byte* at = idle.take(bytes)) return at;
    DS_TRY(owned[use], Buffer::allocate(allocator, bytes, MemoryClass::IOBuffers, what, false, kPieceAlignment));
    return owned[use].data();
  };
  uint64_t largest = 0;
  for (size_t p = 0; p < pieces.size(); ++p) {
    if (!piece_joins[p].empty() && !resident[p].data()) largest = std::max(largest, aligned_piece_bytes(pieces[p].bytes));
  }
  std::byte* read_area = nullptr;
  if (largest > 0) {
    DS_TRY(read_area, scratch(largest, "piece to join", 0));
  }
  std::vector<dnnl_backend::WeightRegion> staging(bindings.size());
  std::vector<dnnl_backend::WeightRegion> whole(bindings.size());
  std::vector<int> axis(bindings.size(), -1);
  std::vector<int64_t> at(bindings.size(), 0);
  auto fail_group = [&](size_t binding, const Status& s) {
    failed_group = eg.nodes[bindings[binding].step].name;
    return s.with_context("failed to join the slices of node '" + failed_group + "'");
  };
  for (size_t p = 0; p < pieces.size(); ++p) {
    for (const auto& [i, part] : piece_joins[p]) {
      if (joined_weights[i].data()) continue;
      const WeightBinding& b = bindings[i];
      const Node& n = eg.nodes[b.step];
      SlicePlan sp;
      const std::string why = plan_slice(eg, n, &sp);
      axis[i] = b.input == sp.weight_input ? sp.weight_axis : b.input == sp.bias_input ? sp.bias_axis : -1;
      if (!why.empty() || axis[i] < 0 || b.value == kNoValue) {
        return fail_group(i, make_error(ErrorCode::Unsupported, "join", "node", n.name, "input " + std::to_string(b.input) +
                                                                                             " is not sliced"));
      }
      // A padded layout's padding must read as zeros; the parts write only the value's elements.
      padded[i] = b.bytes > plain_bytes(eg.value(b.value).shape);
      DS_TRY(joined_weights[i], Buffer::allocate(allocator, b.bytes, MemoryClass::Weights, "joined weight", padded[i],
                                                 kPieceAlignment));
      first_piece[i] = static_cast<int>(p);
      whole[i] = {b.layout, eg.value(b.value).shape, false, joined_weights[i].data(), b.bytes};
      Result<bool> sw = dnnl_backend::layout_swaps_value(b.layout, whole[i].value_shape, swap_hint(n, b.input, kernels[b.step]));
      if (!sw.ok()) return fail_group(i, sw.status());
      whole[i].swap01 = *sw;
      executor->bind_weight(i, joined_weights[i].data());
    }
  }
  for (size_t p = 0; p < pieces.size(); ++p) {
    if (piece_joins[p].empty()) continue;
    const format::PieceEntry& e = pieces[p];
    const Node& slice = sliced_graph.nodes[e.node];
    std::byte* src = resident[p].data();
    if (!src) {
      DS_RETURN_IF_ERROR(read_piece(static_cast<int>(p), read_area));
      src = read_area;
    }
    for (const auto& [i, k] : piece_joins[p]) {
      const format::PiecePart& pp = e.parts[k];
      const WeightBinding& b = bindings[i];
      const ValueId v = slice.input(b.input);
      if (v == kNoValue) return fail_group(i, make_error(ErrorCode::InvalidModel, "join", "node", slice.name, "missing weight"));
      dnnl_backend::WeightRegion part{pp.layout, sliced_graph.value(v).shape, false, src + pp.offset, pp.bytes};
      // Convolution weights are [O, I, ...] in every kernel; deconvolution's [O, I, ...] hold an
      // [I, O, ...] value. A fully connected slice's kernel is not known here.
      const int hint = slice.op == OpType::Conv ? 0 : slice.op == OpType::ConvTranspose ? 1 : -1;
      Result<bool> sw = dnnl_backend::layout_swaps_value(pp.layout, part.value_shape, b.slot >= 0 ? hint : -1);
      if (!sw.ok()) return fail_group(i, sw.status());
      part.swap01 = *sw;
      Status s = staging[i].data ? dnnl_backend::insert_part(part, staging[i], axis[i], at[i])
                                 : dnnl_backend::insert_part(part, whole[i], axis[i], at[i]);
      if (!s.ok() && s.code() == ErrorCode::Unsupported && !staging[i].data) {
        // oneDNN cannot address this range of the whole layout: join in a plain copy, re-lay at the end.
        const uint64_t bytes = plain_bytes(whole[i].value_shape);
        std::byte* area_in = idle.take(bytes);
        if (!area_in) area_in = borrow(i, p, bytes);
        Result<std::byte*> area_or = area_in ? Result<std::byte*>(area_in) : scratch(bytes, "joining weight", 1 + i);
        if (!area_or.ok()) {
          // Under a budget, no room to stage this node: it stays sliced, the others are joined.
          if (allocator.limit() != 0 && area_or.status().code() == ErrorCode::OutOfMemory) {
            return fail_group(i, area_or.status());
          }
          return area_or.status();
        }
        std::byte* area = *area_or;
        staging[i] = {"plain", whole[i].value_shape, false, area, bytes};
        s = at[i] > 0 ? dnnl_backend::copy_whole(whole[i], staging[i]) : Status::ok_status();
        if (s.ok()) s = dnnl_backend::insert_part(part, staging[i], axis[i], at[i]);
      }
      if (!s.ok()) return fail_group(i, s);
      at[i] += part.value_shape[axis[i]];
      if (staging[i].data && at[i] == whole[i].value_shape[axis[i]]) {
        // Complete: re-lay the plain copy into the kernel's layout and let its memory go.
        s = dnnl_backend::copy_whole(staging[i], whole[i]);
        if (!s.ok()) return fail_group(i, s);
        staging[i].data = nullptr;
        owned[1 + i] = Buffer();
        if (const int j = staged_in[i]; j >= 0) {
          lent_to[j] = -1;
          staged_in[i] = -1;
          if (padded[j]) std::memset(joined_weights[j].data(), 0, joined_weights[j].size());
        }
      }
    }
    resident[p] = Buffer();  // its bytes now live in the joined weight
  }
  for (size_t i = 0; i < bindings.size(); ++i) {
    if (joined_weights[i].data() && at[i] != whole[i].value_shape[axis[i]]) {
      return fail_group(i, make_error(ErrorCode::InvalidModel, "open", "block stream", path,
                                      "its slices cover " + std::to_string(at[i]) + " of " +
                                          std::to_string(whole[i].value_shape[axis[i]]) + " output channels"));
    }
  }
  return Status::ok_status();
}

}  // namespace deepshark
