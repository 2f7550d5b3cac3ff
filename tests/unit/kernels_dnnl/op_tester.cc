#include "unit/kernels_dnnl/op_tester.h"

#include <cstring>
#include <sstream>

#include "kernels/dnnl/dnnl_common.h"
#include "kernels/dnnl/dnnl_kernels.h"
#include "kernels/ref/ref_kernels.h"

namespace deepshark::testing {
namespace {

// A copy of `plain` in `layout` (blocked operands of a kernel under test), or back.
struct LaidOut {
  std::vector<float> data;
  dnnl_backend::memory::desc md;
};

LaidOut to_layout(const TensorView& plain, ActLayout layout) {
  using namespace dnnl_backend;
  LaidOut out;
  out.md = act_desc(plain.shape, layout);
  out.data.assign(out.md.get_size() / sizeof(float) + 16, -12345.f);  // garbage in padding
  memory src(plain_desc(plain.shape), engine(), plain.data);
  memory dst(out.md, engine(), out.data.data());
  dnnl::reorder(src, dst).execute(stream(), src, dst);
  stream().wait();
  return out;
}

void from_layout(LaidOut& laid, const TensorView& plain) {
  using namespace dnnl_backend;
  memory src(laid.md, engine(), laid.data.data());
  memory dst(plain_desc(plain.shape), engine(), plain.data);
  dnnl::reorder(src, dst).execute(stream(), src, dst);
  stream().wait();
}

}  // namespace

std::string shape_list(const Shape& s) { return shape_to_string(s); }

OpTester::OpTester(OpType op) : op_(op) {}

OpTester& OpTester::input(const Shape& shape, float lo, float hi) {
  inputs_.push_back(graph_.add_value("x" + std::to_string(inputs_.size()), DType::F32, shape, true));
  graph_.inputs.push_back(inputs_.back());
  ranges_.insert(ranges_.end(), {lo, hi});
  return *this;
}

OpTester& OpTester::constant(const Shape& shape, float lo, float hi) {
  Result<Tensor> t = Tensor::create(DType::F32, shape);
  DS_CHECK(t.ok());
  fill_uniform(t->view(), seed_ + 7919u * static_cast<uint32_t>(inputs_.size() + 1), lo, hi);
  inputs_.push_back(graph_.add_constant("w" + std::to_string(inputs_.size()), std::move(t).value()));
  ranges_.insert(ranges_.end(), {lo, hi});
  return *this;
}

OpTester& OpTester::constant_values(const Shape& shape, const std::vector<float>& values) {
  inputs_.push_back(graph_.add_constant("w" + std::to_string(inputs_.size()), Tensor::from_values(shape, values)));
  ranges_.insert(ranges_.end(), {0.f, 0.f});
  return *this;
}

OpTester& OpTester::constant_i64(const Shape& shape, const std::vector<int64_t>& values) {
  inputs_.push_back(graph_.add_constant("w" + std::to_string(inputs_.size()), Tensor::from_values(shape, values)));
  ranges_.insert(ranges_.end(), {0.f, 0.f});
  return *this;
}

OpTester& OpTester::absent_input() {
  inputs_.push_back(kNoValue);
  ranges_.insert(ranges_.end(), {0.f, 0.f});
  return *this;
}

OpTester& OpTester::output(const Shape& shape) {
  outputs_.push_back(graph_.add_value("y" + std::to_string(outputs_.size()), DType::F32, shape, true));
  graph_.outputs.push_back(outputs_.back());
  return *this;
}

OpTester& OpTester::attr(const std::string& name, int64_t v) { attrs_.set_int(name, v); return *this; }
OpTester& OpTester::attr(const std::string& name, float v) { attrs_.set_float(name, v); return *this; }
OpTester& OpTester::attr(const std::string& name, const std::string& v) { attrs_.set_string(name, v); return *this; }
OpTester& OpTester::attr(const std::string& name, const std::vector<int64_t>& v) { attrs_.set_ints(name, v); return *this; }
OpTester& OpTester::attr(const std::string& name, const std::vector<float>& v) { attrs_.set_floats(name, v); return *this; }
OpTester& OpTester::tolerance(double tol) { tol_ = tol; return *this; }
OpTester& OpTester::config(const KernelConfig& c) { config_ = c; return *this; }
OpTester& OpTester::seed(uint32_t s) { seed_ = s; return *this; }
OpTester& OpTester::expect_nonzero(bool e) { expect_nonzero_ = e; return *this; }
OpTester& OpTester::describe(const std::string& text) { what_ = text; return *this; }

const Node& OpTester::build() {
  if (graph_.nodes.empty()) {
    Node& n = graph_.add_node(op_, "node", inputs_, outputs_);
    n.attrs = attrs_;
  }
  return graph_.nodes.front();
}

void OpTester::expect_unsupported() {
  const Node& node = build();
  auto k = dnnl_backend::make_kernel(graph_, node, config_);
  ASSERT_FALSE(k.ok()) << what_ << ": expected Unsupported, got kernel " << k.value()->name();
  EXPECT_EQ(k.status().code(), ErrorCode::Unsupported) << what_ << ": " << k.status().to_string();
}

void OpTester::test() {
  const Node& node = build();
  SCOPED_TRACE(std::string(op_name(op_)) + " " + what_);
  auto made = dnnl_backend::make_kernel(graph_, node, config_);
  ASSERT_TRUE(made.ok()) << made.status().to_string();
  std::unique_ptr<Kernel> k = std::move(made).value();
  kernel_name_ = k->name();

  // Weight slots and scratch, as an executor would allocate them.
  std::vector<Buffer> slots;
  std::vector<const std::byte*> slot_ptrs;
  std::vector<bool> replaced(inputs_.size(), false);
  for (int s = 0; s < k->weight_count(); ++s) {
    auto b = Buffer::allocate(default_allocator(), k->weight_bytes(s), MemoryClass::Weights, "slot", true);
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(k->pack_weight(graph_, s, b->data()).ok());
    ASSERT_GE(k->weight_input(s), 0);
    ASSERT_LT(k->weight_input(s), static_cast<int>(inputs_.size()));
    replaced[k->weight_input(s)] = true;
    slot_ptrs.push_back(b->data());
    slots.push_back(std::move(b).value());
  }
  Buffer scratch;
  if (k->scratch_bytes() > 0) {
    auto b = Buffer::allocate(default_allocator(), k->scratch_bytes(), MemoryClass::Scratch, "scratch");
    ASSERT_TRUE(b.ok());
    scratch = std::move(b).value();
  }

  // Inputs: runtime ones random, constants from the graph.
  std::vector<Tensor> owned;
  std::vector<TensorView> ref_in, dnnl_in;
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (inputs_[i] == kNoValue) {
      ref_in.push_back(TensorView{});
      dnnl_in.push_back(TensorView{});
      continue;
    }
    const Value& v = graph_.value(inputs_[i]);
    TensorView view;
    if (v.is_constant()) {
      view = v.constant->view();
    } else {
      auto t = Tensor::create(DType::F32, v.shape);
      ASSERT_TRUE(t.ok());
      fill_uniform(t->view(), seed_ + static_cast<uint32_t>(i), ranges_[2 * i], ranges_[2 * i + 1]);
      view = t->view();
      owned.push_back(std::move(t).value());
    }
    ref_in.push_back(view);
    TensorView dv = view;
    if (replaced[i]) dv.data = nullptr;
    dnnl_in.push_back(dv);
  }
  std::vector<Tensor> ref_out, dnnl_out, dnnl_out2;
  std::vector<TensorView> ref_ov, dnnl_ov, dnnl_ov2;
  for (ValueId o : outputs_) {
    const Shape& s = graph_.value(o).shape;
    ref_out.push_back(Tensor::create(DType::F32, s).value());
    dnnl_out.push_back(Tensor::create(DType::F32, s).value());
    dnnl_out2.push_back(Tensor::create(DType::F32, s).value());
    ref_ov.push_back(ref_out.back().view());
    dnnl_ov.push_back(dnnl_out.back().view());
    dnnl_ov2.push_back(dnnl_out2.back().view());
  }

  // Blocked operands: the kernel reads / writes blocked copies.
  std::vector<LaidOut> laid_in(inputs_.size()), laid_out(outputs_.size());
  for (size_t i = 0; i < inputs_.size(); ++i) {
    if (config_.input_layout(i) != ActLayout::Blocked || dnnl_in[i].data == nullptr) continue;
    laid_in[i] = to_layout(dnnl_in[i], ActLayout::Blocked);
    dnnl_in[i].data = laid_in[i].data.data();
  }
  auto run_dnnl = [&](std::vector<TensorView>& ov) -> Status {
    std::vector<TensorView> views = ov;
    for (size_t o = 0; o < outputs_.size(); ++o) {
      if (config_.output_layout(o) != ActLayout::Blocked) continue;
      laid_out[o] = to_layout(ov[o], ActLayout::Blocked);
      views[o].data = laid_out[o].data.data();
    }
    Status st = k->run(dnnl_in, views, slot_ptrs, scratch.data());
    for (size_t o = 0; o < outputs_.size(); ++o)
      if (config_.output_layout(o) == ActLayout::Blocked) from_layout(laid_out[o], ov[o]);
    return st;
  };

  Status rs = ref::run_node(graph_, node, ref_in, ref_ov);
  ASSERT_TRUE(rs.ok()) << "reference failed: " << rs.to_string();
  Status ds1 = run_dnnl(dnnl_ov);
  ASSERT_TRUE(ds1.ok()) << ds1.to_string();
  for (size_t o = 0; o < outputs_.size(); ++o) {
    // Random inputs never give an all-zero output here: guards against a comparison of nothing.
    if (expect_nonzero_) {
      EXPECT_GT(max_abs(dnnl_ov[o]), 0.0) << "kernel " << kernel_name_ << " wrote only zeros";
    }
    const double scale = std::max(1.0, max_abs(ref_ov[o]));
    const double diff = max_abs_diff(ref_ov[o], dnnl_ov[o]);
    EXPECT_LE(diff, tol_ * scale) << "kernel " << kernel_name_ << ", output " << o << ": max |dnnl - ref| = " << diff
                                  << " (scale " << scale << ", tolerance " << tol_ << ")";
  }

  // Same bits on a second run.
  Status ds2 = run_dnnl(dnnl_ov2);
  ASSERT_TRUE(ds2.ok()) << ds2.to_string();
  for (size_t o = 0; o < outputs_.size(); ++o)
    EXPECT_TRUE(bit_identical(dnnl_ov[o], dnnl_ov2[o])) << "second run differs, kernel " << kernel_name_;

  // A second kernel for the same node: same layouts, same packed bytes.
  auto again = dnnl_backend::make_kernel(graph_, node, config_);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again.value()->weight_count(), k->weight_count());
  for (int s = 0; s < k->weight_count(); ++s) {
    EXPECT_EQ(again.value()->weight_layout(s), k->weight_layout(s));
    ASSERT_EQ(again.value()->weight_bytes(s), k->weight_bytes(s));
    auto b = Buffer::allocate(default_allocator(), k->weight_bytes(s), MemoryClass::Weights, "slot", true);
    ASSERT_TRUE(b.ok());
    ASSERT_TRUE(again.value()->pack_weight(graph_, s, b->data()).ok());
    EXPECT_EQ(std::memcmp(b->data(), slots[s].data(), k->weight_bytes(s)), 0) << "packing slot " << s << " is not deterministic";
  }
}

// ---------------------------------------------------------------------------------------------

void ConvTester::test() {
  std::ostringstream os;
  os << (transposed_ ? "ConvTranspose" : "Conv") << "(n=" << n_ << " c=" << c_ << " h=" << h_ << " w=" << w_
     << " m=" << m_ << " k=" << kh_ << "x" << kw_ << " s=" << s_ << " d=" << d_ << " pads=" << pb_ << "," << pe_
     << " g=" << g_ << " bias=" << bias_ << " auto_pad=" << auto_pad_ << " out_pad=" << out_pad_ << ")";
  auto out_size = [&](int64_t in, int64_t k) -> int64_t {
    const int64_t keff = (k - 1) * d_ + 1;
    if (transposed_) {
      if (auto_pad_ == "SAME_UPPER" || auto_pad_ == "SAME_LOWER") return in * s_;
      return (in - 1) * s_ + keff - pb_ - pe_ + out_pad_;
    }
    if (auto_pad_ == "SAME_UPPER" || auto_pad_ == "SAME_LOWER") return (in + s_ - 1) / s_;
    if (auto_pad_ == "VALID") return (in - keff) / s_ + 1;
    return (in + pb_ + pe_ - keff) / s_ + 1;
  };
  OpTester t(transposed_ ? OpType::ConvTranspose : OpType::Conv);
  t.input({n_, c_, h_, w_});
  if (transposed_)
    t.constant({c_, m_ / g_, kh_, kw_});
  else
    t.constant({m_, c_ / g_, kh_, kw_});
  if (bias_) t.constant({m_});
  t.output({n_, m_, out_size(h_, kh_), out_size(w_, kw_)});
  t.attr("kernel_shape", std::vector<int64_t>{kh_, kw_}).attr("strides", std::vector<int64_t>{s_, s_});
  t.attr("dilations", std::vector<int64_t>{d_, d_}).attr("group", g_);
  if (auto_pad_ == "NOTSET")
    t.attr("pads", std::vector<int64_t>{pb_, pb_, pe_, pe_});
  else
    t.attr("auto_pad", auto_pad_);
  if (out_pad_) t.attr("output_padding", std::vector<int64_t>{out_pad_, out_pad_});
  t.tolerance(1e-4).describe(os.str()).test();
}

void PoolTester::test() {
  std::ostringstream os;
  os << op_name(op_) << "(n=" << n_ << " c=" << c_ << " h=" << h_ << " w=" << w_ << " k=" << k_ << " s=" << s_
     << " p=" << p_ << " d=" << d_ << " ceil=" << ceil_ << " include_pad=" << include_ << ")";
  auto out_size = [&](int64_t in) -> int64_t {
    const int64_t keff = (k_ - 1) * d_ + 1;
    const int64_t span = in + 2 * p_ - keff;
    int64_t o = (ceil_ ? (span + s_ - 1) / s_ : span / s_) + 1;
    // ONNX Runtime / PyTorch: the last window must start inside the input or the begin padding.
    if (ceil_ && (o - 1) * s_ >= in + p_) --o;
    return o;
  };
  OpTester t(op_);
  t.input({n_, c_, h_, w_}).output({n_, c_, out_size(h_), out_size(w_)});
  t.attr("kernel_shape", std::vector<int64_t>{k_, k_}).attr("strides", std::vector<int64_t>{s_, s_});
  t.attr("pads", std::vector<int64_t>{p_, p_, p_, p_}).attr("ceil_mode", int64_t{ceil_});
  if (d_ != 1) t.attr("dilations", std::vector<int64_t>{d_, d_});
  if (op_ == OpType::AveragePool) t.attr("count_include_pad", int64_t{include_});
  t.tolerance(1e-6).describe(os.str()).test();
}

void GemmTester::test() {
  std::ostringstream os;
  os << "Gemm(m=" << m_ << " k=" << k_ << " n=" << n_ << " transB=" << trans_b_ << " alpha=" << alpha_
     << " beta=" << beta_ << " bias=" << bias_ << " constB=" << constant_b_ << " plain=" << plain_ << ")";
  OpTester t(OpType::Gemm);
  t.input({m_, k_});
  const Shape b = trans_b_ ? Shape{n_, k_} : Shape{k_, n_};
  if (constant_b_) t.constant(b); else t.input(b);
  if (bias_) t.constant({n_});
  t.output({m_, n_});
  t.attr("transB", int64_t{trans_b_}).attr("alpha", alpha_).attr("beta", beta_);
  KernelConfig cfg;
  cfg.plain_fc_weights = plain_;
  t.config(cfg).tolerance(1e-4).describe(os.str()).test();
}

}  // namespace deepshark::testing
