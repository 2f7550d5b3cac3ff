// The TensorFlow ops the importer maps: one X-macro list (TF op name, converter). The dispatch
// table, tf_op_supported and `inspect`'s report come from it. Internal to the importer.
#pragma once

#include "base/status.h"
#include "import/tf/tf_context.h"

namespace deepshark::tf_import {

// X(TensorFlow op type, converter function)
#define DS_TF_OPS(X)                                                                                    \
  /* sources and aliases (tf_ops_shape.cc) */                                                           \
  X(Placeholder, convert_placeholder) X(Const, convert_const) X(Identity, convert_identity)            \
  X(StopGradient, convert_identity) X(Snapshot, convert_identity) X(NoOp, convert_noop)                 \
  /* convolution, pooling, normalisation (tf_ops_nn.cc) */                                             \
  X(Conv2D, convert_conv2d) X(DepthwiseConv2dNative, convert_depthwise) X(BiasAdd, convert_bias_add)   \
  X(MaxPool, convert_max_pool) X(AvgPool, convert_avg_pool) X(FusedBatchNorm, convert_fused_bn)       \
  X(FusedBatchNormV3, convert_fused_bn) X(SpaceToBatchND, convert_space_to_batch)                       \
  X(BatchToSpaceND, convert_batch_to_space)                                                             \
  /* math (tf_ops_math.cc) */                                                                          \
  X(Relu, convert_unary) X(Relu6, convert_unary) X(Elu, convert_unary) X(Sigmoid, convert_unary)       \
  X(Tanh, convert_unary) X(Square, convert_unary) X(Rsqrt, convert_unary)                               \
  X(Add, convert_binary) X(AddV2, convert_binary) X(Sub, convert_binary) X(Mul, convert_binary)        \
  X(RealDiv, convert_binary) X(Maximum, convert_binary) X(Minimum, convert_binary)                      \
  X(MatMul, convert_matmul) X(Sum, convert_reduce) X(Mean, convert_reduce) X(Softmax, convert_softmax) \
  /* data movement and shape arithmetic (tf_ops_shape.cc) */                                           \
  X(Reshape, convert_reshape) X(Squeeze, convert_squeeze) X(ExpandDims, convert_expand_dims)           \
  X(ConcatV2, convert_concat) X(Pad, convert_pad) X(PadV2, convert_pad) X(Shape, convert_shape)        \
  X(StridedSlice, convert_strided_slice) X(Pack, convert_pack) X(Cast, convert_cast)                    \
  X(Dequantize, convert_dequantize)

#define DS_X(op, fn) Status fn(Converter& c);
DS_TF_OPS(DS_X)
#undef DS_X

// Shared by the converters: keeps a reduction/squeeze in NCHW when the dims it leaves come out in
// TensorFlow's order. `axes` are TF axes of a 4-D NHWC value, normalised to [0, 4).
bool nchw_keeps_order(const std::vector<int64_t>& axes);
// Normalises axes against `rank` (InvalidModel naming `what` when out of range).
Result<std::vector<int64_t>> normalize_axes(const Converter& c, std::vector<int64_t> axes, int64_t rank,
                                            const std::string& what);

}  // namespace deepshark::tf_import
