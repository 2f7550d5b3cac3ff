// oneDNN-backed kernels for the compute-heavy ops (convolution, deconvolution, inner product /
// matmul, pooling, normalisation, softmax, eltwise, binary).
//
//   auto k = ds::dnnl_backend::make_kernel(graph, node, config);
//   if (!k.ok() && k.status().code() == ds::ErrorCode::Unsupported) { /* use ref::make_kernel */ }
//
// Weights are re-laid once into the layout the primitive asks for (format_tag::any) and exposed
// as weight slots (see kernel.h); scratchpads are user-mode and reported by scratch_bytes().
#pragma once

#include <memory>
#include <string>

#include "base/shape.h"
#include "base/status.h"
#include "graph/graph.h"
#include "kernels/kernel.h"

namespace deepshark::dnnl_backend {

// Unsupported when this op / attribute / dtype combination has no oneDNN kernel here (the
// caller falls back to the reference kernel); other errors are real failures.
Result<std::unique_ptr<Kernel>> make_kernel(const Graph& graph, const Node& node, const KernelConfig& config);

// What ActLayout::Blocked means on this machine. On AVX-512 CPUs, channels-last (nhwc): there
// oneDNN 2.6 runs its brgemm convolutions, 9-10 % faster than the jit kernels it runs on nChw16c
// for 3x3 layers and no channel padding (bench/kernels_layout_probe --layouts). Elsewhere
// nChw8c. DS_ACTIVATION_LAYOUT=nChw16c|nChw8c|nhwc overrides it (benchmarks; the packer and
// the session must agree: a packed file's weight layouts follow this choice).
enum class ActivationFormat : uint8_t { nChw16c, nChw8c, nhwc };
ActivationFormat activation_format();
const char* activation_format_name(ActivationFormat f);

// Channel block of ActLayout::Blocked activations: 16 (nChw16c), 8 (nChw8c) or 1 (nhwc: no
// padding, and a channel range is not contiguous).
int activation_block();

// Whether the node's kernel can write output 0 with rows KernelConfig::output_row_stride apart:
// Gemm / MatMul with a constant 2-D weight (the fully connected kernel) and F32 operands.
bool writes_row_strided(const Graph& graph, const Node& node);

// Joining the weights of a sliced node's slices into the unsliced node's kernel layout (the block
// stream, when every piece is resident). A region is weight bytes in a kernel's layout — a
// weight_layout() text, or "plain" (row-major) — seen with the dims of the value it holds:
// swap01 when the layout's first two dims are the value's swapped (inner product weights of a
// [K, N] MatMul B, deconvolution weights). Copies are oneDNN reorders: bytes move, values do not
// change. Each layout is checked against its value's dims and its buffer's size.
struct WeightRegion {
  std::string layout;
  Shape value_shape;
  bool swap01 = false;
  std::byte* data = nullptr;
  uint64_t bytes = 0;
};
// Whether `layout` holds `value_shape` with its first two dims swapped; swapped_hint (0 / 1, or
// -1 for none) decides when both readings fit (a square weight). Unsupported when neither fits
// or the square case has no hint.
Result<bool> layout_swaps_value(const std::string& layout, const Shape& value_shape, int swapped_hint);
// Copies `part` into `whole` at `offset` along value axis `axis`. Unsupported when oneDNN cannot
// address that range of the whole layout (a block split across parts): join through a plain
// staging copy of the whole then (copy_whole).
Status insert_part(const WeightRegion& part, const WeightRegion& whole, int axis, int64_t offset);
// Whether insert_part can address [offset, offset + extent) along value axis `axis` of `whole`
// directly (no data is touched; false: it would say Unsupported). InvalidArgument for a range
// outside the whole or a layout that does not fit its value.
Result<bool> addresses_range(const WeightRegion& whole, int axis, int64_t offset, int64_t extent);
// Copies all of `src` into `dst` (same value dims, any layouts).
Status copy_whole(const WeightRegion& src, const WeightRegion& dst);

// Sets the thread count oneDNN uses (OpenMP).
void set_threads(int threads);

}  // namespace deepshark::dnnl_backend
