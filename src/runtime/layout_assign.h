// Activation layout assignment: which 4-D F32 values the executor keeps in oneDNN's blocked
// layout (nChw16c / nChw8c, see ActLayout) so that consecutive oneDNN kernels hand them on
// without reordering.
//
// Blocked means dnnl_backend::activation_format(): nhwc on AVX-512 CPUs (channel_block 1, a
// channel range is not contiguous), else nChw8c.
// A value is Blocked when it is an activation (not a graph input or output, not a constant)
// whose producer and every consumer are ops whose oneDNN kernel reads / writes blocked tensors:
// Conv, pooling, BatchNormalization, eltwise activations, Pow, binary arithmetic with same-shape
// or per-channel operands, and Concat along channels when every input's channel count is a
// multiple of the block. Each node touching a blocked value is then probed (its oneDNN kernel
// built with the chosen layouts); a node whose kernel refuses has its values set back to Plain,
// until nothing changes. The pass is deterministic: the executor and the packer run it on the
// same graph and so build the same kernels (and weight layouts).
//
//   ds::LayoutPlan plan = ds::assign_layouts(graph, base_config, /*use_dnnl=*/true);
//   ds::KernelConfig c = ds::node_kernel_config(graph, plan, base_config, node_index);
#pragma once

#include <cstdint>
#include <vector>

#include "graph/graph.h"
#include "kernels/kernel.h"
#include "runtime/lifetimes.h"

namespace deepshark {

struct LayoutPlan {
  std::vector<ActLayout> value_layout;  // per value; all Plain when oneDNN is off
  int block = 1;                        // channel block of Blocked values (1: channels-last)
  bool channels_last = false;           // Blocked values are nhwc
  int blocked_values = 0;
  bool dnnl = false;                    // the plan is for oneDNN kernels
};

LayoutPlan assign_layouts(const Graph& graph, const KernelConfig& base, bool use_dnnl);

// `base` with the node's input_layouts / output_layouts filled from the plan, and with `views`
// (compute_lifetimes of layout_lifetime_options) the output's row stride when it is a column
// range of a Concat written in place.
KernelConfig node_kernel_config(const Graph& graph, const LayoutPlan& plan, const KernelConfig& base, size_t node,
                                const ValueLifetimes* views = nullptr);

// Bytes a value takes in its layout (Blocked pads the channel dim up to the block).
uint64_t value_bytes(const Value& value, ActLayout layout, int block);

// Per value: value_bytes under the plan (for compute_lifetimes).
std::vector<uint64_t> plan_value_bytes(const Graph& graph, const LayoutPlan& plan);

// compute_lifetimes' options for values laid out by the plan (sizes, layouts, what a view of a
// Blocked value may be, which nodes may write row-strided outputs); the caller adds shared_input.
LifetimeOptions layout_lifetime_options(const Graph& graph, const LayoutPlan& plan);

}  // namespace deepshark
