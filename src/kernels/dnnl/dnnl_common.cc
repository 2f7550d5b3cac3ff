#include "kernels/dnnl/dnnl_common.h"

#include <algorithm>
#include <array>
#include <map>
#include <sstream>

#include "kernels/dnnl/dnnl_kernels.h"

namespace deepshark::dnnl_backend {

dnnl::engine& engine() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& stream() {
  static dnnl::stream s(engine());
  return s;
}

Dims to_dims(const Shape& shape) {
  if (shape.empty()) return {1};
  return Dims(shape.begin(), shape.end());
}

memory::desc plain_desc(const Shape& shape) {
  Dims dims = to_dims(shape);
  Dims strides(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * dims[i + 1];
  return memory::desc(dims, memory::data_type::f32, strides);
}

memory::desc act_desc(const Shape& shape, ActLayout layout) {
  if (layout == ActLayout::Plain || shape.size() != 4) return plain_desc(shape);
  memory::format_tag tag = memory::format_tag::nhwc;
  if (activation_format() == ActivationFormat::nChw16c) tag = memory::format_tag::nChw16c;
  if (activation_format() == ActivationFormat::nChw8c) tag = memory::format_tag::nChw8c;
  return memory::desc(to_dims(shape), memory::data_type::f32, tag);
}

memory::desc strided_desc(const Dims& dims, const Dims& strides) {
  return memory::desc(dims, memory::data_type::f32, strides);
}

namespace {

template <typename T>
void append_list(std::ostringstream& os, const T* v, int n) {
  os << '[';
  for (int i = 0; i < n; ++i) os << (i ? "," : "") << v[i];
  os << ']';
}

const char* format_kind_name(dnnl_format_kind_t k) {
  switch (k) {
    case dnnl_format_kind_undef: return "undef";
    case dnnl_format_kind_any: return "any";
    case dnnl_blocked: return "blocked";
    case dnnl_format_kind_wino: return "wino";
    case dnnl_format_kind_rnn_packed: return "rnn_packed";
    default: return "other";
  }
}

}  // namespace

std::string describe_desc(const memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  std::ostringstream os;
  os << "dnnl2;dt=" << static_cast<int>(d.data_type) << ";dims=";
  append_list(os, d.dims, d.ndims);
  os << ";padded=";
  append_list(os, d.padded_dims, d.ndims);
  os << ";poff=";
  append_list(os, d.padded_offsets, d.ndims);
  os << ";off0=" << d.offset0 << ";fmt=" << format_kind_name(d.format_kind);
  if (d.format_kind == dnnl_blocked) {
    const dnnl_blocking_desc_t& b = d.format_desc.blocking;
    os << ";strides=";
    append_list(os, b.strides, d.ndims);
    os << ";inner_blks=";
    append_list(os, b.inner_blks, b.inner_nblks);
    os << ";inner_idxs=";
    append_list(os, b.inner_idxs, b.inner_nblks);
  }
  os << ";extra=" << d.extra.flags << "," << d.extra.compensation_mask << "," << d.extra.scale_adjust
     << ";bytes=" << md.get_size();
  return os.str();
}

Status unsupported(const Node& node, const std::string& reason) {
  return make_error(ErrorCode::Unsupported, "create", std::string("oneDNN kernel for ") + op_name(node.op),
                    node.name, reason);
}

Status invalid(const Node& node, const std::string& reason) {
  return make_error(ErrorCode::InvalidArgument, "run", std::string("oneDNN kernel for ") + op_name(node.op),
                    node.name, reason);
}

namespace {
Result<Shape> f32_value_shape(const Graph& graph, const Node& node, ValueId id, const char* what, size_t i) {
  if (id == kNoValue || id < 0 || static_cast<size_t>(id) >= graph.values.size())
    return unsupported(node, std::string(what) + " " + std::to_string(i) + " is absent");
  const Value& v = graph.value(id);
  if (v.dtype != DType::F32)
    return unsupported(node, std::string(what) + " '" + v.name + "' is not F32 " + expected_got("F32", dtype_name(v.dtype)));
  if (!v.shape_known)
    return unsupported(node, std::string(what) + " '" + v.name + "' has no static shape");
  for (int64_t d : v.shape)
    if (d <= 0) return unsupported(node, std::string(what) + " '" + v.name + "' is empty or dynamic " +
                                             expected_got("positive dims", shape_to_string(v.shape)));
  if (v.shape.size() > DNNL_MAX_NDIMS)
    return unsupported(node, std::string(what) + " '" + v.name + "' has too many dims");
  return v.shape;
}
}  // namespace

Result<Shape> f32_input_shape(const Graph& graph, const Node& node, size_t i) {
  return f32_value_shape(graph, node, node.input(i), "input", i);
}

Result<Shape> f32_output_shape(const Graph& graph, const Node& node, size_t i) {
  ValueId id = i < node.outputs.size() ? node.outputs[i] : kNoValue;
  return f32_value_shape(graph, node, id, "output", i);
}

const Tensor* constant_input(const Graph& graph, const Node& node, size_t i) {
  ValueId id = node.input(i);
  if (id == kNoValue || id < 0 || static_cast<size_t>(id) >= graph.values.size()) return nullptr;
  const Value& v = graph.value(id);
  return v.is_constant() ? &*v.constant : nullptr;
}

// ---------------------------------------------------------------------------------------------
// PrimitiveKernel

uint64_t PrimitiveKernel::weight_bytes(int slot) const {
  DS_CHECK(slot >= 0 && slot < weight_count());
  return slots_[slot].dst.get_size();
}

int PrimitiveKernel::weight_input(int slot) const {
  DS_CHECK(slot >= 0 && slot < weight_count());
  return slots_[slot].input;
}

std::string PrimitiveKernel::weight_layout(int slot) const {
  DS_CHECK(slot >= 0 && slot < weight_count());
  return describe_desc(slots_[slot].dst);
}

Status PrimitiveKernel::pack_weight(const Graph& graph, int slot, std::byte* dst) const {
  if (slot < 0 || slot >= weight_count())
    return make_error(ErrorCode::InvalidArgument, "pack", "weight slot", node_name_,
                      "no such slot " + expected_got("< " + std::to_string(weight_count()), std::to_string(slot)));
  const Slot& s = slots_[slot];
  const Value* v = s.value >= 0 && static_cast<size_t>(s.value) < graph.values.size() ? &graph.value(s.value) : nullptr;
  if (!v || !v->is_constant())
    return make_error(ErrorCode::InvalidArgument, "pack", "weights of node", node_name_,
                      "input " + std::to_string(s.input) + " is not a constant");
  const Tensor& t = *v->constant;
  if (t.dtype() != DType::F32 || t.bytes() != s.src.get_size())
    return make_error(ErrorCode::InvalidArgument, "pack", "weights of node", node_name_,
                      "constant '" + v->name + "' does not match the kernel " +
                          expected_got(std::to_string(s.src.get_size()) + " F32 bytes",
                                       std::to_string(t.bytes()) + " " + dtype_name(t.dtype()) + " bytes"));
  try {
    memory src(s.src, engine(), t.raw());
    memory out(s.dst, engine(), dst);
    dnnl::primitive_attr attr;
    if (s.scale != 1.f) attr.set_output_scales(0, {s.scale});
    dnnl::reorder::primitive_desc pd(engine(), s.src, engine(), s.dst, attr);
    dnnl::reorder(pd).execute(stream(), src, out);
    stream().wait();
  } catch (const dnnl::error& e) {
    return make_error(ErrorCode::Internal, "pack", "weights of node", node_name_,
                      std::string("oneDNN reorder failed: ") + e.what());
  }
  return Status::ok_status();
}

Status PrimitiveKernel::run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                            std::span<const std::byte* const> weights, std::byte* scratch) {
  if (weights.size() < slots_.size())
    return make_error(ErrorCode::InvalidArgument, "run", "kernel", node_name_,
                      "too few weight pointers " + expected_got(std::to_string(slots_.size()), std::to_string(weights.size())));
  if (scratch_bytes_ > 0 && scratch == nullptr)
    return make_error(ErrorCode::InvalidArgument, "run", "kernel", node_name_, "scratch memory is missing");
  for (Step& step : steps_) {
    std::array<void*, 2> copy_ends{};  // a skip_in_place step's source and destination
    for (size_t b = 0; b < step.bindings.size(); ++b) {
      const Binding& bind = step.bindings[b];
      void* ptr = nullptr;
      switch (bind.source) {
        case Source::Input:
          if (static_cast<size_t>(bind.index) >= inputs.size() || inputs[bind.index].data == nullptr ||
              inputs[bind.index].shape != input_shapes_[bind.index])
            return make_error(ErrorCode::InvalidArgument, "run", "kernel", node_name_,
                              "input " + std::to_string(bind.index) + " is missing or has another shape " +
                                  expected_got(shape_to_string(input_shapes_[bind.index]),
                                               static_cast<size_t>(bind.index) < inputs.size()
                                                   ? shape_to_string(inputs[bind.index].shape)
                                                   : "no input"));
          ptr = inputs[bind.index].data;
          break;
        case Source::Output:
          if (static_cast<size_t>(bind.index) >= outputs.size() || outputs[bind.index].data == nullptr ||
              outputs[bind.index].shape != output_shapes_[bind.index])
            return make_error(ErrorCode::InvalidArgument, "run", "kernel", node_name_,
                              "output " + std::to_string(bind.index) + " is missing or has another shape " +
                                  expected_got(shape_to_string(output_shapes_[bind.index]),
                                               static_cast<size_t>(bind.index) < outputs.size()
                                                   ? shape_to_string(outputs[bind.index].shape)
                                                   : "no output"));
          ptr = outputs[bind.index].data;
          break;
        case Source::Weight:
          ptr = const_cast<std::byte*>(weights[bind.index]);
          if (!ptr)
            return make_error(ErrorCode::InvalidArgument, "run", "kernel", node_name_,
                              "weight slot " + std::to_string(bind.index) + " has no data");
          break;
        case Source::Scratch:
          ptr = scratch + bind.offset;
          break;
      }
      if (dnnl_memory_set_data_handle_v2(bind.mem.get(), ptr, nullptr) != dnnl_success)
        return make_error(ErrorCode::Internal, "run", "kernel", node_name_, "could not bind a buffer");
      if (step.skip_in_place && step.args[b].arg == DNNL_ARG_FROM) copy_ends[0] = ptr;
      if (step.skip_in_place && step.args[b].arg == DNNL_ARG_TO) copy_ends[1] = ptr;
    }
    if (step.skip_in_place && copy_ends[0] == copy_ends[1]) continue;
    if (dnnl_primitive_execute(step.prim.get(), stream().get(), static_cast<int>(step.args.size()),
                               step.args.data()) != dnnl_success)
      return make_error(ErrorCode::Internal, "run", "kernel", node_name_, "oneDNN primitive failed");
  }
  if (dnnl_stream_wait(stream().get()) != dnnl_success)
    return make_error(ErrorCode::Internal, "run", "kernel", node_name_, "oneDNN stream failed");
  return Status::ok_status();
}

// ---------------------------------------------------------------------------------------------
// Builder

PrimitiveKernel::Builder::Builder(const Graph& graph, const Node& node, std::string kind)
    : graph_(graph), node_(node), kind_(std::move(kind)), k_(new PrimitiveKernel) {
  k_->node_name_ = node.name;
  k_->input_shapes_.resize(node.inputs.size());
  k_->output_shapes_.resize(node.outputs.size());
}

dnnl::primitive_attr PrimitiveKernel::Builder::attr() const {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

void PrimitiveKernel::Builder::allow_in_place(int input, int copy_step) {
  k_->shared_input_ = input;
  k_->steps_.at(copy_step).skip_in_place = true;
}

int PrimitiveKernel::Builder::add_step(dnnl::primitive prim, const dnnl::primitive_desc_base& pd) {
  if (k_->steps_.empty()) k_->name_ = "dnnl:" + kind_ + "(" + pd.impl_info_str() + ")";
  k_->steps_.push_back(Step{std::move(prim), {}, {}});
  const int step = static_cast<int>(k_->steps_.size()) - 1;
  memory::desc sd = pd.scratchpad_desc();
  if (sd.get_size() > 0) {
    k_->scratch_bytes_ = std::max<uint64_t>(k_->scratch_bytes_, sd.get_size());
    k_->steps_[step].bindings.push_back(Binding{Source::Scratch, -1, memory(sd, engine(), nullptr)});
    k_->steps_[step].args.push_back(dnnl_exec_arg_t{DNNL_ARG_SCRATCHPAD, nullptr});
  }
  return step;
}

void PrimitiveKernel::Builder::name_from(const dnnl::primitive_desc_base& pd, const std::string& suffix) {
  k_->name_ = "dnnl:" + kind_ + "(" + pd.impl_info_str() + ")" + suffix;
}

void PrimitiveKernel::Builder::bind_input(int step, int arg, int input, const memory::desc& md) {
  Step& s = k_->steps_.at(step);
  s.bindings.push_back(Binding{Source::Input, input, memory(md, engine(), nullptr)});
  s.args.push_back(dnnl_exec_arg_t{arg, nullptr});
  k_->input_shapes_.at(input) = graph_.value(node_.inputs.at(input)).shape;
}

void PrimitiveKernel::Builder::bind_output(int step, int arg, int output, const memory::desc& md) {
  Step& s = k_->steps_.at(step);
  s.bindings.push_back(Binding{Source::Output, output, memory(md, engine(), nullptr)});
  s.args.push_back(dnnl_exec_arg_t{arg, nullptr});
  k_->output_shapes_.at(output) = graph_.value(node_.outputs.at(output)).shape;
}

int PrimitiveKernel::Builder::bind_weight(int step, int arg, int input, const memory::desc& dst,
                                          const memory::desc& src, float scale) {
  k_->slots_.push_back(Slot{input, node_.inputs.at(input), dst, src, scale});
  const int slot = static_cast<int>(k_->slots_.size()) - 1;
  Step& s = k_->steps_.at(step);
  s.bindings.push_back(Binding{Source::Weight, slot, memory(dst, engine(), nullptr)});
  s.args.push_back(dnnl_exec_arg_t{arg, nullptr});
  return slot;
}

uint64_t PrimitiveKernel::Builder::add_scratch_buffer(uint64_t bytes) {
  const uint64_t offset = k_->scratch_buffers_bytes_;
  k_->scratch_buffers_bytes_ += (bytes + kDefaultAlignment - 1) / kDefaultAlignment * kDefaultAlignment;
  return offset;
}

void PrimitiveKernel::Builder::bind_scratch_buffer(int step, int arg, uint64_t offset, const memory::desc& md) {
  Step& s = k_->steps_.at(step);
  s.bindings.push_back(Binding{Source::Scratch, 0, memory(md, engine(), nullptr), offset});
  s.args.push_back(dnnl_exec_arg_t{arg, nullptr});
}

PrimitiveKernel::Builder::ActArg PrimitiveKernel::Builder::prepare_input(int input, const memory::desc& given,
                                                                       const memory::desc& want) {
  ActArg a{input, given, want, given == want, 0};
  if (a.direct) return a;
  a.offset = add_scratch_buffer(want.get_size());
  dnnl::reorder::primitive_desc pd(engine(), given, engine(), want, attr());
  int r = add_step(dnnl::reorder(pd), pd);
  bind_input(r, DNNL_ARG_FROM, input, given);
  bind_scratch_buffer(r, DNNL_ARG_TO, a.offset, want);
  return a;
}

void PrimitiveKernel::Builder::bind_act_input(int step, int arg, const ActArg& a) {
  if (a.direct)
    bind_input(step, arg, a.index, a.given);
  else
    bind_scratch_buffer(step, arg, a.offset, a.want);
}

PrimitiveKernel::Builder::ActArg PrimitiveKernel::Builder::prepare_output(int output, const memory::desc& given,
                                                                        const memory::desc& want) {
  ActArg a{output, given, want, given == want, 0};
  if (!a.direct) a.offset = add_scratch_buffer(want.get_size());
  return a;
}

void PrimitiveKernel::Builder::finish_output(int step, int arg, const ActArg& a) {
  if (a.direct) {
    bind_output(step, arg, a.index, a.given);
    return;
  }
  bind_scratch_buffer(step, arg, a.offset, a.want);
  dnnl::reorder::primitive_desc pd(engine(), a.want, engine(), a.given, attr());
  int r = add_step(dnnl::reorder(pd), pd);
  bind_scratch_buffer(r, DNNL_ARG_FROM, a.offset, a.want);
  bind_output(r, DNNL_ARG_TO, a.index, a.given);
}

int PrimitiveKernel::Builder::step_count() const { return static_cast<int>(k_->steps_.size()); }

std::unique_ptr<Kernel> PrimitiveKernel::Builder::finish_src_to_dst(dnnl::primitive prim,
                                                                    const dnnl::primitive_desc_base& pd) {
  const int step = add_step(std::move(prim), pd);
  bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
  bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
  return finish();
}

std::unique_ptr<Kernel> PrimitiveKernel::Builder::finish() {
  // Layout of the scratch area: [intermediate buffers][largest primitive scratchpad].
  for (Step& s : k_->steps_)
    for (Binding& b : s.bindings)
      if (b.source == Source::Scratch && b.index == -1) b.offset = k_->scratch_buffers_bytes_;
  if (k_->scratch_bytes_ > 0 || k_->scratch_buffers_bytes_ > 0) k_->scratch_bytes_ += k_->scratch_buffers_bytes_;
  for (Step& s : k_->steps_)
    for (size_t b = 0; b < s.bindings.size(); ++b) s.args[b].memory = s.bindings[b].mem.get();
  return std::move(k_);
}

}  // namespace deepshark::dnnl_backend

namespace deepshark::dnnl_backend {

namespace {

// "[1,2,3]" -> {1,2,3}; false on anything else or more than `max` entries.
bool parse_list(const std::string& text, std::vector<int64_t>* out, size_t max) {
  out->clear();
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  const std::string body = text.substr(1, text.size() - 2);
  if (body.empty()) return true;
  std::istringstream is(body);
  std::string item;
  while (std::getline(is, item, ',')) {
    if (item.empty() || out->size() >= max) return false;
    size_t used = 0;
    try {
      out->push_back(std::stoll(item, &used));
    } catch (...) {
      return false;
    }
    if (used != item.size()) return false;
  }
  return true;
}

}  // namespace

Result<memory::desc> parse_desc(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::InvalidArgument, "parse", "oneDNN layout", text.substr(0, 80), why);
  };
  std::map<std::string, std::string> f;
  std::istringstream is(text);
  std::string item;
  bool first = true;
  while (std::getline(is, item, ';')) {
    if (first) {
      if (item != "dnnl2") return bad("not a oneDNN layout text");
      first = false;
      continue;
    }
    const size_t eq = item.find('=');
    if (eq == std::string::npos) return bad("field without '='");
    f[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (f["fmt"] != "blocked") return bad("only blocked layouts are read back");
  dnnl_memory_desc_t d{};
  std::vector<int64_t> dims, padded, poff, strides, blks, idxs;
  if (!parse_list(f["dims"], &dims, DNNL_MAX_NDIMS) || dims.empty() || !parse_list(f["padded"], &padded, DNNL_MAX_NDIMS) ||
      !parse_list(f["poff"], &poff, DNNL_MAX_NDIMS) || !parse_list(f["strides"], &strides, DNNL_MAX_NDIMS) ||
      !parse_list(f["inner_blks"], &blks, DNNL_MAX_NDIMS) || !parse_list(f["inner_idxs"], &idxs, DNNL_MAX_NDIMS) ||
      padded.size() != dims.size() || poff.size() != dims.size() || strides.size() != dims.size() ||
      blks.size() != idxs.size()) {
    return bad("malformed dims, strides or blocks");
  }
  if (f["dt"] != std::to_string(static_cast<int>(dnnl_f32)) || f["extra"] != "0,0,0" || f["off0"] != "0") {
    return bad("not a plain f32 weight layout");
  }
  d.ndims = static_cast<int>(dims.size());
  d.data_type = dnnl_f32;
  d.format_kind = dnnl_blocked;
  for (size_t i = 0; i < dims.size(); ++i) {
    d.dims[i] = dims[i];
    d.padded_dims[i] = padded[i];
    d.padded_offsets[i] = poff[i];
    d.format_desc.blocking.strides[i] = strides[i];
  }
  d.format_desc.blocking.inner_nblks = static_cast<int>(blks.size());
  for (size_t i = 0; i < blks.size(); ++i) {
    if (idxs[i] < 0 || idxs[i] >= d.ndims) return bad("block index out of range");
    d.format_desc.blocking.inner_blks[i] = blks[i];
    d.format_desc.blocking.inner_idxs[i] = idxs[i];
  }
  memory::desc md(d);
  // The text must be exactly what describe_desc() writes for it (sizes included).
  if (describe_desc(md) != text) return bad("does not describe a consistent layout");
  return md;
}

namespace {

// The region's descriptor with the value's dims (first two axes swapped back where the layout
// holds them swapped), checked against the bytes the buffer holds.
Result<memory::desc> value_desc(const WeightRegion& r) {
  memory::desc md;
  if (r.layout == "plain") {
    md = plain_desc(r.value_shape);
  } else {
    DS_TRY(md, parse_desc(r.layout));
    if (r.swap01) {
      if (md.data.ndims < 2) {
        return make_error(ErrorCode::InvalidArgument, "join", "weight", r.layout.substr(0, 60), "cannot swap a 1-D layout");
      }
      std::vector<int> perm(static_cast<size_t>(md.data.ndims));
      for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int>(i);
      std::swap(perm[0], perm[1]);
      md = md.permute_axes(perm);
    }
  }
  if (md.dims() != to_dims(r.value_shape)) {
    return make_error(ErrorCode::InvalidArgument, "join", "weight", r.layout.substr(0, 60),
                      "its dims are not those of its value " + shape_to_string(r.value_shape));
  }
  if (md.get_size() > r.bytes) {
    return make_error(ErrorCode::InvalidArgument, "join", "weight", r.layout.substr(0, 60),
                      "its layout needs more bytes than its buffer holds");
  }
  return md;
}

Status reorder_region(const memory::desc& src_md, const std::byte* src, const memory::desc& dst_md, std::byte* dst,
                      const std::string& what) {
  try {
    memory s(src_md, engine(), const_cast<std::byte*>(src));
    memory d(dst_md, engine(), dst);
    dnnl::reorder(s, d).execute(stream(), s, d);
    stream().wait();
  } catch (const dnnl::error& e) {
    return make_error(ErrorCode::Unsupported, "join", "weight part", what.substr(0, 60),
                      std::string("oneDNN cannot copy it there: ") + e.what());
  }
  return Status::ok_status();
}

}  // namespace

Result<bool> layout_swaps_value(const std::string& layout, const Shape& value_shape, int swapped_hint) {
  if (layout == "plain") return false;
  DS_TRY(memory::desc md, parse_desc(layout));
  const Dims d = md.dims(), v = to_dims(value_shape);
  Dims sw = v;
  if (sw.size() >= 2) std::swap(sw[0], sw[1]);
  const bool same = d == v, swapped = d == sw;
  if (same && swapped && swapped_hint >= 0) return swapped_hint == 1;
  if (same != swapped) return swapped;
  return make_error(ErrorCode::Unsupported, "join", "weight", layout.substr(0, 60),
                    same ? "cannot tell its orientation (square)" : "its dims are not those of its value " + shape_to_string(value_shape));
}

Status insert_part(const WeightRegion& part, const WeightRegion& whole, int axis, int64_t offset) {
  DS_TRY(memory::desc src, value_desc(part));
  DS_TRY(memory::desc dst, value_desc(whole));
  const Dims pd = src.dims(), wd = dst.dims();
  bool ok = axis >= 0 && static_cast<size_t>(axis) < pd.size() && pd.size() == wd.size() && offset >= 0 &&
            offset + pd[axis] <= wd[axis];
  for (size_t i = 0; ok && i < pd.size(); ++i) ok = static_cast<int>(i) == axis || pd[i] == wd[i];
  if (!ok) {
    return make_error(ErrorCode::InvalidArgument, "join", "weight part", part.layout.substr(0, 60),
                      shape_to_string(part.value_shape) + " at " + std::to_string(offset) + " is not a range of " +
                          shape_to_string(whole.value_shape) + " along axis " + std::to_string(axis));
  }
  Dims offsets(pd.size(), 0);
  offsets[axis] = offset;
  memory::desc sub;
  try {
    sub = dst.submemory_desc(pd, offsets);
  } catch (const dnnl::error& e) {
    return make_error(ErrorCode::Unsupported, "join", "weight part", part.layout.substr(0, 60),
                      std::string("the whole layout has no sub-memory there: ") + e.what());
  }
  return reorder_region(src, part.data, sub, whole.data, part.layout);
}

Result<bool> addresses_range(const WeightRegion& whole, int axis, int64_t offset, int64_t extent) {
  DS_TRY(memory::desc dst, value_desc(whole));
  Dims pd = dst.dims();
  if (axis < 0 || static_cast<size_t>(axis) >= pd.size() || offset < 0 || extent <= 0 || offset + extent > pd[axis]) {
    return make_error(ErrorCode::InvalidArgument, "join", "weight", whole.layout.substr(0, 60),
                      "[" + std::to_string(offset) + ", " + std::to_string(offset + extent) + ") is not a range of " +
                          shape_to_string(whole.value_shape) + " along axis " + std::to_string(axis));
  }
  pd[axis] = extent;
  Dims offsets(pd.size(), 0);
  offsets[axis] = offset;
  try {
    (void)dst.submemory_desc(pd, offsets);
  } catch (const dnnl::error&) {
    return false;
  }
  return true;
}

Status copy_whole(const WeightRegion& src, const WeightRegion& dst) {
  DS_TRY(memory::desc s, value_desc(src));
  DS_TRY(memory::desc d, value_desc(dst));
  if (s.dims() != d.dims()) {
    return make_error(ErrorCode::InvalidArgument, "join", "weight", src.layout.substr(0, 60), "dims differ");
  }
  return reorder_region(s, src.data, d, dst.data, src.layout);
}

}  // namespace deepshark::dnnl_backend
