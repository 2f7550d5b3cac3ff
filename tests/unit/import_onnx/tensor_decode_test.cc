// Tensor decoding: every typed-data field, float16 widening, Constant nodes, attribute kinds,
// optional inputs, input shapes and file-level limits.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "import/onnx/onnx_importer.h"
#include "import/onnx/onnx_tensor.h"
#include "unit/import_onnx/onnx_builder.h"

namespace deepshark {
namespace {

namespace fs = std::filesystem;
using testing::OnnxBuilder;
using TP = onnx::TensorProto;

// One initializer `w` feeding an Identity, so it is referenced.
OnnxBuilder with_initializer(const std::function<void(TP*)>& fill, int dtype, std::vector<int64_t> dims) {
  OnnxBuilder b;
  fill(b.initializer("w", dtype, std::move(dims)));
  b.node("Identity", {"w"}, {"y"}, "id");
  b.output("y");
  return b;
}

const Tensor& weight(const Graph& g) { return *g.value(g.find_value("w")).constant; }

TEST(ImportOnnxTensor, TypedFieldsForEveryDtype) {
  {
    Result<Graph> r = with_initializer([](TP* t) { for (int v : {-1, 2, 300}) t->add_int32_data(v); }, TP::INT8, {3}).import();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(weight(*r).dtype(), DType::I8);
    EXPECT_EQ(weight(*r).data<int8_t>()[0], -1);
    EXPECT_EQ(weight(*r).data<int8_t>()[1], 2);
  }
  {
    Result<Graph> r = with_initializer([](TP* t) { for (int v : {0, 255}) t->add_int32_data(v); }, TP::UINT8, {2}).import();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(weight(*r).data<uint8_t>()[1], 255);
  }
  {
    Result<Graph> r = with_initializer([](TP* t) { for (int v : {0, 7, 1}) t->add_int32_data(v); }, TP::BOOL, {3}).import();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(weight(*r).dtype(), DType::Bool);
    EXPECT_EQ(weight(*r).data<uint8_t>()[1], 1);  // normalised to 0/1
  }
  {
    Result<Graph> r = with_initializer([](TP* t) { t->add_int32_data(-7); t->add_int32_data(1 << 30); }, TP::INT32, {2}).import();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(weight(*r).data<int32_t>()[1], 1 << 30);
  }
  {
    Result<Graph> r = with_initializer([](TP* t) { t->add_double_data(0.125); }, TP::DOUBLE, {1}).import();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(weight(*r).data<double>()[0], 0.125);
  }
  {
    Result<Graph> r = with_initializer([](TP* t) { t->add_int64_data(-5); }, TP::INT64, {}).import();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(weight(*r).shape(), Shape{});
    EXPECT_EQ(weight(*r).data<int64_t>()[0], -5);
  }
  {
    Result<Graph> r = with_initializer([](TP* t) { t->add_uint64_data(uint64_t{1} << 40); }, TP::UINT64, {1}).import();
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(weight(*r).data<uint64_t>()[0], uint64_t{1} << 40);
  }
}

TEST(ImportOnnxTensor, Float16IsWidenedToF32) {
  // 0x3C00 = 1.0, 0xC000 = -2.0, 0x0001 = smallest subnormal 2^-24, 0x7C00 = inf.
  const std::vector<uint16_t> h = {0x3C00, 0xC000, 0x0001, 0x7C00};
  Result<Graph> raw = with_initializer([&](TP* t) { t->set_raw_data(h.data(), h.size() * 2); }, TP::FLOAT16, {4}).import();
  ASSERT_TRUE(raw.ok()) << raw.status().to_string();
  const Tensor& w = weight(*raw);
  ASSERT_EQ(w.dtype(), DType::F32);
  EXPECT_EQ(w.data<float>()[0], 1.f);
  EXPECT_EQ(w.data<float>()[1], -2.f);
  EXPECT_EQ(w.data<float>()[2], std::ldexp(1.f, -24));
  EXPECT_TRUE(std::isinf(w.data<float>()[3]));
  Result<Graph> typed = with_initializer([&](TP* t) { for (uint16_t v : h) t->add_int32_data(v); }, TP::FLOAT16, {4}).import();
  ASSERT_TRUE(typed.ok()) << typed.status().to_string();
  EXPECT_EQ(std::memcmp(weight(*typed).raw(), w.raw(), 16), 0);
  // Every half value converts exactly (round-trip through the float's bits).
  for (uint32_t v = 0; v < 0x10000; ++v) {
    float f = onnx_import::half_to_float(static_cast<uint16_t>(v));
    if (std::isnan(f)) continue;
    uint32_t exp = (v >> 10) & 0x1f, mant = v & 0x3ff;
    double expect = exp == 0 ? std::ldexp(static_cast<double>(mant), -24)
                             : exp == 31 ? INFINITY : std::ldexp(1.0 + mant / 1024.0, static_cast<int>(exp) - 15);
    if (v & 0x8000) expect = -expect;
    ASSERT_EQ(static_cast<double>(f), expect) << std::hex << v;
  }
}

TEST(ImportOnnxTensor, MissingDataIsACountMismatch) {
  Result<Graph> r = with_initializer([](TP*) {}, TP::FLOAT, {2, 2}).import();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::InvalidModel);
  EXPECT_NE(r.status().message().find("float_data count does not match shape [2,2] (expected 4 values, got 0)"),
            std::string::npos) << r.status().message();
}

TEST(ImportOnnxTensor, UndefinedDtypeIsInvalid) {
  Result<Graph> r = with_initializer([](TP* t) { t->set_data_type(0); }, TP::FLOAT, {1}).import();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::InvalidModel);
  EXPECT_NE(r.status().message().find("data type is undefined"), std::string::npos);
}

TEST(ImportOnnxTensor, ConstantNodesBecomeConstants) {
  OnnxBuilder b;
  b.node("Constant", {}, {"ci"}, "c1").ints("value_ints", {3, 4});
  b.node("Constant", {}, {"cf"}, "c2").f("value_float", 1.5f);
  TP t;
  t.set_data_type(TP::FLOAT);
  t.add_dims(2);
  t.add_float_data(1.f);
  t.add_float_data(2.f);
  b.node("Constant", {}, {"ct"}, "c3").tensor("value", t);
  b.node("Add", {"ct", "cf"}, {"s"}, "add");
  b.node("Reshape", {"s", "ci"}, {"y"}, "reshape");
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->nodes.size(), 2u);
  const Value& ci = r->value(r->find_value("ci"));
  ASSERT_TRUE(ci.is_constant());
  EXPECT_EQ(ci.constant->dtype(), DType::I64);
  EXPECT_EQ(ci.constant->shape(), Shape{2});
  EXPECT_EQ(ci.constant->data<int64_t>()[1], 4);
  const Value& cf = r->value(r->find_value("cf"));
  EXPECT_EQ(cf.constant->shape(), Shape{});
  EXPECT_EQ(cf.constant->data<float>()[0], 1.5f);
  EXPECT_EQ(r->value(r->find_value("ct")).constant->data<float>()[1], 2.f);
  EXPECT_EQ(r->constant_bytes(), 16u + 4u + 8u);
}

TEST(ImportOnnxTensor, AttributeKindsAreCopied) {
  OnnxBuilder b;
  b.input("x", {1, 1, 4, 4});
  TP v;
  v.set_data_type(TP::FLOAT);
  v.add_dims(1);
  v.add_float_data(3.f);
  b.node("Conv", {"x", "w"}, {"c"}, "conv").ints("kernel_shape", {1, 1}).i("group", 1).s("auto_pad", "NOTSET");
  b.float_initializer("w", {1, 1, 1, 1}, {2.f});
  b.node("LeakyRelu", {"c"}, {"l"}, "leaky").f("alpha", 0.25f);
  b.node("Shape", {"l"}, {"sh"}, "shape");
  b.node("ConstantOfShape", {"sh"}, {"y"}, "cos").tensor("value", v);
  b.node("Identity", {"x"}, {"z"}, "id").floats("unused", {1.f, 2.f});
  b.output("y");
  b.output("z");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Node& conv = r->nodes[0];
  EXPECT_EQ(conv.attrs.find("kernel_shape")->kind, AttrKind::Ints);
  EXPECT_EQ(conv.attrs.get_ints("kernel_shape"), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(conv.attrs.find("group")->kind, AttrKind::Int);
  EXPECT_EQ(conv.attrs.find("auto_pad")->kind, AttrKind::String);
  EXPECT_EQ(r->nodes[1].attrs.find("alpha")->kind, AttrKind::Float);
  EXPECT_EQ(r->nodes[1].attrs.get_float("alpha", 0), 0.25f);
  const Tensor* t = r->nodes[3].attrs.get_tensor("value");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->data<float>()[0], 3.f);
  EXPECT_EQ(r->nodes[4].attrs.find("unused")->kind, AttrKind::Floats);
}

TEST(ImportOnnxTensor, GraphAttributeIsUnsupported) {
  OnnxBuilder b;
  b.input("x", {2});
  auto n = b.node("Relu", {"x"}, {"y"}, "relu");
  n.add("body", onnx::AttributeProto::GRAPH)->mutable_g()->set_name("sub");
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::Unsupported);
  EXPECT_NE(r.status().message().find("failed to import node 'relu': attribute 'body' has unsupported type 'GRAPH'"),
            std::string::npos) << r.status().message();
}

TEST(ImportOnnxTensor, EmptyInputNameIsAbsentOptional) {
  OnnxBuilder b(13);
  b.input("x", {2});
  b.float_initializer("hi", {}, {1.f});
  b.node("Clip", {"x", "", "hi"}, {"y"}, "clip");
  b.output("y");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->nodes[0].inputs.size(), 3u);
  EXPECT_EQ(r->nodes[0].inputs[1], kNoValue);
  EXPECT_EQ(r->value(r->nodes[0].inputs[2]).name, "hi");
}

TEST(ImportOnnxTensor, InputShapesAndInitializerListedAsInput) {
  OnnxBuilder b;
  b.input("x", {-1, 3});
  b.input("w", {3});                      // IR < 4 style: the initializer is listed as an input too
  b.input("ids", {4}, TP::INT64);
  b.float_initializer("w", {3}, {1, 2, 3});
  b.node("Add", {"x", "w"}, {"y"}, "add");
  b.node("Identity", {"ids"}, {"z"}, "id");
  b.output("y");
  b.output("z");
  Result<Graph> r = b.import();
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->inputs.size(), 2u);
  const Value& x = r->value(r->inputs[0]);
  EXPECT_EQ(x.shape, (Shape{-1, 3}));
  EXPECT_FALSE(x.shape_known);
  const Value& ids = r->value(r->inputs[1]);
  EXPECT_EQ(ids.dtype, DType::I64);
  EXPECT_EQ(ids.shape, Shape{4});
  EXPECT_TRUE(ids.shape_known);
  EXPECT_TRUE(r->value(r->find_value("w")).is_constant());
}

TEST(ImportOnnxTensor, EmptyNodeNamesGetLabels) {
  OnnxBuilder b;
  b.input("x", {2});
  b.node("Relu", {"x"}, {"y"});
  b.node("FooBar", {"y"}, {"z"});
  b.output("z");
  for (auto& n : *b.proto().mutable_graph()->mutable_node()) n.clear_name();
  Result<Graph> r = b.import();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("failed to import node 'FooBar_1': unsupported op type 'FooBar'"),
            std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace deepshark
