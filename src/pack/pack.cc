#include "pack/pack.h"

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "format/dsk_file.h"
#include "format/dsk_writer.h"
#include "format/graph_codec.h"
#include "kernels/dnnl/dnnl_kernels.h"
#include "runtime/executor.h"
#include "runtime/kernel_factory.h"
#include "transform/unslice.h"
#include "transform/prepare.h"
#include "runtime/layout_assign.h"
#include "runtime/lifetimes.h"

namespace deepshark {

using format::DskWriter;
using format::LayoutFingerprint;
using format::PartRole;
using format::PieceMeta;
using format::PiecePart;
using format::kPartAlignment;

namespace {

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Runs `g` in memory on `xs` with the packing thread count; empty when it cannot run, an error
// only when memory ran out (that must stop the pack, not silently change its slicing).
Result<std::vector<Tensor>> run_probe(Graph g, const std::vector<Tensor>& xs, int threads) {
  CountingAllocator alloc;
  ExecutorOptions eo;
  eo.threads = threads;
  auto ex = Executor::create(std::move(g), eo, alloc);
  if (!ex.ok()) {
    if (ex.status().code() == ErrorCode::OutOfMemory) return ex.status();
    return std::vector<Tensor>{};
  }
  std::vector<TensorView> in;
  for (const Tensor& x : xs) in.push_back(x.view());
  auto out = (*ex)->run(in);
  if (!out.ok() && out.status().code() == ErrorCode::OutOfMemory) return out.status();
  return out.ok() ? std::move(out).value() : std::vector<Tensor>{};
}

// A fully connected node with more than one row: its slices write column ranges of the output
// with a matmul kernel instead of the unsliced node's inner product (runtime/lifetimes), so its
// slicing is probed like a convolution's. Up to 64 MiB of weights (the probe holds them twice).
bool strided_fc_slices(const Graph& g, const Node& n) {
  if (!dnnl_backend::writes_row_strided(g, n) || n.outputs.empty() || n.outputs[0] == kNoValue) return false;
  const Value& y = g.value(n.outputs[0]);
  if (!y.shape_known || y.shape.size() < 2) return false;
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < y.shape.size(); ++d) rows *= y.shape[d];
  return rows > 1 && node_weight_bytes(g, n) <= (uint64_t{64} << 20);
}

// Does cutting convolution `n` into `width`-channel slices keep its bits? Checked the way the
// design asks: the node alone, unsliced and sliced, on a seeded probe input, compared byte for
// byte, with its input and output in the layouts they have in the model (`in_blocked`,
// `out_blocked`: a Relu before / after keeps a value Blocked, a graph input or a Flatten keeps it
// plain; oneDNN picks kernels by layout, so a probe in other layouts can pass where the model's
// slices differ — seen with ViT-B/16's patch convolution, whose input is the graph's). A fully
// connected node with one row keeps its inner product and plain weights, whose slices are
// bit-identical for every width (measured, and tested in tests/unit/kernels_dnnl), so it is not
// probed; with more rows it is (strided_fc_slices). OutOfMemory is an error, not a "no".
Result<bool> slice_keeps_bits(const Graph& g, const Node& n, int64_t width, int threads, bool in_blocked,
                              bool out_blocked, bool residual_blocked) {
  if (n.op != OpType::Conv && n.op != OpType::ConvTranspose && !strided_fc_slices(g, n)) return true;
  Graph mini;
  const Value& in = g.value(n.inputs[0]);
  ValueId x = mini.add_value("x", in.dtype, in.shape, true);
  mini.inputs.push_back(x);
  ValueId r = x;
  if (in_blocked) {
    r = mini.add_value("r");
    mini.add_node(OpType::Relu, "pre", {x}, {r});
  }
  Node copy = n;
  copy.inputs[0] = r;
  for (size_t i = 1; i < n.inputs.size(); ++i) {
    ValueId v = n.inputs[i];
    if (v == kNoValue) continue;
    if (!g.value(v).is_constant()) {
      // A fused residual: a second probe input, in its layout in the model too.
      if (i != 3 || g.value(v).dtype != DType::F32) return false;
      ValueId rx = mini.add_value("res", DType::F32, g.value(v).shape, true);
      mini.inputs.push_back(rx);
      ValueId rr = rx;
      if (residual_blocked) {
        rr = mini.add_value("res_relu");
        mini.add_node(OpType::Relu, "pre_res", {rx}, {rr});
      }
      copy.inputs[i] = rr;
      continue;
    }
    copy.inputs[i] = mini.add_constant(g.value(v).name, *g.value(v).constant);
  }
  ValueId y = mini.add_value("y");
  copy.outputs = {y};
  mini.nodes.push_back(copy);
  ValueId out = mini.add_value("out");
  Node& post = mini.add_node(out_blocked ? OpType::Relu : OpType::Flatten, "post", {y}, {out});
  if (!out_blocked) post.attrs.set_int("axis", 1);
  mini.outputs.push_back(out);
  PrepareOptions po;
  po.fuse = false;
  if (Status s = prepare_graph(mini, po); !s.ok()) {
    if (s.code() == ErrorCode::OutOfMemory) return s;
    return false;
  }
  if (in.dtype != DType::F32) return false;
  std::vector<Tensor> probe;
  uint32_t state = 12345;
  for (ValueId v : mini.inputs) {
    DS_TRY(Tensor t, Tensor::create(DType::F32, mini.value(v).shape));
    for (int64_t i = 0; i < t.numel(); ++i) {
      state = state * 1664525u + 1013904223u;
      t.data<float>()[i] = static_cast<float>(state >> 8) / 16777216.0f - 0.5f;
    }
    probe.push_back(std::move(t));
  }
  DS_TRY(std::vector<Tensor> whole, run_probe(mini, probe, threads));
  Graph sliced = mini;
  SliceOptions so;
  so.limit_bytes = 1;
  so.fixed_width = width;
  if (whole.size() != 1) return false;
  if (auto r = slice_graph(sliced, so); !r.ok()) {
    if (r.status().code() == ErrorCode::OutOfMemory) return r.status();
    return false;
  }
  DS_TRY(std::vector<Tensor> parts, run_probe(std::move(sliced), probe, threads));
  return parts.size() == 1 && parts[0].bytes() == whole[0].bytes() &&
         std::memcmp(parts[0].raw(), whole[0].raw(), whole[0].bytes()) == 0;
}

}  // namespace

Result<PackReport> pack_graph(Graph g, const std::string& out_path, const PackGraphOptions& options) {
  PackReport report;
  SliceOptions so;
  so.limit_bytes = options.slice_limit_bytes;
  // Layouts of the model as it runs in memory: each probe reproduces its node's.
  KernelConfig probe_config;
  probe_config.threads = options.threads;
  const std::vector<ActLayout> model_layout = assign_layouts(g, probe_config, options.use_dnnl).value_layout;
  so.accept = [&](const Graph& graph, const Node& n, int64_t width) -> Result<bool> {
    auto blocked = [&](ValueId v) {
      return v != kNoValue && static_cast<size_t>(v) < model_layout.size() && model_layout[v] == ActLayout::Blocked;
    };
    return slice_keeps_bits(graph, n, width, options.threads, blocked(n.input(0)),
                            !n.outputs.empty() && blocked(n.outputs[0]), blocked(n.input(3)));
  };
  DS_TRY(report.slicing, slice_graph(g, so));

  // How many nodes read each constant: a weight read by several nodes cannot live in one
  // node's piece; it stays inline in the graph (and so always resident).
  std::vector<int> readers(g.values.size(), 0);
  for (const Node& n : g.nodes) {
    std::vector<ValueId> seen;
    for (ValueId in : n.inputs) {
      if (in == kNoValue || std::find(seen.begin(), seen.end(), in) != seen.end()) continue;
      seen.push_back(in);
      ++readers[in];
    }
  }
  const LayoutEnvironment env = layout_environment(options.threads);
  LayoutFingerprint fp;
  fp.isa = env.isa;
  fp.dnnl_version = env.dnnl_version;
  fp.threads = static_cast<uint32_t>(options.threads);
  fp.producer = "deepshark 0.1.0";
  DS_TRY(std::unique_ptr<DskWriter> writer, DskWriter::create(out_path, fp));

  KernelConfig config;
  config.threads = options.threads;
  const LayoutPlan layout_plan = assign_layouts(g, config, options.use_dnnl);  // as the executor does
  // Nodes that run as views (runtime/lifetimes) have no kernel; their small constant
  // parameters stay inline in the graph.
  LifetimeOptions lifetime_options = layout_lifetime_options(g, layout_plan);
  const ValueLifetimes views = compute_lifetimes(g, lifetime_options);
  const std::vector<bool>& view_node = views.alias_node;
  std::vector<bool> piece_backed(g.values.size(), false);
  // Output channels of each slice (the piece table records them; errors name them).
  std::vector<std::pair<uint64_t, uint64_t>> slice_range(g.nodes.size(), {0, 0});
  for (const SliceGroup& grp : find_slice_groups(g)) {
    uint64_t at = 0;
    for (int sn : grp.slices) {
      SlicePlan sp;
      if (!plan_slice(g, g.nodes[sn], &sp).empty()) break;
      const uint64_t width = static_cast<uint64_t>(g.value(g.nodes[sn].outputs[0]).shape[sp.output_axis]);
      slice_range[sn] = {at, at + width};
      at += width;
    }
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (view_node[i]) continue;
    bool has_weights = false;
    for (ValueId in : n.inputs) has_weights |= in != kNoValue && g.value(in).is_constant();
    if (!has_weights) continue;
    DS_TRY(std::unique_ptr<Kernel> k,
           make_node_kernel(g, n, node_kernel_config(g, layout_plan, config, i, &views), options.use_dnnl));
    PieceMeta meta;
    meta.node = static_cast<uint32_t>(i);
    meta.slice_begin = slice_range[i].first;
    meta.slice_end = slice_range[i].second;
    uint64_t size = 0;
    // Parts: the kernel's weight slots, then plain constant inputs not claimed by a slot.
    std::vector<int> claimed;
    for (int w = 0; w < k->weight_count(); ++w) {
      int input = k->weight_input(w);
      claimed.push_back(input);
      ValueId v = n.input(static_cast<size_t>(input));
      if (v == kNoValue || readers[v] > 1) {
        return make_error(ErrorCode::Unsupported, "pack", "node", n.name,
                          "weight slot reads a constant shared with other nodes");
      }
      PiecePart part;
      part.role = PartRole::WeightSlot;
      part.index = static_cast<uint32_t>(w);
      part.value_id = v;
      part.offset = align_up(size, kPartAlignment);
      part.bytes = k->weight_bytes(w);
      part.layout = k->weight_layout(w);
      size = part.offset + part.bytes;
      meta.parts.push_back(std::move(part));
    }
    for (size_t j = 0; j < n.inputs.size(); ++j) {
      ValueId v = n.inputs[j];
      if (v == kNoValue || !g.value(v).is_constant()) continue;
      if (std::find(claimed.begin(), claimed.end(), static_cast<int>(j)) != claimed.end()) continue;
      const Tensor& t = *g.value(v).constant;
      if (t.bytes() < options.inline_limit_bytes) continue;
      if (readers[v] > 1) {
        if (!piece_backed[v]) report.shared_weights.push_back(g.value(v).name);
        continue;
      }
      PiecePart part;
      part.role = PartRole::NodeInput;
      part.index = static_cast<uint32_t>(j);
      part.value_id = v;
      part.offset = align_up(size, kPartAlignment);
      part.bytes = t.bytes();
      part.layout = "plain";
      size = part.offset + part.bytes;
      meta.parts.push_back(std::move(part));
    }
    if (meta.parts.empty()) continue;
    DS_TRY(Buffer payload, Buffer::allocate(default_allocator(), size, MemoryClass::Weights, "piece", true, 4096));
    for (const PiecePart& part : meta.parts) {
      if (part.role == PartRole::WeightSlot) {
        DS_RETURN_IF_ERROR(k->pack_weight(g, static_cast<int>(part.index), payload.data() + part.offset)
                               .with_context("failed to pack node '" + n.name + "'"));
      } else {
        std::memcpy(payload.data() + part.offset, g.value(part.value_id).constant->raw(), part.bytes);
      }
      piece_backed[part.value_id] = true;
    }
    DS_TRY(uint32_t index, writer->add_piece(meta, payload.data(), size));
    (void)index;
    ++report.pieces;
    report.piece_bytes += size;
    // The piece is on disk: the graph's copy of these weights is no longer needed.
    for (const PiecePart& part : meta.parts) {
      Value& v = g.value(part.value_id);
      v.constant = Tensor::shape_only(v.constant->dtype(), v.constant->shape());
    }
    if (options.progress) options.progress(i + 1, g.nodes.size(), writer->bytes_written());
  }
  for (size_t v = 0; v < g.values.size(); ++v) {
    if (g.values[v].is_constant() && !piece_backed[v] && g.values[v].constant->has_data()) {
      report.inline_bytes += g.values[v].constant->bytes();
    }
  }
  DS_TRY(std::string blob, format::encode_graph(g, [&](ValueId id, const Value&) { return piece_backed[id]; }));
  DS_RETURN_IF_ERROR(writer->finish(blob));
  report.file_bytes = writer->bytes_written();
  // Self-check: the file must open with every validation a session applies.
  // A file that fails it (or that could not be checked: out of memory) is removed, so a failed
  // pack leaves no output behind.
  auto reopened = format::DskFile::open(out_path);
  if (!reopened.ok()) {
    std::error_code ec;
    std::filesystem::remove(out_path, ec);
    return reopened.status().with_context("failed to check packed file '" + out_path + "'");
  }
  return report;
}

}  // namespace deepshark
