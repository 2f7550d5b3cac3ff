// The kernel interface: one Kernel object per node, created at prepare time, run many times.
//
// Creation (prepare) may allocate and may read the node's constant inputs; run() must not
// allocate. A kernel that keeps weights in its own layout (oneDNN's blocked layouts) declares
// them as weight slots: the executor asks for their size, has the kernel write them once
// (pack_weight) into memory the executor owns, and passes their addresses back at run time.
// In-memory runs keep them resident; streamed runs read the same bytes from the .dsk file.
// Constant inputs not claimed by a slot are passed as ordinary inputs.
//
//   DS_TRY(auto k, ds::dnnl::make_kernel(graph, node, config));   // or ds::ref::make_kernel
//   std::vector<ds::Buffer> w;  for (i < k->weight_count()) { allocate k->weight_bytes(i); k->pack_weight(i, p); }
//   k->run(inputs, outputs, weights, scratch);
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/memory.h"
#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"

namespace deepshark {

// Memory layout of a 4-D F32 activation handed between kernels. Plain is row-major NCHW;
// Blocked is the layout oneDNN's convolutions run fastest on here (dnnl_backend::
// activation_format()): channels-last nhwc on AVX-512 CPUs, else nChw8c, whose channels are
// padded up to the block, so such a value takes N * ceil(C / 8) * 8 * H * W floats.
enum class ActLayout : uint8_t { Plain, Blocked };

struct KernelConfig {
  int threads = 1;
  Allocator* allocator = &default_allocator();  // for anything the kernel itself keeps
  // Fully connected layers (Gemm / MatMul with constant 2-D weights) keep their weights in the
  // plain `oi` layout: oneDNN's gemm kernel then gives bit-identical results when the node is
  // sliced along its outputs; false lets oneDNN pick its (blocked, brgemm) layout.
  bool plain_fc_weights = true;
  // Layout of each node input / output (runtime/layout_assign chooses them); empty or shorter
  // than the node's list = Plain for the rest. Only oneDNN kernels accept Blocked.
  std::vector<ActLayout> input_layouts, output_layouts;
  // Elements between consecutive rows of output 0 when it is a column range of a wider tensor
  // (a Concat along the last axis written in place, runtime/lifetimes); 0 = dense rows. Only
  // fully connected kernels accept it (dnnl_backend::writes_row_strided).
  int64_t output_row_stride = 0;

  ActLayout input_layout(size_t i) const { return i < input_layouts.size() ? input_layouts[i] : ActLayout::Plain; }
  ActLayout output_layout(size_t i) const { return i < output_layouts.size() ? output_layouts[i] : ActLayout::Plain; }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // e.g. "dnnl:convolution(jit:avx512_core)" or "ref:Conv".
  virtual std::string name() const = 0;

  // Bytes of scratch memory run() needs (the executor provides one shared scratch area).
  virtual uint64_t scratch_bytes() const { return 0; }

  // Weights held in the kernel's own layout.
  virtual int weight_count() const { return 0; }
  virtual uint64_t weight_bytes(int /*slot*/) const { return 0; }
  // Which node input a slot replaces (that input is then passed with data == nullptr).
  virtual int weight_input(int /*slot*/) const { return -1; }
  // A text that identifies the layout (oneDNN memory desc); a packed file stores it and a
  // session compares it before using stored bytes.
  virtual std::string weight_layout(int /*slot*/) const { return "plain"; }
  // Writes slot `slot` in the kernel's layout to dst (weight_bytes(slot) bytes), reading the
  // node's constant inputs from `graph`.
  virtual Status pack_weight(const Graph& /*graph*/, int /*slot*/, std::byte* /*dst*/) const {
    return Status(ErrorCode::Internal, "kernel has no weight slots");
  }

  // True when node input `input` may occupy the same memory as output 0: the kernel reads it
  // as the accumulator of its output (a fused residual's sum post-op), never after writing
  // the output elsewhere. The executor then runs the residual add in place (no copy, no
  // second tensor). Default: no input may.
  virtual bool may_share_output(int /*input*/) const { return false; }

  // inputs/outputs: views with the node's static shapes (outputs already allocated);
  // an absent optional input has data == nullptr. weights: one pointer per slot.
  virtual Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
                     std::span<const std::byte* const> weights, std::byte* scratch) = 0;
};

}  // namespace deepshark
