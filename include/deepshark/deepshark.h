// DeepShark's public C++ API: load a model, prepare a session, run it.
//
// A Session owns everything it needs to run: kernels, weights (in the layout the kernels read),
// the activation arena and the kernel scratchpad, all allocated once at open and accounted for in
// memory(). run() allocates nothing but its output tensors.
//
//   #include <deepshark/deepshark.h>
//   ds::SessionOptions opt;
//   opt.threads = 2;
//   opt.input_shapes["input"] = {1, 3, 224, 224};           // only for dynamic dimensions
//   auto session = ds::Session::open("resnet50.onnx", opt);
//   if (!session.ok()) { std::cerr << session.status().message() << "\n"; return 1; }
//   DS_TRY(ds::Tensor x, ds::read_npy("x.npy"));
//   auto outputs = (*session)->run({{"input", x}});           // vector of {name, tensor}
//
// Every failure is a Status (see base/status.h) with the message grammar
// "failed to <verb> <thing> '<name>': <reason> (expected X, got Y)"; a failed run leaves the
// session usable.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/npy.h"
#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"

namespace deepshark {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;  // -1 for a dimension the model leaves dynamic
};

// Imports a model file into a graph; the format follows from the file name (.onnx).
// IOError when unreadable, InvalidModel / Unsupported for bad or unsupported content.
Result<Graph> load_model(const std::string& path);

struct SessionOptions {
  int threads = 1;
  // Shapes for graph inputs; required for dimensions the model leaves dynamic.
  std::map<std::string, Shape> input_shapes;
  // false: reference kernels only (slow; the oracle).
  bool use_dnnl = true;
  // Record per-node times in RunStats.
  bool profile_nodes = false;
};

struct MemoryReport {
  uint64_t weight_bytes = 0;
  uint64_t arena_bytes = 0;
  uint64_t scratch_bytes = 0;
  uint64_t current_managed_bytes = 0;
  uint64_t peak_managed_bytes = 0;  // high-water mark of every byte the session allocated
};

struct RunStats {
  double wall_ms = 0;
  std::vector<double> node_ms;  // per node, when profile_nodes
};

class Session {
 public:
  ~Session();
  // Imports `model_path` and prepares it.
  static Result<std::unique_ptr<Session>> open(const std::string& model_path, const SessionOptions& options);
  // Prepares an already-imported graph (consumed).
  static Result<std::unique_ptr<Session>> create(Graph graph, const SessionOptions& options);

  // Inputs by name. InvalidArgument for an unknown or missing name, a wrong dtype or shape
  // (expected/got). Outputs in the model's output order.
  Result<std::vector<NamedTensor>> run(const std::vector<NamedTensor>& inputs);

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  MemoryReport memory() const;
  const RunStats& last_run() const;
  // Kernel chosen per node, in execution order.
  struct NodeKernel {
    std::string node, op, kernel;  // e.g. "conv1", "Conv", "dnnl:convolution(jit:avx512_core)"
  };
  std::vector<NodeKernel> kernels() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What `deepshark inspect` shows.
struct NodeInfo {
  std::string name;
  std::string op;
  uint64_t weight_bytes = 0;
  uint64_t flops = 0;
  std::vector<Shape> output_shapes;
};
struct ModelInfo {
  std::string name;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;  // shapes inferred for the given input shapes
  std::vector<NodeInfo> nodes;
  uint64_t weight_bytes = 0;
  uint64_t flops = 0;
  uint64_t activation_peak_bytes = 0;  // arena size planned from value lifetimes
};
// Imports and prepares `path` (input_shapes as for SessionOptions) without building kernels.
Result<ModelInfo> inspect_model(const std::string& path, const std::map<std::string, Shape>& input_shapes);
std::string model_info_to_text(const ModelInfo& info);
std::string model_info_to_json(const ModelInfo& info);

// Reads a tensor file: .npy, or an ONNX TensorProto (.pb).
Result<Tensor> read_tensor_file(const std::string& path);

}  // namespace deepshark
