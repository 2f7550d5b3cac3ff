#include "graph/flops.h"

namespace deepshark {

uint64_t node_flops(const Graph& g, const Node& n) {
  auto shape = [&](ValueId v) -> const Shape& { return g.value(v).shape; };
  if (n.outputs.empty() || n.outputs[0] == kNoValue) return 0;
  const Shape& out = shape(n.outputs[0]);
  uint64_t out_elems = static_cast<uint64_t>(numel(out));
  switch (n.op) {
    case OpType::Conv: {
      const Shape& w = shape(n.inputs[1]);  // [Cout, Cin/g, k...]
      uint64_t per = 1;
      for (size_t i = 1; i < w.size(); ++i) per *= static_cast<uint64_t>(w[i]);
      return 2 * out_elems * per;
    }
    case OpType::ConvTranspose: {
      const Shape& x = shape(n.inputs[0]);
      const Shape& w = shape(n.inputs[1]);  // [Cin, Cout/g, k...]
      uint64_t per = 1;
      for (size_t i = 1; i < w.size(); ++i) per *= static_cast<uint64_t>(w[i]);
      return 2 * static_cast<uint64_t>(numel(x)) * per;
    }
    case OpType::Gemm: {
      const Shape& a = shape(n.inputs[0]);
      int64_t k = n.attrs.get_int("transA", 0) ? a[0] : a[1];
      return 2 * out_elems * static_cast<uint64_t>(k);
    }
    case OpType::MatMul: {
      const Shape& a = shape(n.inputs[0]);
      return 2 * out_elems * static_cast<uint64_t>(a.back());
    }
    default:
      return out_elems;
  }
}

}  // namespace deepshark
