// The block stream on real models: pack once, run under every budget from the smallest feasible to
// the whole model and prefetch depths 0, 1 and 3; outputs must be bit-identical to the in-memory run of the
// original model at the same thread count, and peak managed memory must stay within the budget.
#include <gtest/gtest.h>

#include <filesystem>

#include "models/model_support.h"
#include "plan/plan.h"

namespace deepshark::testing {
namespace {

constexpr int kThreads = 2;

struct StreamCase {
  const char* name;
  const char* where;  // "shared:<path>" or "gen:<stem>"
};
void PrintTo(const StreamCase& c, std::ostream* os) { *os << c.name; }

// Resolves the model path and its inputs; empty path when unavailable (with the reason).
struct Resolved {
  std::string model;
  std::vector<NamedTensor> inputs;
  std::string skip;
};

Resolved resolve(const StreamCase& c) {
  Resolved r;
  std::string w = c.where;
  if (w.rfind("shared:", 0) == 0) {
    if (shared_models_dir().empty()) {
      r.skip = "../shared/models is absent";
      return r;
    }
    r.model = shared_models_dir() + "/" + w.substr(7);
    std::string td = r.model.find("mnist") != std::string::npos
                         ? shared_models_dir() + "/mnist/onnx/test_data_set_0/input_0.pb"
                         : shared_models_dir() + "/ultraface/onnx/version-RFB-320.test_data/1/input_0.pb";
    auto t = read_tensor_file(td);
    EXPECT_TRUE(t.ok());
    auto g = load_model(r.model);
    EXPECT_TRUE(g.ok());
    r.inputs.push_back({g->value(g->inputs[0]).name, std::move(t).value()});
    return r;
  }
  std::string dir = generated_models_dir();
  std::string stem = w.substr(4);
  if (dir.empty() || !std::filesystem::exists(dir + "/" + stem + ".onnx")) {
    r.skip = stem + " was not generated (scripts/make_models.py)";
    return r;
  }
  r.model = dir + "/" + stem + ".onnx";
  auto t = read_npy(dir + "/" + stem + ".input_input.npy");
  EXPECT_TRUE(t.ok());
  r.inputs.push_back({"input", std::move(t).value()});
  return r;
}

class StreamExact : public ::testing::TestWithParam<StreamCase> {};

TEST_P(StreamExact, BitIdenticalUnderEveryBudgetAndDepth) {
  Resolved r = resolve(GetParam());
  if (!r.skip.empty()) GTEST_SKIP() << r.skip;
  SessionOptions mem;
  mem.threads = kThreads;
  for (const NamedTensor& in : r.inputs) mem.input_shapes[in.name] = in.tensor.shape();
  auto ref_session = Session::open(r.model, mem);
  ASSERT_TRUE(ref_session.ok()) << ref_session.status().message();
  auto ref = (*ref_session)->run(r.inputs);
  ASSERT_TRUE(ref.ok()) << ref.status().message();

  const std::string dsk = ::testing::TempDir() + "/" + GetParam().name + ".dsk";
  PackOptions po;
  po.threads = kThreads;
  po.input_shapes = mem.input_shapes;
  auto packed = pack_model(r.model, dsk, po);
  ASSERT_TRUE(packed.ok()) << packed.status().message();

  // Sizes: the plan input of an unbudgeted session gives weights and fixed memory.
  SessionOptions probe;
  probe.threads = kThreads;
  auto whole = Session::open(dsk, probe);
  ASSERT_TRUE(whole.ok()) << whole.status().message();
  const uint64_t weights = (*whole)->plan().resident_bytes;
  const uint64_t fixed = (*whole)->plan().predicted_peak_bytes - weights;
  whole->reset();

  int streamed = 0;
  // Depths 0 (load then compute), 1 (double buffering) and 3; depth 2 adds run time, not coverage.
  for (int depth : {0, 1, 3}) {
    std::vector<uint64_t> budgets = {0, fixed + weights / 2, fixed + weights / 4, fixed + weights / 10};
    // The smallest feasible budget for this depth: probe upwards from the fixed memory.
    {
      SessionOptions o;
      o.threads = kThreads;
      o.prefetch_depth = depth;
      o.memory_budget_bytes = fixed + 1;
      auto s = Session::open(dsk, o);
      ASSERT_FALSE(s.ok());
      ASSERT_EQ(s.status().code(), ErrorCode::BudgetInfeasible) << s.status().message();
      // "(expected >= N bytes, got M bytes)"
      const std::string& msg = s.status().message();
      size_t at = msg.find("(expected >= ");
      ASSERT_NE(at, std::string::npos) << msg;
      budgets.push_back(std::stoull(msg.substr(at + 13)));
    }
    for (uint64_t budget : budgets) {
      SessionOptions o;
      o.threads = kThreads;
      o.prefetch_depth = depth;
      o.memory_budget_bytes = budget;
      auto s = Session::open(dsk, o);
      if (!s.ok() && s.status().code() == ErrorCode::BudgetInfeasible && budget < budgets.back()) {
        continue;  // a percentage below the smallest feasible budget
      }
      ASSERT_TRUE(s.ok()) << "depth " << depth << " budget " << budget << ": " << s.status().message();
      streamed += (*s)->plan().streaming;
      for (int run = 0; run < 2; ++run) {
        auto out = (*s)->run(r.inputs);
        ASSERT_TRUE(out.ok()) << out.status().message();
        ASSERT_EQ(out->size(), ref->size());
        for (size_t i = 0; i < out->size(); ++i) {
          EXPECT_TRUE(bit_identical((*out)[i].tensor.view(), (*ref)[i].tensor.view()))
              << GetParam().name << " output " << (*out)[i].name << " differs from in-memory: depth " << depth
              << " budget " << budget << " run " << run << " max diff "
              << max_abs_diff((*out)[i].tensor.view(), (*ref)[i].tensor.view());
        }
      }
      if (budget) {
        EXPECT_LE((*s)->memory().peak_managed_bytes, budget) << "depth " << depth;
        EXPECT_LE((*s)->plan().predicted_peak_bytes, budget);
      }
    }
  }
  // Deep prefetch on a small model can need more than the whole model: then only shallower
  // depths stream. At least one plan must have streamed.
  EXPECT_GE(streamed, 1);
}

INSTANTIATE_TEST_SUITE_P(
    Models, StreamExact,
    ::testing::Values(StreamCase{"mnist8", "shared:mnist/onnx/mnist-8.onnx"},
                      StreamCase{"ultraface_rfb320", "shared:ultraface/onnx/version-RFB-320.onnx"},
                      StreamCase{"tiny_cnn", "gen:tiny_cnn"}, StreamCase{"tiny_gpt", "gen:tiny_gpt"},
                      StreamCase{"mobilenet_v2", "gen:mobilenet_v2"}, StreamCase{"resnet50", "gen:resnet50"},
                      StreamCase{"vgg16", "gen:vgg16"}, StreamCase{"vit_b_16", "gen:vit_b_16"},
                      StreamCase{"gpt2_stack", "gen:gpt2_stack"}),
    [](const ::testing::TestParamInfo<StreamCase>& i) { return std::string(i.param.name); });

TEST(StreamMnist, AccuracyFromDskAtSmallestBudgetIs9890) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string root = shared_models_dir() + "/mnist/";
  const std::string dsk = ::testing::TempDir() + "/mnist_acc.dsk";
  PackOptions po;
  ASSERT_TRUE(pack_model(root + "onnx/mnist-8.onnx", dsk, po).ok());
  SessionOptions o;
  o.memory_budget_bytes = 1;
  auto infeasible = Session::open(dsk, o);
  ASSERT_FALSE(infeasible.ok());
  const std::string& msg = infeasible.status().message();
  o.memory_budget_bytes = std::stoull(msg.substr(msg.find("(expected >= ") + 13));
  auto s = open_session(dsk, o);
  ASSERT_TRUE(s);
  EXPECT_FALSE(s->plan().text.empty());
  EXPECT_TRUE(s->plan().streaming) << s->plan().text;
  auto im = read_idx_images(root + "data/t10k-images-idx3-ubyte.gz");
  auto labels = read_idx_labels(root + "data/t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(im.ok() && labels.ok());
  auto x = Tensor::create(DType::F32, {1, 1, 28, 28});
  ASSERT_TRUE(x.ok());
  int correct = 0;
  for (int i = 0; i < im->count; ++i) {
    for (int k = 0; k < 784; ++k) x->data<float>()[k] = im->pixels[static_cast<size_t>(i) * 784 + k] / 255.0f;
    auto out = s->run({{"Input3", *x}});
    ASSERT_TRUE(out.ok()) << out.status().message();
    correct += argmax((*out)[0].tensor.data<float>(), 10) == (*labels)[i];
  }
  EXPECT_EQ(correct, 9890);
  EXPECT_LE(s->memory().peak_managed_bytes, o.memory_budget_bytes);
  EXPECT_GT(s->memory().current_managed_bytes, 0u);
  EXPECT_LE(s->memory().current_managed_bytes, s->memory().peak_managed_bytes);
}

}  // namespace
}  // namespace deepshark::testing

namespace deepshark::testing {
namespace {

// Caffe and TensorFlow models pack and stream like any other: bit-identical to in-memory under the
// smallest feasible budget.
void expect_streams_exactly(const std::string& model, const std::string& weights, const std::string& input_name,
                            const Tensor& input) {
  SessionOptions mem;
  mem.threads = kThreads;
  mem.weights_path = weights;
  mem.input_shapes[input_name] = input.shape();
  auto ref_s = Session::open(model, mem);
  ASSERT_TRUE(ref_s.ok()) << ref_s.status().message();
  auto ref = (*ref_s)->run({{input_name, input}});
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  const std::string dsk = ::testing::TempDir() + "/" + std::filesystem::path(model).stem().string() + ".dsk";
  PackOptions po;
  po.threads = kThreads;
  po.weights_path = weights;
  po.input_shapes = mem.input_shapes;
  po.slice_limit_bytes = 64 << 10;  // LeNet is small: slice it so that something streams
  auto packed = pack_model(model, dsk, po);
  ASSERT_TRUE(packed.ok()) << packed.status().message();
  SessionOptions o;
  o.threads = kThreads;
  o.memory_budget_bytes = 1;
  auto probe = Session::open(dsk, o);
  ASSERT_FALSE(probe.ok());
  const std::string& msg = probe.status().message();
  o.memory_budget_bytes = std::stoull(msg.substr(msg.find("(expected >= ") + 13));
  auto s = Session::open(dsk, o);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE((*s)->plan().streaming);
  auto out = (*s)->run({{input_name, input}});
  ASSERT_TRUE(out.ok()) << out.status().message();
  ASSERT_EQ(out->size(), ref->size());
  for (size_t i = 0; i < out->size(); ++i) EXPECT_TRUE(bit_identical((*out)[i].tensor.view(), (*ref)[i].tensor.view()));
  EXPECT_LE((*s)->memory().peak_managed_bytes, o.memory_budget_bytes);
}

TEST(StreamFormats, CaffeLenetStreamsExactly) {
  DS_REQUIRE_SHARED_MODELS();
  const std::string d = shared_models_dir() + "/mnist/caffe/";
  Tensor x = Tensor::from_values<float>({1, 1, 28, 28}, std::vector<float>(784, 0.25f));
  expect_streams_exactly(d + "deploy.prototxt", d + "mnist_lenet.caffemodel", "data", x);
}

TEST(StreamFormats, TensorFlowLenetStreamsExactly) {
  DS_REQUIRE_SHARED_MODELS();
  Tensor x = Tensor::from_values<float>({1, 28, 28, 1}, std::vector<float>(784, 0.25f));
  expect_streams_exactly(shared_models_dir() + "/mnist/tf/lenet5_mnist_frozen.pb", "", "in", x);
}

}  // namespace
}  // namespace deepshark::testing
