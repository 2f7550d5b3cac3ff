// Test helper: builds a one-node graph, runs ds::ref::run_node on it and keeps the outputs.
//
//   RefOp op(ds::OpType::Relu);
//   op.in(ds::Tensor::from_values<float>({2}, {-1.f, 2.f})).out(ds::DType::F32, {2});
//   ASSERT_TRUE(op.run().ok());
//   op.values<float>(0)  // {0, 2}
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "base/npy.h"
#include "graph/graph.h"
#include "kernels/ref/ref_kernels.h"

namespace deepshark::testing {

class RefOp {
 public:
  explicit RefOp(OpType op) : op_(op) {}

  RefOp& in(Tensor t) { inputs_.emplace_back(std::move(t)); return *this; }
  RefOp& absent() { inputs_.emplace_back(std::nullopt); return *this; }
  template <typename T>
  RefOp& in(Shape s, std::vector<T> v) { return in(Tensor::from_values<T>(std::move(s), v)); }
  RefOp& out(DType t, Shape s) { outs_.emplace_back(t, std::move(s)); return *this; }
  RefOp& attr(const std::string& n, int64_t v) { attrs_.set_int(n, v); return *this; }
  RefOp& attr(const std::string& n, int v) { attrs_.set_int(n, v); return *this; }
  RefOp& attr(const std::string& n, float v) { attrs_.set_float(n, v); return *this; }
  RefOp& attr(const std::string& n, const char* v) { attrs_.set_string(n, v); return *this; }
  RefOp& attr(const std::string& n, std::vector<int64_t> v) { attrs_.set_ints(n, std::move(v)); return *this; }
  RefOp& attr(const std::string& n, std::vector<float> v) { attrs_.set_floats(n, std::move(v)); return *this; }
  RefOp& attr_tensor(const std::string& n, Tensor t) { attrs_.set_tensor(n, std::move(t)); return *this; }

  Status run() {
    Graph g;
    std::vector<ValueId> ins, outs;
    std::vector<TensorView> in_views, out_views;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (!inputs_[i]) {
        ins.push_back(kNoValue);
        in_views.push_back(TensorView{DType::F32, {}, nullptr});
        continue;
      }
      ins.push_back(g.add_value("in" + std::to_string(i), inputs_[i]->dtype(), inputs_[i]->shape(), true));
      in_views.push_back(inputs_[i]->view());
    }
    results_.clear();
    for (size_t i = 0; i < outs_.size(); ++i) {
      outs.push_back(g.add_value("out" + std::to_string(i), outs_[i].first, outs_[i].second, true));
      auto t = Tensor::create(outs_[i].first, outs_[i].second);
      if (!t.ok()) return t.status();
      results_.push_back(std::move(t).value());
      out_views.push_back(results_.back().view());
    }
    Node& n = g.add_node(op_, "node_under_test", ins, outs);
    n.attrs = attrs_;
    return ref::run_node(g, n, in_views, out_views);
  }

  const Tensor& result(size_t i) const { return results_.at(i); }
  template <typename T>
  std::vector<T> values(size_t i) const {
    const Tensor& t = results_.at(i);
    return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
  }

 private:
  OpType op_;
  std::vector<std::optional<Tensor>> inputs_;
  std::vector<std::pair<DType, Shape>> outs_;
  Attributes attrs_;
  std::vector<Tensor> results_;
};

inline void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, double tol = 1e-5) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at element " << i;
}

inline Tensor iota_f32(Shape s, float start = 0.f, float step = 1.f) {
  std::vector<float> v(static_cast<size_t>(numel(s)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + step * static_cast<float>(i);
  return Tensor::from_values<float>(std::move(s), v);
}

}  // namespace deepshark::testing
