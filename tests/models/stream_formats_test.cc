// The block stream on the generated TensorFlow and Caffe models (scripts/make_tf_models.py and
// scripts/make_caffe_models.py: VGG-16, ResNet-50, MobileNetV2): pack, run under a budget of 10 % of
// the weight bytes (or the smallest feasible budget when 10 % is below it), and the outputs must be
// bit-identical to the same engine's in-memory run of the original file at the same thread count,
// with peak managed memory within the budget. Each model is skipped with a message when absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "base/npy.h"
#include "models/model_support.h"

namespace deepshark::testing {
namespace {

constexpr int kThreads = 2;

struct FormatCase {
  std::string name;    // test name
  std::string format;  // "tf" or "caffe"
  std::string net;     // vgg16, resnet50, mobilenet_v2
};
void PrintTo(const FormatCase& c, std::ostream* os) { *os << c.name; }

class StreamFormatsLarge : public ::testing::TestWithParam<FormatCase> {};

TEST_P(StreamFormatsLarge, BitIdenticalUnderTenPercentBudget) {
  const FormatCase& c = GetParam();
  const std::string gen = generated_models_dir();
  const std::string stem = gen + "/" + c.format + "/" + c.net;
  const bool caffe = c.format == "caffe";
  const std::string model = stem + (caffe ? ".prototxt" : ".pb");
  const std::string weights = caffe ? stem + ".caffemodel" : "";
  if (gen.empty() || !std::filesystem::exists(model) || (caffe && !std::filesystem::exists(weights)) ||
      !std::filesystem::exists(stem + ".input.npy")) {
    GTEST_SKIP() << c.net << " (" << c.format << ") was not generated: run "
                 << (caffe ? "/usr/bin/python3 scripts/make_caffe_models.py build/models/caffe"
                           : "/usr/bin/python3 scripts/make_tf_models.py models build/models/tf");
  }
  auto x = read_npy(stem + ".input.npy");
  ASSERT_TRUE(x.ok()) << x.status().message();
  const std::string input_name = caffe ? "data" : "input";
  const std::vector<NamedTensor> inputs = {{input_name, *x}};

  SessionOptions mem;
  mem.threads = kThreads;
  mem.weights_path = weights;
  mem.input_shapes[input_name] = x->shape();
  std::vector<NamedTensor> ref;
  {
    auto ref_s = Session::open(model, mem);
    ASSERT_TRUE(ref_s.ok()) << ref_s.status().message();
    auto r = (*ref_s)->run(inputs);
    ASSERT_TRUE(r.ok()) << r.status().message();
    ref = std::move(r).value();
  }

  const std::string dsk = ::testing::TempDir() + "/stream_formats_" + c.name + ".dsk";
  PackOptions po;
  po.threads = kThreads;
  po.weights_path = weights;
  po.input_shapes = mem.input_shapes;
  auto packed = pack_model(model, dsk, po);
  ASSERT_TRUE(packed.ok()) << packed.status().message();

  uint64_t weight_bytes = 0;
  {
    SessionOptions whole;
    whole.threads = kThreads;
    auto s = Session::open(dsk, whole);
    ASSERT_TRUE(s.ok()) << s.status().message();
    weight_bytes = (*s)->plan().resident_bytes;
  }
  ASSERT_GT(weight_bytes, 0u);
  uint64_t smallest = 0;
  {
    SessionOptions o;
    o.threads = kThreads;
    o.memory_budget_bytes = 1;
    auto s = Session::open(dsk, o);
    ASSERT_FALSE(s.ok());
    ASSERT_EQ(s.status().code(), ErrorCode::BudgetInfeasible) << s.status().message();
    const std::string& msg = s.status().message();  // "(expected >= N bytes, got M bytes)"
    const size_t at = msg.find("(expected >= ");
    ASSERT_NE(at, std::string::npos) << msg;
    smallest = std::stoull(msg.substr(at + 13));
  }
  const uint64_t budget = std::max(weight_bytes / 10, smallest);
  std::cout << "[ " << c.name << " ] weights " << weight_bytes << " bytes, 10 % = " << weight_bytes / 10
            << ", smallest feasible " << smallest << ", budget " << budget << "\n";

  SessionOptions o;
  o.threads = kThreads;
  o.memory_budget_bytes = budget;
  auto s = Session::open(dsk, o);
  ASSERT_TRUE(s.ok()) << "budget " << budget << ": " << s.status().message();
  EXPECT_TRUE((*s)->plan().streaming);
  auto out = (*s)->run(inputs);
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), ref.size());
  for (size_t i = 0; i < out->size(); ++i) {
    EXPECT_EQ((*out)[i].name, ref[i].name);
    EXPECT_TRUE(bit_identical((*out)[i].tensor.view(), ref[i].tensor.view()))
        << c.name << " output " << (*out)[i].name << " differs from in-memory, max diff "
        << max_abs_diff((*out)[i].tensor.view(), ref[i].tensor.view());
  }
  EXPECT_LE((*s)->memory().peak_managed_bytes, budget);
  EXPECT_LE((*s)->plan().predicted_peak_bytes, budget);
  std::filesystem::remove(dsk);
}

// The same weights through DeepShark's ONNX importer (the scripts export NET.onnx from the torch
// model they convert) and through the Caffe / TensorFlow importer: outputs agree within float
// tolerance (different graphs: TF's NHWC boundary transposes, Caffe's ReLU6 as two ReLUs).
TEST_P(StreamFormatsLarge, MatchesTheOnnxExportOfTheSameWeights) {
  const FormatCase& c = GetParam();
  const std::string gen = generated_models_dir();
  const std::string stem = gen + "/" + c.format + "/" + c.net;
  const bool caffe = c.format == "caffe";
  const std::string model = stem + (caffe ? ".prototxt" : ".pb");
  if (gen.empty() || !std::filesystem::exists(model) || !std::filesystem::exists(stem + ".onnx")) {
    GTEST_SKIP() << c.net << " (" << c.format << ") or its ONNX export was not generated";
  }
  auto x = read_npy(stem + ".input.npy");
  ASSERT_TRUE(x.ok()) << x.status().message();
  const std::string input_name = caffe ? "data" : "input";
  SessionOptions o;
  o.threads = kThreads;
  o.weights_path = caffe ? stem + ".caffemodel" : "";
  o.input_shapes[input_name] = x->shape();
  auto native = Session::open(model, o);
  ASSERT_TRUE(native.ok()) << native.status().message();
  auto a = (*native)->run({{input_name, *x}});
  ASSERT_TRUE(a.ok()) << a.status().message();
  // The ONNX export takes NCHW; the TF model's input is NHWC.
  Tensor nchw = *x;
  if (!caffe) {
    const Shape& s = x->shape();  // [N, H, W, C]
    auto t = Tensor::create(DType::F32, {s[0], s[3], s[1], s[2]});
    ASSERT_TRUE(t.ok());
    for (int64_t h = 0; h < s[1]; ++h)
      for (int64_t w = 0; w < s[2]; ++w)
        for (int64_t ch = 0; ch < s[3]; ++ch)
          t->data<float>()[(ch * s[1] + h) * s[2] + w] = x->data<float>()[(h * s[2] + w) * s[3] + ch];
    nchw = std::move(t).value();
  }
  SessionOptions oo;
  oo.threads = kThreads;
  auto onnx = Session::open(stem + ".onnx", oo);
  ASSERT_TRUE(onnx.ok()) << onnx.status().message();
  auto b = (*onnx)->run({{"input", nchw}});
  ASSERT_TRUE(b.ok()) << b.status().message();
  ASSERT_EQ(a->size(), 1u);
  ASSERT_EQ(b->size(), 1u);
  const Tensor& ta = (*a)[0].tensor;
  Tensor tb = (*b)[0].tensor;
  ASSERT_EQ(ta.numel(), tb.numel());
  tb = tb.reshaped(ta.shape());
  const double scale = std::max(1e-3, max_abs(tb.view()));
  EXPECT_LE(max_abs_diff(ta.view(), tb.view()) / scale, 1e-4) << c.name;
}

std::vector<FormatCase> cases() {
  std::vector<FormatCase> v;
  for (const char* format : {"tf", "caffe"}) {
    for (const char* net : {"vgg16", "resnet50", "mobilenet_v2"}) {
      v.push_back({std::string(format) + "_" + net, format, net});
    }
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(Models, StreamFormatsLarge, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<FormatCase>& i) { return i.param.name; });

}  // namespace
}  // namespace deepshark::testing
