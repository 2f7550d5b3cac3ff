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

#include <functional>
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

// Where a model comes from. The format follows from the file name: .onnx (ONNX), .prototxt
// (Caffe: `weights` names the .caffemodel, `mean` an optional BlobProto mean file subtracted from
// the input), .pb (TensorFlow frozen GraphDef). A packed .dsk file is opened by Session::open.
struct ModelSource {
  std::string path;
  std::string weights;  // Caffe .caffemodel
  std::string mean;     // Caffe mean .binaryproto
  // Caffe: replaces the input shapes the prototxt declares (a deploy file's batch size is a
  // placeholder). Other formats bind shapes when a session is prepared.
  std::map<std::string, Shape> input_shapes;
};

// Imports a model file into a graph. IOError when unreadable, InvalidModel / Unsupported for bad
// or unsupported content.
Result<Graph> load_model(const ModelSource& source);
inline Result<Graph> load_model(const std::string& path) { return load_model(ModelSource{path, "", "", {}}); }

// Every op (ONNX), layer (Caffe) or op (TensorFlow) type a model file uses, with its count and
// whether DeepShark supports it, e.g. "Conv2D 2 supported" — without stopping at the first
// unsupported one. Errors only when the file cannot be read or parsed at all.
Result<std::vector<std::string>> model_op_report(const ModelSource& source);

struct SessionOptions {
  int threads = 1;
  // Caffe models: the .caffemodel and an optional mean file (see ModelSource).
  std::string weights_path;
  std::string mean_path;
  // Shapes for graph inputs; required for dimensions the model leaves dynamic.
  std::map<std::string, Shape> input_shapes;
  // false: reference kernels only (slow; the oracle).
  bool use_dnnl = true;
  // Record per-node times in RunStats (in-memory sessions).
  bool profile_nodes = false;

  // Block stream (.dsk files only): the memory budget for every byte the session holds
  // (0: everything resident), the prefetch depth (-1: the planner chooses; 0: load, then compute)
  // and direct I/O (O_DIRECT; buffered where the file system refuses it).
  uint64_t memory_budget_bytes = 0;
  int prefetch_depth = -1;
  bool direct_io = true;
  // Instead of a budget: the least memory whose predicted latency is <= latency_target_ms, or the
  // balance W in [0, 1] between latency and memory (docs/planner.md). profile_path: a device
  // profile from `deepshark profile` (default: a quick built-in measurement). greedy_planner: the
  // block stream's simple planner, for comparisons.
  double latency_target_ms = 0;
  double balance = -1;
  std::string profile_path;
  bool greedy_planner = false;
  // Called after each streamed block: (blocks done, blocks total).
  std::function<void(int, int)> progress;
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
  // Block stream runs only (zero for in-memory sessions).
  uint64_t bytes_read = 0;
  double read_ms = 0;      // loader thread reading and verifying
  double compute_ms = 0;   // compute thread in kernels
  double stall_ms = 0;     // compute thread waiting for reads
  double eta = 0;          // max(read, compute) / wall
  int blocks = 0;
  bool direct_io = false;
  int unsliced_nodes = 0;  // sliced nodes run whole (every piece resident)
};

// What the plan of a block stream session is (all_resident for in-memory sessions).
struct PlanSummary {
  bool streaming = false;
  uint64_t budget_bytes = 0;
  uint64_t predicted_peak_bytes = 0;
  uint64_t resident_bytes = 0;
  uint64_t ring_bytes = 0;
  uint64_t bytes_read_per_run = 0;
  int prefetch_depth = 0;
  int blocks = 0;
  std::string text;  // the plan's full text dump
  double predicted_latency_ms = 0;
  double t_star_ms = 0;
  double predicted_eta = 0;
  double replan_ms = 0;     // planning time of the last replan()
  std::string cost_source;  // where the cost model came from
  // Why an all-resident plan runs pack's slices instead of the whole nodes ("" otherwise).
  std::string unslice_note;
};

// A new requirement for Session::replan: one of a memory budget, a latency target (ms) or a
// balance W in [0, 1]; prefetch_depth -1 lets the planner choose.
struct PlanRequirement {
  uint64_t memory_budget_bytes = 0;
  double latency_ms = 0;
  double balance = -1;
  int prefetch_depth = -1;
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
  PlanSummary plan() const;
  // Block stream sessions: plans again between runs (milliseconds) and keeps the resident pieces
  // that stay resident instead of re-reading them. InvalidArgument for in-memory sessions;
  // BudgetInfeasible leaves the session as it was.
  Status replan(const PlanRequirement& requirement);
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

// Packs a model into a block stream file (.dsk): prepared for the given input shapes, oversized
// nodes sliced, weights re-laid for this machine's kernels at `threads`, one checksummed piece per
// node. The output is written atomically.
struct PackOptions {
  std::map<std::string, Shape> input_shapes;
  std::string weights_path;  // Caffe
  std::string mean_path;     // Caffe
  uint64_t slice_limit_bytes = uint64_t{2} << 20;  // see kDefaultSliceLimitBytes
  int threads = 1;
  // Called after each node: (nodes done, nodes total, bytes written).
  std::function<void(size_t, size_t, uint64_t)> progress;
};
struct PackSummary {
  uint64_t pieces = 0;
  uint64_t piece_bytes = 0;
  uint64_t inline_bytes = 0;
  uint64_t file_bytes = 0;
  std::vector<std::string> sliced;       // "fc6: 50 slices"
  std::vector<std::string> unsliceable;  // over the limit but not sliceable, with why
};
Result<PackSummary> pack_model(const std::string& model_path, const std::string& out_path, const PackOptions& options);

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
Result<ModelInfo> inspect_model(const ModelSource& source, const std::map<std::string, Shape>& input_shapes);
std::string model_info_to_text(const ModelInfo& info);
std::string model_info_to_json(const ModelInfo& info);

// Reads a tensor file: .npy, or an ONNX TensorProto (.pb).
Result<Tensor> read_tensor_file(const std::string& path);

}  // namespace deepshark
