// Every op, fed malformed calls (no inputs, absent required inputs, mismatched output shapes,
// unusual dtypes), must return an error or succeed — never crash or read out of bounds (this
// file is meant to run under ASan+UBSan too).
#include "ref_test_util.h"

namespace deepshark::testing {
namespace {

std::vector<OpType> all_ops() {
  return {
#define DS_X(name) OpType::name,
      DS_OPS(DS_X)
#undef DS_X
  };
}

TEST(RefHostile, EveryOpIsDispatched) {
  // A call with no inputs and no outputs reaches the op's own validation: the error names the
  // op and is never the dispatcher's "unknown op".
  for (OpType op : all_ops()) {
    RefOp r(op);
    Status s = r.run();
    EXPECT_FALSE(s.ok()) << op_name(op);
    EXPECT_NE(s.message().find(op_name(op)), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("unknown op"), std::string::npos) << s.message();
  }
}

TEST(RefHostile, AbsentInputsAndWrongShapesNeverCrash) {
  const std::vector<DType> dtypes = {DType::F32, DType::I64, DType::Bool, DType::F16, DType::U8};
  for (OpType op : all_ops()) {
    for (DType t : dtypes) {
      for (int n_in = 0; n_in <= 5; ++n_in) {
        // All inputs absent.
        RefOp absent(op);
        for (int i = 0; i < n_in; ++i) absent.absent();
        absent.out(t, {2, 3});
        (void)absent.run();
        // Inputs present with a shape unrelated to the output.
        RefOp wrong(op);
        for (int i = 0; i < n_in; ++i) wrong.in(Tensor::create(t, {1, 2, 1, 3}).value());
        wrong.out(t, {5, 7}).out(DType::I64, {1});
        (void)wrong.run();
        // Empty tensors.
        RefOp empty(op);
        for (int i = 0; i < n_in; ++i) empty.in(Tensor::create(t, {0, 3}).value());
        empty.out(t, {0, 3});
        (void)empty.run();
      }
    }
  }
  SUCCEED();
}

TEST(RefHostile, HugeAttributesAreRejected) {
  RefOp conv(OpType::Conv);
  conv.in(iota_f32({1, 1, 3, 3})).in(iota_f32({1, 1, 1, 1})).out(DType::F32, {1, 1, 3, 3});
  conv.attr("pads", std::vector<int64_t>{int64_t{1} << 62, 0, 0, 0});
  EXPECT_EQ(conv.run().code(), ErrorCode::InvalidArgument);
  RefOp stride(OpType::MaxPool);
  stride.in(iota_f32({1, 1, 3, 3})).out(DType::F32, {1, 1, 1, 1});
  stride.attr("kernel_shape", std::vector<int64_t>{2, 2}).attr("strides", std::vector<int64_t>{0, 1});
  EXPECT_EQ(stride.run().code(), ErrorCode::InvalidArgument);
  RefOp group(OpType::Conv);
  group.in(iota_f32({1, 2, 3, 3})).in(iota_f32({2, 1, 1, 1})).out(DType::F32, {1, 2, 3, 3}).attr("group", int64_t{0});
  EXPECT_EQ(group.run().code(), ErrorCode::InvalidArgument);
  RefOp reshape(OpType::Reshape);
  reshape.in(iota_f32({4})).in<int64_t>({2}, {int64_t{1} << 40, int64_t{1} << 40}).out(DType::F32, {4});
  EXPECT_EQ(reshape.run().code(), ErrorCode::InvalidArgument);
  RefOp pad(OpType::Pad);
  pad.in(iota_f32({2})).in<int64_t>({2}, {std::numeric_limits<int64_t>::max(), 0}).out(DType::F32, {2});
  EXPECT_EQ(pad.run().code(), ErrorCode::InvalidArgument);
  RefOp resize(OpType::Resize);
  resize.in(iota_f32({2})).absent().in<float>({1}, {std::numeric_limits<float>::infinity()}).out(DType::F32, {2});
  EXPECT_EQ(resize.run().code(), ErrorCode::InvalidArgument);
  RefOp cast(OpType::Cast);
  cast.in(iota_f32({2})).out(DType::F32, {2}).attr("to", std::numeric_limits<int64_t>::max());
  EXPECT_EQ(cast.run().code(), ErrorCode::Unsupported);
}

}  // namespace
}  // namespace deepshark::testing
