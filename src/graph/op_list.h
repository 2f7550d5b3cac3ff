// The graph's op set: one X-macro list. The OpType enum, names, the importers' lookup, shape
// inference dispatch, kernel dispatch and the tests are generated from it.
//
// Semantics follow the ONNX operator of the same name (opset 13 unless noted): importers for
// other formats (Caffe, TensorFlow) translate into these ops with ONNX attribute names.
#pragma once

#include <optional>
#include <string_view>

namespace deepshark {

// X(Name)
#define DS_OPS(X)                                                                                \
  /* compute with weights */                                                                     \
  X(Conv) X(ConvTranspose) X(Gemm) X(MatMul)                                                     \
  /* normalisation */                                                                            \
  X(BatchNormalization) X(LayerNormalization) X(InstanceNormalization) X(LRN)                   \
  /* activations and unary math */                                                               \
  X(Relu) X(LeakyRelu) X(PRelu) X(Elu) X(Clip) X(Sigmoid) X(Tanh) X(HardSigmoid) X(HardSwish)   \
  X(Softplus) X(Gelu) X(Erf) X(Exp) X(Log) X(Sqrt) X(Reciprocal) X(Neg) X(Abs) X(Floor) X(Ceil)         \
  X(Not)                                                                                         \
  /* binary and n-ary elementwise, broadcasting */                                               \
  X(Add) X(Sub) X(Mul) X(Div) X(Pow) X(Min) X(Max) X(Sum) X(Equal) X(Less) X(Greater) X(Where)   \
  /* softmax family */                                                                           \
  X(Softmax) X(LogSoftmax)                                                                       \
  /* pooling */                                                                                  \
  X(MaxPool) X(AveragePool) X(GlobalAveragePool) X(GlobalMaxPool)                                \
  /* reductions */                                                                               \
  X(ReduceMean) X(ReduceSum) X(ReduceMax) X(ReduceMin) X(ArgMax)                                 \
  /* data movement */                                                                            \
  X(Concat) X(Split) X(Slice) X(Gather) X(Reshape) X(Flatten) X(Transpose) X(Squeeze)            \
  X(Unsqueeze) X(Expand) X(Tile) X(Pad) X(Resize) X(Upsample) X(Identity) X(Dropout) X(Cast)     \
  /* shape and constant producers */                                                             \
  X(Shape) X(Constant) X(ConstantOfShape) X(Range)

enum class OpType : uint16_t {
#define DS_X(name) name,
  DS_OPS(DS_X)
#undef DS_X
};

inline constexpr int kOpCount = 0
#define DS_X(name) +1
    DS_OPS(DS_X)
#undef DS_X
    ;

const char* op_name(OpType op);
std::optional<OpType> op_from_name(std::string_view name);

}  // namespace deepshark
