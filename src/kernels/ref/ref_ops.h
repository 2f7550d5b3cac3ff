// Internal: one `Status run_<Op>(const RefArgs&)` per op in op_list.h, declared from the X-macro
// list so a missing implementation is a link error. Each op family's .cc defines its ops.
#pragma once

#include "graph/op_list.h"
#include "kernels/ref/ref_common.h"

namespace deepshark::ref {

#define DS_X(name) Status run_##name(const RefArgs& a);
DS_OPS(DS_X)
#undef DS_X

}  // namespace deepshark::ref
