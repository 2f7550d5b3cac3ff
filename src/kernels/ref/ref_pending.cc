// Temporary: ops not implemented yet.
#include "kernels/ref/ref_ops.h"
namespace deepshark::ref {
Status run_ReduceMean(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_ReduceSum(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_ReduceMax(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_ReduceMin(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_ArgMax(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Concat(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Split(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Slice(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Gather(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Reshape(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Flatten(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Transpose(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Squeeze(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Unsqueeze(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Expand(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Tile(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Pad(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Resize(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Upsample(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Identity(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Dropout(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Cast(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Shape(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Constant(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_ConstantOfShape(const RefArgs& a) { return a.unsupported("not implemented yet"); }
Status run_Range(const RefArgs& a) { return a.unsupported("not implemented yet"); }
}
