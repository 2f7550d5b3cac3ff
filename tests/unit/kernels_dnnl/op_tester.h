// A fluent tester for oneDNN kernels: builds a one-node graph, runs the oneDNN kernel through
// the Kernel interface (weight slots packed, scratch allocated, as an executor would) and the
// reference kernel (ds::ref::run_node), and compares. Op-specific testers compute the output
// shape and describe their parameters for the failure message.
//
//   OpTester(OpType::Softmax).input({2, 7}).output({2, 7}).attr("axis", 1).tolerance(1e-6).test();
//   ConvTester().input(1, 3, 17, 17).output_channels(8).kernel(3).stride(2).test();
#pragma once

#include <string>
#include <vector>

#include "graph/graph.h"
#include "kernels/kernel.h"
#include "support/test_support.h"

namespace deepshark::testing {

class OpTester {
 public:
  explicit OpTester(OpType op);

  // A runtime input filled with uniform values in [lo, hi).
  OpTester& input(const Shape& shape, float lo = -1.f, float hi = 1.f);
  // A constant input (a weight) filled with uniform values in [lo, hi).
  OpTester& constant(const Shape& shape, float lo = -1.f, float hi = 1.f);
  OpTester& constant_values(const Shape& shape, const std::vector<float>& values);
  OpTester& constant_i64(const Shape& shape, const std::vector<int64_t>& values);
  OpTester& absent_input();
  OpTester& output(const Shape& shape);
  OpTester& attr(const std::string& name, int64_t v);
  OpTester& attr(const std::string& name, float v);
  OpTester& attr(const std::string& name, const std::string& v);
  OpTester& attr(const std::string& name, const std::vector<int64_t>& v);
  OpTester& attr(const std::string& name, const std::vector<float>& v);
  // Max |dnnl - ref| allowed, relative to max(1, max |ref|).
  OpTester& tolerance(double tol);
  OpTester& config(const KernelConfig& c);
  OpTester& seed(uint32_t s);
  // Require a non-zero output (default on): guards against comparing two untouched buffers.
  OpTester& expect_nonzero(bool e);
  // Text printed on failure (the whole parameter tuple).
  OpTester& describe(const std::string& text);

  // Runs both kernels and compares; also checks that a second run gives the same bits and that
  // a second kernel reports the same weight layouts and packs the same bytes.
  void test();
  // Expects make_kernel to return Unsupported.
  void expect_unsupported();

  // The kernel's name after test() (e.g. to check which implementation ran).
  const std::string& kernel_name() const { return kernel_name_; }

 private:
  Graph graph_;
  OpType op_;
  std::vector<ValueId> inputs_, outputs_;
  std::vector<float> ranges_;  // lo, hi per input
  Attributes attrs_;
  double tol_ = 1e-5;
  KernelConfig config_;
  uint32_t seed_ = 1234;
  bool expect_nonzero_ = true;
  std::string what_;
  std::string kernel_name_;

  const Node& build();
};

// 2-D convolution (NCHW), with the output size computed from the ONNX formula.
class ConvTester {
 public:
  ConvTester& input(int64_t n, int64_t c, int64_t h, int64_t w) { n_ = n; c_ = c; h_ = h; w_ = w; return *this; }
  ConvTester& output_channels(int64_t m) { m_ = m; return *this; }
  ConvTester& kernel(int64_t k) { kh_ = kw_ = k; return *this; }
  ConvTester& kernel(int64_t kh, int64_t kw) { kh_ = kh; kw_ = kw; return *this; }
  ConvTester& stride(int64_t s) { s_ = s; return *this; }
  ConvTester& dilation(int64_t d) { d_ = d; return *this; }
  ConvTester& pad(int64_t p) { pb_ = pe_ = p; return *this; }
  ConvTester& pad(int64_t begin, int64_t end) { pb_ = begin; pe_ = end; return *this; }
  ConvTester& group(int64_t g) { g_ = g; return *this; }
  ConvTester& bias(bool b) { bias_ = b; return *this; }
  ConvTester& auto_pad(const std::string& a) { auto_pad_ = a; return *this; }
  ConvTester& transposed(bool t) { transposed_ = t; return *this; }
  ConvTester& output_padding(int64_t p) { out_pad_ = p; return *this; }
  void test();

 private:
  int64_t n_ = 1, c_ = 1, h_ = 1, w_ = 1, m_ = 1, kh_ = 1, kw_ = 1, s_ = 1, d_ = 1, pb_ = 0, pe_ = 0, g_ = 1;
  int64_t out_pad_ = 0;
  bool bias_ = false, transposed_ = false;
  std::string auto_pad_ = "NOTSET";
};

// MaxPool / AveragePool (NCHW, square windows).
class PoolTester {
 public:
  explicit PoolTester(OpType op) : op_(op) {}
  PoolTester& input(int64_t n, int64_t c, int64_t h, int64_t w) { n_ = n; c_ = c; h_ = h; w_ = w; return *this; }
  PoolTester& kernel(int64_t k) { k_ = k; return *this; }
  PoolTester& stride(int64_t s) { s_ = s; return *this; }
  PoolTester& pad(int64_t p) { p_ = p; return *this; }
  PoolTester& dilation(int64_t d) { d_ = d; return *this; }
  PoolTester& ceil_mode(bool c) { ceil_ = c; return *this; }
  PoolTester& count_include_pad(bool c) { include_ = c; return *this; }
  void test();

 private:
  OpType op_;
  int64_t n_ = 1, c_ = 1, h_ = 1, w_ = 1, k_ = 1, s_ = 1, p_ = 0, d_ = 1;
  bool ceil_ = false, include_ = false;
};

// Gemm: Y = alpha * A(M,K) * B + beta * C.
class GemmTester {
 public:
  GemmTester& m(int64_t v) { m_ = v; return *this; }
  GemmTester& k(int64_t v) { k_ = v; return *this; }
  GemmTester& n(int64_t v) { n_ = v; return *this; }
  GemmTester& trans_b(bool t) { trans_b_ = t; return *this; }
  GemmTester& alpha(float a) { alpha_ = a; return *this; }
  GemmTester& beta(float b) { beta_ = b; return *this; }
  GemmTester& bias(bool b) { bias_ = b; return *this; }
  GemmTester& constant_b(bool c) { constant_b_ = c; return *this; }
  GemmTester& plain_weights(bool p) { plain_ = p; return *this; }
  void test();

 private:
  int64_t m_ = 1, k_ = 1, n_ = 1;
  bool trans_b_ = false, bias_ = false, constant_b_ = true, plain_ = true;
  float alpha_ = 1.f, beta_ = 1.f;
};

std::string shape_list(const Shape& s);

}  // namespace deepshark::testing
