// Internal: what every oneDNN-backed kernel shares — the engine and stream, memory descriptors
// for plain (row-major) tensors, the layout text of a weight slot, and PrimitiveKernel, a Kernel
// that runs a fixed list of primitives whose arguments are bound at creation and only get their
// data pointers set at run time (run() creates no oneDNN objects).
// Not a public header: only src/kernels/dnnl/*.cc include it.
//
//   PrimitiveKernel::Builder b(graph, node, "convolution");
//   auto pd = convolution_forward::primitive_desc(desc, b.attr(), engine());
//   int step = b.add_step(convolution_forward(pd), pd);
//   b.bind_input(step, DNNL_ARG_SRC, 0, pd.src_desc());
//   b.bind_weight(step, DNNL_ARG_WEIGHTS, /*input=*/1, pd.weights_desc(), plain_weights_desc);
//   b.bind_output(step, DNNL_ARG_DST, 0, pd.dst_desc());
//   return b.finish();
#pragma once

#include <dnnl.hpp>

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"
#include "kernels/kernel.h"

namespace deepshark::dnnl_backend {

using dnnl::memory;
using Dims = dnnl::memory::dims;

// One CPU engine and one in-order stream for the process.
dnnl::engine& engine();
dnnl::stream& stream();

// Row-major f32 descriptor of `shape` (a rank-0 shape becomes {1}).
memory::desc plain_desc(const Shape& shape);
// f32 descriptor with explicit element strides (for constants stored transposed).
memory::desc strided_desc(const Dims& dims, const Dims& strides);
Dims to_dims(const Shape& shape);
// Descriptor of an activation in `layout` (Blocked only applies to 4-D shapes; others stay plain).
memory::desc act_desc(const Shape& shape, ActLayout layout);

// Stable text of a memory descriptor: data type, dims, padded dims, offset, format kind, strides,
// inner blocks and extra flags. Equal text <=> the same bytes mean the same elements.
std::string describe_desc(const memory::desc& md);
// The inverse for f32 blocked layouts without extra flags (weights): InvalidArgument for any other
// text, or one that does not round-trip through describe_desc().
Result<memory::desc> parse_desc(const std::string& text);

// Errors in the module's grammar, naming the op and the node.
Status unsupported(const Node& node, const std::string& reason);
Status invalid(const Node& node, const std::string& reason);

// Checks that input `i` is present with a known static F32 shape; Unsupported otherwise.
Result<Shape> f32_input_shape(const Graph& graph, const Node& node, size_t i);
Result<Shape> f32_output_shape(const Graph& graph, const Node& node, size_t i);
// The constant data of input i, or nullptr when it is absent or not a constant.
const Tensor* constant_input(const Graph& graph, const Node& node, size_t i);

class PrimitiveKernel final : public Kernel {
 public:
  // Where a primitive argument's data comes from at run time.
  enum class Source { Input, Output, Weight, Scratch };

  class Builder;

  std::string name() const override { return name_; }
  uint64_t scratch_bytes() const override { return scratch_bytes_; }
  int weight_count() const override { return static_cast<int>(slots_.size()); }
  uint64_t weight_bytes(int slot) const override;
  int weight_input(int slot) const override;
  std::string weight_layout(int slot) const override;
  bool may_share_output(int input) const override { return input >= 0 && input == shared_input_; }
  Status pack_weight(const Graph& graph, int slot, std::byte* dst) const override;
  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
             std::span<const std::byte* const> weights, std::byte* scratch) override;

 private:
  struct Binding {
    Source source;
    int index;            // input / output / slot index; for Scratch: -1 = the primitive's scratchpad
    memory mem;           // created at build time without data
    uint64_t offset = 0;  // Scratch: byte offset into the executor's scratch area
  };
  struct Step {
    dnnl::primitive prim;
    std::vector<Binding> bindings;
    std::vector<dnnl_exec_arg_t> args;  // parallel to bindings, handed to the C API as is
    bool skip_in_place = false;         // a copy skipped when its source and destination coincide
  };
  struct Slot {
    int input = -1;
    ValueId value = kNoValue;  // the graph constant it is packed from
    memory::desc dst;  // layout the primitive reads
    memory::desc src;  // layout of the graph's constant
    float scale = 1.f; // applied while packing (Gemm beta on C)
  };

  std::string node_name_;
  std::string name_;
  uint64_t scratch_bytes_ = 0;
  uint64_t scratch_buffers_bytes_ = 0;  // intermediate tensors at the start of the scratch area
  int shared_input_ = -1;               // may_share_output
  std::vector<Step> steps_;
  std::vector<Slot> slots_;
  std::vector<Shape> input_shapes_, output_shapes_;  // what run() expects
};

class PrimitiveKernel::Builder {
 public:
  // `kind` names the primitive in Kernel::name(), e.g. "convolution".
  Builder(const Graph& graph, const Node& node, std::string kind);

  // Attributes with a user scratchpad; callers may add output scales before creating the pd.
  dnnl::primitive_attr attr() const;

  // Adds a primitive; the kernel's name takes the implementation string of the first step.
  int add_step(dnnl::primitive prim, const dnnl::primitive_desc_base& pd);
  // Names the kernel after `pd` (default: the first step), e.g. "dnnl:convolution(brgconv...)+suffix".
  void name_from(const dnnl::primitive_desc_base& pd, const std::string& suffix = "");
  void bind_input(int step, int arg, int input, const memory::desc& md);
  void bind_output(int step, int arg, int output, const memory::desc& md);
  // A weight slot replacing node input `input`: packed from `src` (the constant's layout) into
  // `dst` (the primitive's layout). Returns the slot index.
  int bind_weight(int step, int arg, int input, const memory::desc& dst, const memory::desc& src,
                  float scale = 1.f);
  // An intermediate tensor (e.g. a blocked copy of an activation) kept in the scratch area;
  // returns its offset. Primitive scratchpads go after all such buffers.
  uint64_t add_scratch_buffer(uint64_t bytes);
  void bind_scratch_buffer(int step, int arg, uint64_t offset, const memory::desc& md);
  std::unique_ptr<Kernel> finish();
  // The whole kernel of a one-step primitive from node input 0 (DNNL_ARG_SRC) to output 0
  // (DNNL_ARG_DST) in the descriptors `pd` chose: add_step, both bindings, finish.
  std::unique_ptr<Kernel> finish_src_to_dst(dnnl::primitive prim, const dnnl::primitive_desc_base& pd);

  // An activation operand the primitive wants in `want` while the executor holds it in `given`.
  // prepare_input adds a reorder step into a scratch copy when the two differ (call it before
  // adding the primitive's step); bind_act_input then binds the input or its copy.
  // prepare_output picks a scratch buffer when they differ; finish_output binds the primitive's
  // destination and, when needed, adds the reorder step into the output (call it after the
  // primitive's step).
  struct ActArg {
    int index = 0;  // node input / output index
    memory::desc given, want;
    bool direct = true;
    uint64_t offset = 0;  // scratch copy when !direct
  };
  ActArg prepare_input(int input, const memory::desc& given, const memory::desc& want);
  void bind_act_input(int step, int arg, const ActArg& a);
  ActArg prepare_output(int output, const memory::desc& given, const memory::desc& want);
  void finish_output(int step, int arg, const ActArg& a);
  // Input `input` may share output 0's memory (Kernel::may_share_output); `copy_step` copies
  // that input into the output and is skipped at run time when both are the same memory.
  void allow_in_place(int input, int copy_step);
  // Number of steps added so far.
  int step_count() const;

 private:
  const Graph& graph_;
  const Node& node_;
  std::string kind_;
  std::unique_ptr<PrimitiveKernel> k_;
};

// Wraps oneDNN primitive creation: a dnnl::error (no implementation for these descriptors)
// becomes Unsupported naming the node, so the caller falls back to the reference kernel.
template <typename F>
Result<std::unique_ptr<Kernel>> guarded_create(const Node& node, F&& f) {
  try {
    return f();
  } catch (const dnnl::error& e) {
    return unsupported(node, std::string("oneDNN refused the primitive: ") + e.what());
  }
}

}  // namespace deepshark::dnnl_backend
