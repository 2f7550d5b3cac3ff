// Public API: binding errors are precise, a failed run leaves the session usable, memory is
// accounted.
#include <gtest/gtest.h>

#include "deepshark/deepshark.h"
#include "support/test_support.h"

namespace deepshark::testing {
namespace {

// x[1,4] -> Relu -> y; plus a constant weight so the session holds some weight memory.
Graph relu_add_graph() {
  Graph g;
  g.name = "relu_add";
  ValueId x = g.add_value("x", DType::F32, {1, 4}, true);
  g.inputs.push_back(x);
  ValueId r = g.add_value("r");
  g.add_node(OpType::Relu, "relu", {x}, {r});
  ValueId b = g.add_constant("b", Tensor::from_values<float>({1, 4}, {1, 2, 3, 4}));
  ValueId y = g.add_value("y");
  g.add_node(OpType::Add, "add", {r, b}, {y});
  g.outputs.push_back(y);
  return g;
}

std::unique_ptr<Session> make_session() {
  auto s = Session::create(relu_add_graph(), {});
  EXPECT_TRUE(s.ok()) << s.status().message();
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(Session, RunsAndReportsMemory) {
  auto s = make_session();
  ASSERT_TRUE(s);
  auto out = s->run({{"x", Tensor::from_values<float>({1, 4}, {-1, 0, 1, 2})}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].name, "y");
  const float* y = (*out)[0].tensor.data<float>();
  EXPECT_EQ(std::vector<float>(y, y + 4), (std::vector<float>{1, 2, 4, 6}));
  MemoryReport m = s->memory();
  EXPECT_GE(m.weight_bytes, 16u);
  EXPECT_GE(m.peak_managed_bytes, m.weight_bytes + m.arena_bytes);
}

TEST(Session, WrongInputNameIsPreciseAndSessionStaysUsable) {
  auto s = make_session();
  ASSERT_TRUE(s);
  auto bad = s->run({{"nope", Tensor::from_values<float>({1, 4}, {1, 1, 1, 1})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(bad.status().message(),
            "failed to bind input 'nope': the model has no such input (expected one of: x, got nope)");
  auto good = s->run({{"x", Tensor::from_values<float>({1, 4}, {1, 1, 1, 1})}});
  EXPECT_TRUE(good.ok()) << good.status().message();
}

TEST(Session, WrongShapeDtypeAndMissingInput) {
  auto s = make_session();
  ASSERT_TRUE(s);
  auto shape = s->run({{"x", Tensor::from_values<float>({2, 2}, {1, 1, 1, 1})}});
  ASSERT_FALSE(shape.ok());
  EXPECT_NE(shape.status().message().find("wrong shape (expected [1,4], got [2,2])"), std::string::npos)
      << shape.status().message();
  auto dtype = s->run({{"x", Tensor::from_values<int64_t>({1, 4}, {1, 1, 1, 1})}});
  ASSERT_FALSE(dtype.ok());
  EXPECT_NE(dtype.status().message().find("wrong dtype (expected F32, got I64)"), std::string::npos)
      << dtype.status().message();
  auto missing = s->run({});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "failed to bind input 'x': missing");
}

TEST(Session, BadThreadCount) {
  SessionOptions opt;
  opt.threads = 0;
  auto s = Session::create(relu_add_graph(), opt);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), ErrorCode::InvalidArgument);
}

TEST(Session, UnknownModelExtension) {
  auto s = Session::open("/tmp/model.xyz", {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("unknown model format"), std::string::npos) << s.status().message();
}

}  // namespace
}  // namespace deepshark::testing
