#include "runtime/lifetimes.h"

#include <algorithm>

namespace deepshark {

bool is_alias_node(const Graph& g, const Node& n) {
  switch (n.op) {
    case OpType::Reshape:
    case OpType::Flatten:
    case OpType::Squeeze:
    case OpType::Unsqueeze:
    case OpType::Identity:
    case OpType::Dropout:
      break;
    default:
      return false;
  }
  ValueId in = n.input(0);
  if (in == kNoValue || g.value(in).is_constant() || n.outputs.empty() || n.outputs[0] == kNoValue) return false;
  const Value& out = g.value(n.outputs[0]);
  const Value& src = g.value(in);
  return out.shape_known && src.shape_known && out.dtype == src.dtype && numel(out.shape) == numel(src.shape);
}

namespace {

// Whether a range along `axis` of a 4-D nhwc tensor is one contiguous run at the offset a
// row-major NCHW tensor would have it (range start x the product of the dims after `axis`).
bool contiguous_in_channels_last(const Shape& s, int64_t axis) {
  if (s.size() != 4) return true;  // only 4-D values are ever Blocked
  return axis == 0 || (axis == 1 && s[2] == 1 && s[3] == 1);
}

// The integers of constant input i (I64 or I32), or false.
bool constant_ints(const Graph& g, const Node& n, size_t i, std::vector<int64_t>* out) {
  const ValueId v = n.input(i);
  if (v == kNoValue || !g.value(v).is_constant() || !g.value(v).constant->has_data()) return false;
  const Tensor& t = *g.value(v).constant;
  out->clear();
  for (int64_t k = 0; k < t.numel(); ++k) {
    if (t.dtype() == DType::I64) {
      out->push_back(t.data<int64_t>()[k]);
    } else if (t.dtype() == DType::I32) {
      out->push_back(t.data<int32_t>()[k]);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

bool contiguous_slice(const Graph& g, const Node& n, ContiguousSlice* out) {
  if (n.op != OpType::Slice || n.inputs.size() < 3 || n.outputs.size() != 1 || n.outputs[0] == kNoValue) return false;
  const ValueId x = n.input(0);
  if (x == kNoValue || g.value(x).is_constant() || !g.value(x).shape_known || !g.value(n.outputs[0]).shape_known) {
    return false;
  }
  const Shape& s = g.value(x).shape;
  const int64_t rank = static_cast<int64_t>(s.size());
  std::vector<int64_t> starts, ends, axes{0}, steps{1};
  if (!constant_ints(g, n, 1, &starts) || !constant_ints(g, n, 2, &ends) || starts.size() != 1 || ends.size() != 1) {
    return false;
  }
  if (n.input(3) != kNoValue && (!constant_ints(g, n, 3, &axes) || axes.size() != 1)) return false;
  if (n.input(4) != kNoValue && (!constant_ints(g, n, 4, &steps) || steps.size() != 1 || steps[0] != 1)) return false;
  int64_t axis = axes[0] < 0 ? axes[0] + rank : axes[0];
  if (axis < 0 || axis >= rank) return false;
  for (int64_t d = 0; d < axis; ++d) if (s[d] != 1) return false;
  const int64_t dim = s[axis];
  int64_t b = starts[0] < 0 ? std::max<int64_t>(starts[0], -dim) + dim : std::min(starts[0], dim);
  int64_t e = ends[0] < 0 ? std::max<int64_t>(ends[0], -dim) + dim : std::min(ends[0], dim);
  if (e <= b) return false;
  out->axis = axis;
  out->begin = b;
  out->end = e;
  out->inner = 1;
  for (int64_t d = axis + 1; d < rank; ++d) out->inner *= static_cast<uint64_t>(s[d]);
  return true;
}

ValueLifetimes compute_lifetimes(const Graph& g, const LifetimeOptions& options) {
  const std::vector<uint64_t>& value_bytes = options.value_bytes;
  const std::vector<int>& shared_input = options.shared_input;
  const size_t nv = g.values.size();
  ValueLifetimes lt;
  // parent: the value whose storage a value uses at byte offset `offset` (itself, 0 for a
  // root). Parents never form a cycle: they point to a value produced earlier, or (Concat
  // views) from a Concat's inputs to its output.
  std::vector<ValueId> parent(nv);
  std::vector<uint64_t> offset(nv, 0);
  for (size_t i = 0; i < nv; ++i) parent[i] = static_cast<ValueId>(i);
  auto root = [&](ValueId v) {
    while (parent[v] != v) v = parent[v];
    return v;
  };
  auto layout = [&](ValueId v) { return static_cast<size_t>(v) < options.value_layout.size() ? options.value_layout[v] : ActLayout::Plain; };
  lt.alias_node.assign(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!is_alias_node(g, n)) continue;
    lt.alias_node[i] = true;
    parent[n.outputs[0]] = n.inputs[0];
  }
  std::vector<bool> is_graph_input(nv, false);
  for (ValueId v : g.inputs) is_graph_input[v] = true;
  auto bytes_of = [&](ValueId v) {
    const Value& val = g.value(v);
    return static_cast<size_t>(v) < value_bytes.size() ? value_bytes[v] : static_cast<uint64_t>(numel(val.shape)) * dtype_size(val.dtype);
  };
  // Concat views.
  std::vector<int> readers(nv, 0);
  // produced: written by a node that is not itself a Slice view candidate (a Slice view's
  // output lives in its input's storage; runtime/layout_assign relies on such a Slice
  // becoming a view).
  std::vector<bool> produced(nv, false), is_graph_output(nv, false), strided_parent(nv, false);
  std::vector<int> producer(nv, -1);
  std::vector<int64_t> row_stride(nv, 0);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (ValueId v : n.inputs) if (v != kNoValue) ++readers[v];
    for (ValueId v : n.outputs) if (v != kNoValue) producer[v] = static_cast<int>(i);
    ContiguousSlice cs;
    if (contiguous_slice(g, n, &cs)) continue;
    for (ValueId v : n.outputs) if (v != kNoValue) produced[v] = true;
  }
  for (ValueId o : g.outputs) is_graph_output[o] = true;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (n.op != OpType::Concat || n.inputs.empty() || n.outputs.size() != 1 || n.outputs[0] == kNoValue) continue;
    const ValueId out = n.outputs[0];
    const Value& ov = g.value(out);
    if (!ov.shape_known || ov.is_constant()) continue;
    const int64_t rank = static_cast<int64_t>(ov.shape.size());
    int64_t axis = n.attrs.get_int("axis", 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) continue;
    bool contiguous = true;
    for (int64_t d = 0; d < axis; ++d) contiguous &= ov.shape[d] == 1;
    if (options.channels_last && layout(out) == ActLayout::Blocked) {
      contiguous &= contiguous_in_channels_last(ov.shape, axis);
    }
    // Rows > 1 along the last axis: each input a column range, written row by row by a producer
    // that can (KernelConfig::output_row_stride).
    const bool strided = !contiguous && axis == rank - 1 && rank >= 2 && layout(out) == ActLayout::Plain;
    bool ok = contiguous || strided;
    uint64_t sum = 0;
    for (ValueId in : n.inputs) {
      ok = ok && in != kNoValue && produced[in] && readers[in] == 1 && !is_graph_output[in] && !is_graph_input[in] &&
           !g.value(in).is_constant() && parent[in] == in && !strided_parent[in] && layout(in) == layout(out) &&
           g.value(in).dtype == ov.dtype;
      if (ok && !contiguous) {
        const int p = producer[in];
        ok = p >= 0 && static_cast<size_t>(p) < options.row_strided_output.size() && options.row_strided_output[p] &&
             g.value(in).shape.size() == ov.shape.size();
      }
      if (ok) sum += bytes_of(in);
    }
    if (!ok || sum != bytes_of(out)) continue;
    uint64_t at = 0;
    const uint64_t es = dtype_size(ov.dtype);
    for (ValueId in : n.inputs) {
      parent[in] = out;
      if (contiguous) {
        offset[in] = at;
        at += bytes_of(in);
      } else {
        offset[in] = at * es;  // `at` counts columns here
        at += static_cast<uint64_t>(g.value(in).shape.back());
        row_stride[in] = ov.shape.back();
      }
    }
    if (!contiguous) strided_parent[out] = true;  // never itself a view's child: strides do not compose
    lt.alias_node[i] = true;
    ++lt.concat_views;
    if (!contiguous) ++lt.strided_concat_views;
  }
  const int end = static_cast<int>(g.nodes.size());
  // Last step that touches each value directly (graph outputs: past the last node).
  std::vector<int> last_direct(nv, -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (ValueId v : g.nodes[i].inputs) if (v != kNoValue) last_direct[v] = static_cast<int>(i);
    for (ValueId v : g.nodes[i].outputs) if (v != kNoValue) last_direct[v] = std::max(last_direct[v], static_cast<int>(i));
  }
  for (ValueId o : g.outputs) last_direct[o] = end;
  // Slice views: a contiguous range of a runtime tensor, in the same layout (a blocked range
  // keeps whole channel blocks and starts on one).
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    ContiguousSlice cs;
    if (lt.alias_node[i] || !contiguous_slice(g, n, &cs)) continue;
    const ValueId in = n.inputs[0], out = n.outputs[0];
    if (parent[out] != out || layout(in) != layout(out) || g.value(in).dtype != g.value(out).dtype) continue;
    const uint64_t es = dtype_size(g.value(in).dtype);
    if (layout(in) == ActLayout::Blocked && options.channels_last &&
        !contiguous_in_channels_last(g.value(in).shape, cs.axis)) {
      continue;
    }
    if (layout(in) == ActLayout::Blocked && !options.channels_last) {
      const int64_t blk = std::max(options.block, 1);
      if (cs.axis != 1 || g.value(in).shape.size() != 4 || cs.begin % blk != 0 || (cs.end - cs.begin) % blk != 0 ||
          g.value(in).shape[1] % blk != 0) {
        continue;
      }
    }
    if (bytes_of(out) != static_cast<uint64_t>(cs.end - cs.begin) * cs.inner * es) continue;
    parent[out] = in;
    offset[out] = static_cast<uint64_t>(cs.begin) * cs.inner * es;
    lt.alias_node[i] = true;
    ++lt.slice_views;
  }
  // Last use of each root: views extend their roots'.
  std::vector<int> root_last(nv, -1);
  for (size_t v = 0; v < nv; ++v) {
    ValueId r = root(static_cast<ValueId>(v));
    root_last[r] = std::max(root_last[r], last_direct[v]);
  }
  // In-place outputs, in node order (a chain of them shares one root).
  for (size_t i = 0; i < g.nodes.size() && !shared_input.empty(); ++i) {
    const Node& n = g.nodes[i];
    const int k = i < shared_input.size() ? shared_input[i] : -1;
    if (k < 0 || lt.alias_node[i] || n.outputs.empty() || n.outputs[0] == kNoValue) continue;
    const ValueId in = n.input(static_cast<size_t>(k)), out = n.outputs[0];
    if (in == kNoValue || g.value(in).is_constant()) continue;
    const ValueId r = root(in);
    if (is_graph_input[r] || g.value(r).is_constant() || root_last[r] != static_cast<int>(i)) continue;
    uint64_t in_offset = 0;  // where the input starts in the root's storage
    for (ValueId u = in; parent[u] != u; u = parent[u]) in_offset += offset[u];
    if (root(out) != out || in_offset != 0 || bytes_of(in) != bytes_of(out) || bytes_of(r) != bytes_of(out) ||
        g.value(r).dtype != g.value(out).dtype || layout(r) != layout(out)) {
      continue;
    }
    bool read_elsewhere = false;  // the node must not read the shared storage through another input
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      read_elsewhere |= j != static_cast<size_t>(k) && n.inputs[j] != kNoValue && root(n.inputs[j]) == r;
    }
    if (read_elsewhere) continue;
    parent[out] = r;
    root_last[r] = std::max(root_last[r], root_last[out]);
    ++lt.in_place_nodes;
  }
  lt.alias_root.resize(nv);
  lt.alias_offset.assign(nv, 0);
  lt.alias_row_stride = row_stride;
  for (size_t v = 0; v < nv; ++v) {
    ValueId u = static_cast<ValueId>(v);
    uint64_t at = 0;
    while (parent[u] != u) {
      at += offset[u];
      u = parent[u];
    }
    lt.alias_root[v] = u;
    lt.alias_offset[v] = at;
  }

  std::vector<int> first(nv, -1), last(nv, -1);
  auto touch = [&](ValueId v, int step) {
    ValueId r = lt.alias_root[v];
    if (first[r] < 0 || step < first[r]) first[r] = step;
    last[r] = std::max(last[r], step);
  };
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    for (ValueId o : n.outputs) if (o != kNoValue) touch(o, static_cast<int>(i));
    for (ValueId in : n.inputs) if (in != kNoValue && !g.value(in).is_constant()) touch(in, static_cast<int>(i));
  }
  for (ValueId o : g.outputs) if (!g.value(o).is_constant()) touch(o, end);
  for (size_t v = 0; v < nv; ++v) {
    const Value& val = g.values[v];
    if (lt.alias_root[v] != static_cast<ValueId>(v) || val.is_constant() || is_graph_input[v] || first[v] < 0) continue;
    lt.requests.push_back({bytes_of(static_cast<ValueId>(v)), first[v], last[v]});
    lt.request_value.push_back(static_cast<ValueId>(v));
  }
  return lt;
}

}  // namespace deepshark
