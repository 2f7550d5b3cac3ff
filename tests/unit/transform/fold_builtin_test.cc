// The built-in integer folder (used where the reference kernels report Unsupported): each op
// on small tensors with hand-computed results.
#include <gtest/gtest.h>

#include "graph/graph.h"
#include "transform/fold.h"

namespace deepshark {
namespace {

std::vector<int64_t> values(const Tensor& t) { return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.numel()); }

// Runs fold_builtin on `op` with the given inputs into an I64 output of `out_shape`.
Tensor run(OpType op, std::vector<Tensor> ins, Shape out_shape, Attributes attrs = {}, DType out_dtype = DType::I64) {
  Node n;
  n.op = op;
  n.name = "n";
  n.attrs = std::move(attrs);
  std::vector<TensorView> iv;
  for (const Tensor& t : ins) iv.push_back(t.view());
  Tensor out = std::move(Tensor::create(out_dtype, std::move(out_shape))).value();
  std::vector<TensorView> ov{out.view()};
  Status s = fold_builtin(n, iv, ov);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

Tensor i64(Shape s, std::vector<int64_t> v) { return Tensor::from_values<int64_t>(std::move(s), v); }

TEST(FoldBuiltin, ShapeArithmetic) {
  Attributes axis1;
  axis1.set_int("axis", 1);
  EXPECT_EQ(values(run(OpType::Gather, {i64({2, 3}, {1, 2, 3, 4, 5, 6}), i64({2}, {2, -3})}, {2, 2}, axis1)),
            (std::vector<int64_t>{3, 1, 6, 4}));
  Attributes axis0;
  axis0.set_int("axis", 0);
  EXPECT_EQ(values(run(OpType::Concat, {i64({1}, {7}), i64({2}, {-1, 5})}, {3}, axis0)), (std::vector<int64_t>{7, -1, 5}));
  EXPECT_EQ(values(run(OpType::Concat, {i64({2, 1}, {1, 2}), i64({2, 2}, {3, 4, 5, 6})}, {2, 3}, axis1)),
            (std::vector<int64_t>{1, 3, 4, 2, 5, 6}));
  EXPECT_EQ(values(run(OpType::Slice, {i64({5}, {0, 1, 2, 3, 4}), i64({1}, {-1}), i64({1}, {INT64_MIN}), i64({1}, {0}), i64({1}, {-2})}, {3})),
            (std::vector<int64_t>{4, 2, 0}));
  EXPECT_EQ(values(run(OpType::Div, {i64({2}, {7, -7}), i64({}, {2})}, {2})), (std::vector<int64_t>{3, -3}));
  EXPECT_EQ(values(run(OpType::Mul, {i64({2, 1}, {2, 3}), i64({2}, {10, 100})}, {2, 2})), (std::vector<int64_t>{20, 200, 30, 300}));
  EXPECT_EQ(values(run(OpType::Range, {i64({}, {10}), i64({}, {0}), i64({}, {-4})}, {3})), (std::vector<int64_t>{10, 6, 2}));
  EXPECT_EQ(values(run(OpType::Unsqueeze, {i64({}, {9}), i64({1}, {0})}, {1})), (std::vector<int64_t>{9}));
  Attributes to_i64;
  to_i64.set_int("to", 7);
  EXPECT_EQ(values(run(OpType::Cast, {Tensor::from_values<float>({2}, {2.9f, -1.5f})}, {2}, to_i64)), (std::vector<int64_t>{2, -1}));
  Attributes cos;
  cos.set_tensor("value", i64({1}, {4}));
  EXPECT_EQ(values(run(OpType::ConstantOfShape, {i64({1}, {3})}, {3}, cos)), (std::vector<int64_t>{4, 4, 4}));
}

TEST(FoldBuiltin, RejectsWhatItCannotDo) {
  Node n;
  n.op = OpType::Conv;
  n.name = "conv";
  Tensor a = i64({1}, {1}), out = i64({1}, {0});
  std::vector<TensorView> iv{a.view()}, ov{out.view()};
  EXPECT_EQ(fold_builtin(n, iv, ov).code(), ErrorCode::Unsupported);
  n.op = OpType::Div;
  Tensor zero = i64({1}, {0});
  std::vector<TensorView> div_in{a.view(), zero.view()};
  EXPECT_EQ(fold_builtin(n, div_in, ov).code(), ErrorCode::InvalidModel);
}

}  // namespace
}  // namespace deepshark
