#include "pack/slice.h"

#include <algorithm>
#include <cstring>

#include "transform/unslice.h"

namespace deepshark {

namespace {

// Copies t[..., begin:end, ...] along `axis` into a new tensor.
Result<Tensor> slice_axis(const Tensor& t, int axis, int64_t begin, int64_t end) {
  Shape s = t.shape();
  s[axis] = end - begin;
  DS_TRY(Tensor out, Tensor::create(t.dtype(), s, default_allocator(), MemoryClass::Weights));
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; ++i) outer *= t.shape()[i];
  for (size_t i = axis + 1; i < t.shape().size(); ++i) inner *= t.shape()[i];
  const uint64_t es = dtype_size(t.dtype());
  const uint64_t row = static_cast<uint64_t>(end - begin) * inner * es;
  for (int64_t o = 0; o < outer; ++o) {
    const std::byte* src = t.raw() + (static_cast<uint64_t>(o * t.shape()[axis] + begin) * inner) * es;
    std::memcpy(out.raw() + o * row, src, row);
  }
  return out;
}

}  // namespace

uint64_t node_weight_bytes(const Graph& g, const Node& n) {
  uint64_t b = 0;
  for (ValueId in : n.inputs) {
    if (in != kNoValue && g.value(in).is_constant()) b += g.value(in).constant->bytes();
  }
  return b;
}

namespace {

constexpr int64_t kConvSliceMultiple = 64;

// Candidate widths for `channels` output channels at most `widest` per slice (a multiple of
// `multiple`): an even split first, then the widest, then powers of two. Each < channels.
std::vector<int64_t> candidate_widths(int64_t channels, int64_t widest, int64_t multiple) {
  std::vector<int64_t> c;
  auto add = [&](int64_t w) {
    if (w >= multiple && w <= widest && w < channels && std::find(c.begin(), c.end(), w) == c.end()) c.push_back(w);
  };
  const int64_t k = (channels + widest - 1) / widest;
  add(((channels + k - 1) / k + multiple - 1) / multiple * multiple);
  add(widest);
  for (int64_t w = int64_t{1} << 20; w >= multiple; w /= 2) add(w);
  return c;
}

}  // namespace

Result<SliceReport> slice_graph(Graph& g, const SliceOptions& options) {
  const uint64_t limit = options.limit_bytes;
  const int64_t multiple = options.channel_multiple;
  if (limit == 0) return make_error(ErrorCode::InvalidArgument, "slice", "graph", g.name, "slice limit is 0");
  SliceReport report;
  std::vector<Node> rewritten;
  rewritten.reserve(g.nodes.size());
  std::vector<int> uses(g.values.size(), 0);
  for (const Node& n : g.nodes)
    for (ValueId in : n.inputs) if (in != kNoValue) ++uses[in];
  std::vector<Node> nodes = std::move(g.nodes);
  g.nodes.clear();
  for (Node& n : nodes) {
    const uint64_t wbytes = node_weight_bytes(g, n);
    SlicePlan p;
    std::string why;
    if (wbytes <= limit || n.outputs.empty() || n.outputs[0] == kNoValue) {
      rewritten.push_back(std::move(n));
      continue;
    }
    why = plan_slice(g, n, &p);
    if (!why.empty()) {
      report.unsliceable.push_back(n.name + " (" + op_name(n.op) + ", " + std::to_string(wbytes) + " bytes): " + why);
      rewritten.push_back(std::move(n));
      continue;
    }
    const Tensor weight = *g.value(n.inputs[p.weight_input]).constant;
    const int64_t channels = weight.shape()[p.weight_axis];
    const uint64_t per_channel = wbytes / static_cast<uint64_t>(channels) + 1;
    int64_t widest = static_cast<int64_t>(limit / per_channel);
    // Slices keep whole channel blocks: narrower slices make oneDNN pick other kernels (plain
    // layouts, other reduction orders) whose bits differ from the unsliced node's (measured: 2-channel
    // conv slices differ by 1 ulp). A slice may then exceed the limit by less than one block.
    widest = std::max(widest / multiple * multiple, std::min<int64_t>(multiple, channels));
    if (widest >= channels) {
      report.unsliceable.push_back(n.name + ": " + std::to_string(multiple) +
                                   " output channels (the smallest slice) exceed the slice limit");
      rewritten.push_back(std::move(n));
      continue;
    }
    int64_t width = 0;
    if (options.fixed_width > 0) {
      width = options.fixed_width;
    } else {
      // Convolutions: oneDNN's brgemm kernels block output channels by 64; slices of 112 or 176
      // channels ran 10-13 % slower than the unsliced layer, slices of 64 or 128 within -3..+9 %
      // (VGG-16's 512-channel 3x3 layers, nhwc, 2 threads). Widths that are multiples of 64 first.
      std::vector<int64_t> widths;
      if (n.op == OpType::Conv && widest >= kConvSliceMultiple) {
        widths = candidate_widths(channels, widest / kConvSliceMultiple * kConvSliceMultiple, kConvSliceMultiple);
      }
      for (int64_t w : candidate_widths(channels, widest, multiple)) {
        if (std::find(widths.begin(), widths.end(), w) == widths.end()) widths.push_back(w);
      }
      for (int64_t w : widths) {
        bool accepted = true;
        if (options.accept) {
          DS_TRY(accepted, options.accept(g, n, w));
        }
        if (accepted) {
          width = w;
          break;
        }
      }
    }
    if (width <= 0 || width >= channels) {
      report.unsliceable.push_back(n.name + " (" + std::to_string(wbytes) +
                                   " bytes): no slice width gives the unsliced node's bits");
      rewritten.push_back(std::move(n));
      continue;
    }
    const int slices = static_cast<int>((channels + width - 1) / width);
    const ValueId out_id = n.outputs[0];
    const Value out = g.value(out_id);
    std::vector<ValueId> parts;
    for (int s = 0; s < slices; ++s) {
      const int64_t c0 = s * width, c1 = std::min(channels, c0 + width);
      const std::string tag = "#s" + std::to_string(s);
      Node sn;
      sn.op = n.op;
      sn.name = n.name + tag;
      sn.attrs = n.attrs;
      sn.inputs = n.inputs;
      DS_TRY(Tensor w, slice_axis(weight, p.weight_axis, c0, c1));
      sn.inputs[p.weight_input] = g.add_constant(g.value(n.inputs[p.weight_input]).name + tag, std::move(w));
      if (p.bias_input >= 0) {
        const Tensor bias = *g.value(n.inputs[p.bias_input]).constant;
        DS_TRY(Tensor b, slice_axis(bias, p.bias_axis, c0, c1));
        sn.inputs[p.bias_input] = g.add_constant(g.value(n.inputs[p.bias_input]).name + tag, std::move(b));
      }
      if (p.residual_input >= 0) {
        const ValueId r = n.inputs[p.residual_input];
        auto ints = [&](const std::string& what, int64_t v) {
          Tensor t = Tensor::create(DType::I64, {1}).value();
          t.data<int64_t>()[0] = v;
          return g.add_constant(n.name + tag + "#res_" + what, std::move(t));
        };
        Shape rs = g.value(r).shape;
        rs[p.output_axis] = c1 - c0;
        ValueId part_r = g.add_value(g.value(r).name + tag, g.value(r).dtype, rs, true);
        Node sl;
        sl.op = OpType::Slice;
        sl.name = n.name + tag + "#res";
        sl.inputs = {r, ints("starts", c0), ints("ends", c1), ints("axes", p.output_axis)};
        sl.outputs = {part_r};
        rewritten.push_back(std::move(sl));
        sn.inputs[p.residual_input] = part_r;
      }
      Shape os = out.shape;
      os[p.output_axis] = c1 - c0;
      ValueId part = g.add_value(out.name + tag, out.dtype, os, true);
      sn.outputs = {part};
      parts.push_back(part);
      rewritten.push_back(std::move(sn));
    }
    Node concat;
    concat.op = OpType::Concat;
    concat.name = n.name + "#concat";
    concat.attrs.set_int("axis", p.output_axis);
    concat.inputs = parts;
    concat.outputs = {out_id};
    rewritten.push_back(std::move(concat));
    // The unsliced weights are no longer referenced: release them.
    for (int i : {p.weight_input, p.bias_input}) {
      if (i < 0) continue;
      ValueId in = n.inputs[i];
      if (--uses[in] == 0) g.value(in).constant.reset();
    }
    report.nodes.push_back({n.name, slices, wbytes});
  }
  g.nodes = std::move(rewritten);
  DS_RETURN_IF_ERROR(g.verify());
  return report;
}

}  // namespace deepshark
