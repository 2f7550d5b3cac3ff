// prepare_graph: input binding, folding of torch's shape arithmetic, no-op removal, errors.
#include <gtest/gtest.h>

#include "graph/graph.h"
#include "transform/prepare.h"

namespace deepshark {
namespace {

void expect_error(const Status& s, ErrorCode code, const std::string& part) {
  ASSERT_FALSE(s.ok()) << "expected an error containing '" << part << "'";
  EXPECT_EQ(s.code(), code) << s.to_string();
  EXPECT_NE(s.message().find(part), std::string::npos) << s.to_string();
}

std::vector<OpType> ops(const Graph& g) {
  std::vector<OpType> r;
  for (const Node& n : g.nodes) r.push_back(n.op);
  return r;
}

// x:[-1,3,4,5] -> Shape -> Gather(0) -> Unsqueeze(0) -> Concat(.., [-1]) -> Reshape(x, ..) -> Relu
// (what torch.flatten(x, 1) / x.view(x.size(0), -1) exports to).
Graph torch_flatten_graph() {
  Graph g;
  g.name = "torch_flatten";
  ValueId x = g.add_value("x", DType::F32, {-1, 3, 4, 5});
  g.inputs.push_back(x);
  ValueId shp = g.add_value("shp"), dim0 = g.add_value("dim0"), dim0u = g.add_value("dim0u");
  ValueId cat = g.add_value("cat"), flat = g.add_value("flat"), y = g.add_value("y");
  ValueId idx = g.add_constant("idx", Tensor::from_values<int64_t>({}, {0}));
  ValueId axes = g.add_constant("axes", Tensor::from_values<int64_t>({1}, {0}));
  ValueId minus1 = g.add_constant("minus1", Tensor::from_values<int64_t>({1}, {-1}));
  g.add_node(OpType::Shape, "shape", {x}, {shp});
  g.add_node(OpType::Gather, "gather", {shp, idx}, {dim0}).attrs.set_int("axis", 0);
  g.add_node(OpType::Unsqueeze, "unsqueeze", {dim0, axes}, {dim0u});
  g.add_node(OpType::Concat, "concat", {dim0u, minus1}, {cat}).attrs.set_int("axis", 0);
  g.add_node(OpType::Reshape, "reshape", {x, cat}, {flat});
  g.add_node(OpType::Relu, "relu", {flat}, {y});
  g.outputs.push_back(y);
  return g;
}

TEST(Prepare, FoldsTorchShapeArithmetic) {
  Graph g = torch_flatten_graph();
  ASSERT_TRUE(prepare_graph(g, {{{"x", {2, 3, 4, 5}}}}).ok());
  EXPECT_EQ(ops(g), (std::vector<OpType>{OpType::Reshape, OpType::Relu}));
  const Node& reshape = g.nodes[0];
  EXPECT_EQ(g.value(reshape.outputs[0]).shape, (Shape{2, 60}));
  ASSERT_TRUE(g.value(reshape.inputs[1]).is_constant());
  const Tensor& spec = *g.value(reshape.inputs[1]).constant;
  ASSERT_EQ(spec.dtype(), DType::I64);
  ASSERT_EQ(spec.numel(), 2);
  EXPECT_EQ(spec.data<int64_t>()[0], 2);
  EXPECT_EQ(spec.data<int64_t>()[1], -1);
  EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{2, 60}));
  EXPECT_TRUE(g.value(g.outputs[0]).shape_known);
}

TEST(Prepare, WithoutFoldingTheShapeInputIsNotConstant) {
  Graph g = torch_flatten_graph();
  PrepareOptions o;
  o.input_shapes = {{"x", {2, 3, 4, 5}}};
  o.fold_constants = false;
  expect_error(prepare_graph(g, o), ErrorCode::Unsupported,
               "failed to infer shape of node 'reshape': input 'cat' must be a constant (data-dependent shapes are not supported)");
}

TEST(Prepare, Deterministic) {
  Graph a = torch_flatten_graph(), b = torch_flatten_graph();
  ASSERT_TRUE(prepare_graph(a, {{{"x", {7, 3, 4, 5}}}}).ok());
  ASSERT_TRUE(prepare_graph(b, {{{"x", {7, 3, 4, 5}}}}).ok());
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    EXPECT_EQ(a.nodes[i].name, b.nodes[i].name);
    EXPECT_EQ(a.nodes[i].inputs, b.nodes[i].inputs);
  }
  EXPECT_EQ(a.value(a.outputs[0]).shape, (Shape{7, 60}));
}

TEST(Prepare, BindingErrors) {
  {
    Graph g = torch_flatten_graph();
    expect_error(prepare_graph(g, {{{"z", {1, 3, 4, 5}}}}), ErrorCode::InvalidArgument,
                 "failed to bind input 'z': no such input (expected one of: x, got z)");
  }
  {
    Graph g = torch_flatten_graph();
    expect_error(prepare_graph(g, {{{"x", {1, 3, 20}}}}), ErrorCode::InvalidArgument,
                 "failed to bind input 'x': rank mismatch (expected 4 dims");
  }
  {
    Graph g = torch_flatten_graph();
    expect_error(prepare_graph(g, {{{"x", {1, 4, 4, 5}}}}), ErrorCode::InvalidArgument,
                 "dimension 1 contradicts the model (expected 3 as in [-1,3,4,5], got 4)");
  }
  {
    Graph g = torch_flatten_graph();
    expect_error(prepare_graph(g, {{{"x", {-1, 3, 4, 5}}}}), ErrorCode::InvalidArgument, "negative dimension");
  }
  {
    Graph g = torch_flatten_graph();
    expect_error(prepare_graph(g, {}), ErrorCode::InvalidArgument, "failed to bind input 'x': the model leaves dimensions");
    expect_error(prepare_graph(g, {}), ErrorCode::InvalidArgument, "pass its shape");
  }
  {
    // An input declared without any shape takes whatever rank the caller gives.
    Graph g;
    ValueId x = g.add_value("x"), y = g.add_value("y");
    g.inputs.push_back(x);
    g.add_node(OpType::Relu, "relu", {x}, {y});
    g.outputs.push_back(y);
    ASSERT_TRUE(prepare_graph(g, {{{"x", {5}}}}).ok());
    EXPECT_EQ(g.value(y).shape, (Shape{5}));
  }
}

TEST(Prepare, ShapeErrorsNameTheNode) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {1, 32, 8, 8}, true);
  ValueId w = g.add_constant("w", Tensor::from_values<float>({2, 64, 1, 1}, std::vector<float>(128, 1.f)));
  ValueId y = g.add_value("y");
  g.inputs.push_back(x);
  g.add_node(OpType::Conv, "conv1", {x, w}, {y});
  g.outputs.push_back(y);
  expect_error(prepare_graph(g, {}), ErrorCode::InvalidModel,
               "failed to infer shape of node 'conv1': input channel mismatch with weights 'w' and group 1 (expected 64 input channels, got 32)");
}

TEST(Prepare, DropsIdentityAndDropout) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {2, 3}, true);
  ValueId a = g.add_value("a"), b = g.add_value("b"), c = g.add_value("c"), mask = g.add_value("mask");
  ValueId y = g.add_value("y"), z = g.add_value("z");
  g.inputs.push_back(x);
  g.add_node(OpType::Relu, "relu", {x}, {a});
  g.add_node(OpType::Identity, "id", {a}, {b});
  g.add_node(OpType::Dropout, "drop", {b}, {c, mask});  // mask unused
  g.add_node(OpType::Sigmoid, "sig", {c}, {y});
  g.add_node(OpType::Identity, "out_id", {y}, {z});      // produces a graph output: stays
  g.outputs = {z};
  ASSERT_TRUE(prepare_graph(g, {}).ok());
  EXPECT_EQ(ops(g), (std::vector<OpType>{OpType::Relu, OpType::Sigmoid, OpType::Identity}));
  EXPECT_EQ(g.nodes[1].inputs, (std::vector<ValueId>{a}));
  EXPECT_EQ(g.nodes[2].outputs, (std::vector<ValueId>{z}));
  EXPECT_EQ(g.value(z).shape, (Shape{2, 3}));
}

TEST(Prepare, DropoutOnGraphOutputBecomesIdentity) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {4}, true);
  ValueId a = g.add_value("a"), y = g.add_value("y");
  g.inputs.push_back(x);
  g.add_node(OpType::Relu, "relu", {x}, {a});
  g.add_node(OpType::Dropout, "drop", {a}, {y}).attrs.set_float("ratio", 0.5f);
  g.outputs = {y};
  ASSERT_TRUE(prepare_graph(g, {}).ok());
  EXPECT_EQ(ops(g), (std::vector<OpType>{OpType::Relu, OpType::Identity}));
  EXPECT_EQ(g.nodes[1].outputs, (std::vector<ValueId>{y}));
}

TEST(Prepare, FoldsConstantsWithinTheLimit) {
  auto build = [] {
    Graph g;
    ValueId x = g.add_value("x", DType::I64, {3}, true);
    ValueId k = g.add_value("k"), s = g.add_value("s"), y = g.add_value("y");
    g.inputs.push_back(x);
    Node& cn = g.add_node(OpType::Constant, "const", {}, {k});
    cn.attrs.set_ints("value_ints", {1, 2, 3});
    ValueId one = g.add_constant("one", Tensor::from_values<int64_t>({1}, {10}));
    g.add_node(OpType::Add, "add_const", {k, one}, {s});
    g.add_node(OpType::Add, "add_x", {x, s}, {y});
    g.outputs = {y};
    return g;
  };
  Graph g = build();
  ASSERT_TRUE(prepare_graph(g, {}).ok());
  ASSERT_EQ(ops(g), (std::vector<OpType>{OpType::Add}));
  const Value& folded = g.value(g.nodes[0].inputs[1]);
  ASSERT_TRUE(folded.is_constant());
  EXPECT_EQ(folded.constant->data<int64_t>()[0], 11);
  EXPECT_EQ(folded.constant->data<int64_t>()[2], 13);

  Graph h = build();
  PrepareOptions o;
  o.fold_limit_bytes = 8;  // the 24-byte Add result stays a node; the Constant still folds
  ASSERT_TRUE(prepare_graph(h, o).ok());
  EXPECT_EQ(ops(h), (std::vector<OpType>{OpType::Add, OpType::Add}));
}

// ConstantOfShape([1024]) -> Tile x `tiles` (each folded output 4 KiB * tiles) -> ... -> Add(x, .)
// `n` times: a few bytes of model that fold to n * 4 KiB * tiles of constants.
Graph tile_chain(int n, int64_t tiles) {
  Graph g;
  g.name = "tiles";
  ValueId x = g.add_value("x", DType::F32, {1024 * tiles}, true);
  g.inputs.push_back(x);
  ValueId shape = g.add_constant("shape", Tensor::from_values<int64_t>({1}, {1024}));
  ValueId reps = g.add_constant("reps", Tensor::from_values<int64_t>({1}, {tiles}));
  ValueId y = x;
  for (int i = 0; i < n; ++i) {
    const std::string k = std::to_string(i);
    ValueId c = g.add_value("c" + k), t = g.add_value("t" + k), s = g.add_value("s" + k);
    g.add_node(OpType::ConstantOfShape, "fill" + k, {shape}, {c});
    g.add_node(OpType::Tile, "tile" + k, {c, reps}, {t});
    g.add_node(OpType::Add, "add" + k, {y, t}, {s});
    y = s;
  }
  g.outputs.push_back(y);
  return g;
}

TEST(Prepare, FoldingOverTheNodeWorkLimitLeavesTheNode) {
  Graph g = tile_chain(1, 4);
  PrepareOptions o;
  o.fold_limit_work = 2048;  // ConstantOfShape (1024 elements) folds, Tile (4096) stays
  ASSERT_TRUE(prepare_graph(g, o).ok());
  EXPECT_EQ(ops(g), (std::vector<OpType>{OpType::Tile, OpType::Add}));
}

TEST(Prepare, FoldingOverItsBudgetIsAnErrorNamingTheNode) {
  // Within the budget: three 16 KiB tiles and their fills fold.
  PrepareOptions o;
  o.fold_budget_bytes = 3 * (16 << 10) + 3 * 4096;
  Graph g = tile_chain(3, 4);
  ASSERT_TRUE(prepare_graph(g, o).ok());
  EXPECT_EQ(ops(g), (std::vector<OpType>{OpType::Add, OpType::Add, OpType::Add}));
  // The fourth fill is over (16 B of model constants, shape and reps, allow 32 B more than the base).
  Graph h = tile_chain(4, 4);
  expect_error(prepare_graph(h, o), ErrorCode::InvalidModel,
               "failed to fold node 'fill3': constant folding exceeds its size budget (docs/robustness.md) "
               "(expected <= 61472 bytes, got 65536 bytes)");
  // The same for work.
  PrepareOptions w;
  w.fold_budget_work = 1000;
  Graph k = tile_chain(1, 4);
  expect_error(prepare_graph(k, w), ErrorCode::InvalidModel,
               "failed to fold node 'tile0': constant folding exceeds its work budget (docs/robustness.md) "
               "(expected <= 1064 operations, got 5120 operations)");
}

TEST(Prepare, PrunesUnusedBranches) {
  Graph g;
  ValueId x = g.add_value("x", DType::F32, {4}, true);
  ValueId y = g.add_value("y"), dead = g.add_value("dead");
  g.inputs.push_back(x);
  g.add_node(OpType::Relu, "relu", {x}, {y});
  g.add_node(OpType::Sigmoid, "unused", {x}, {dead});
  g.outputs = {y};
  ASSERT_TRUE(prepare_graph(g, {}).ok());
  EXPECT_EQ(ops(g), (std::vector<OpType>{OpType::Relu}));
}

}  // namespace
}  // namespace deepshark
