// run_node's dispatch (one switch generated from the op list) and the ref Kernel wrapper.
#include "kernels/ref/ref_kernels.h"
#include "kernels/ref/ref_ops.h"

namespace deepshark::ref {

Status run_node(const Graph& graph, const Node& node, std::span<const TensorView> inputs,
                std::span<const TensorView> outputs) {
  RefArgs a{graph, node, inputs, outputs};
  switch (node.op) {
#define DS_X(name)     \
  case OpType::name: \
    return run_##name(a);
    DS_OPS(DS_X)
#undef DS_X
  }
  return a.unsupported("unknown op type");
}

namespace {

class RefKernel final : public Kernel {
 public:
  RefKernel(const Graph& graph, const Node& node) : graph_(graph), node_(node) {}
  std::string name() const override { return std::string("ref:") + op_name(node_.op); }
  Status run(std::span<const TensorView> inputs, std::span<const TensorView> outputs,
             std::span<const std::byte* const> /*weights*/, std::byte* /*scratch*/) override {
    return run_node(graph_, node_, inputs, outputs);
  }

 private:
  // The graph outlives its kernels (the session owns both); the node is copied so the kernel
  // does not depend on the node vector's storage staying put.
  const Graph& graph_;
  Node node_;
};

}  // namespace

Result<std::unique_ptr<Kernel>> make_kernel(const Graph& graph, const Node& node) {
  return std::unique_ptr<Kernel>(std::make_unique<RefKernel>(graph, node));
}

}  // namespace deepshark::ref
