// Dispatch from op to the oneDNN kernel family, and the thread-count switch.
#include "kernels/dnnl/dnnl_kernels.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

#include "kernels/dnnl/dnnl_ops.h"

namespace deepshark::dnnl_backend {

ActivationFormat activation_format() {
  static const ActivationFormat format = [] {
    if (const char* env = std::getenv("DS_ACTIVATION_LAYOUT")) {
      for (ActivationFormat f : {ActivationFormat::nChw16c, ActivationFormat::nChw8c, ActivationFormat::nhwc})
        if (std::strcmp(env, activation_format_name(f)) == 0) return f;
    }
    switch (dnnl::get_effective_cpu_isa()) {
      case dnnl::cpu_isa::avx512_core:
      case dnnl::cpu_isa::avx512_core_vnni:
      case dnnl::cpu_isa::avx512_core_bf16:
      case dnnl::cpu_isa::avx512_core_amx: return ActivationFormat::nhwc;
      default: return ActivationFormat::nChw8c;
    }
  }();
  return format;
}

const char* activation_format_name(ActivationFormat f) {
  switch (f) {
    case ActivationFormat::nChw16c: return "nChw16c";
    case ActivationFormat::nChw8c: return "nChw8c";
    case ActivationFormat::nhwc: return "nhwc";
  }
  return "?";
}

int activation_block() {
  switch (activation_format()) {
    case ActivationFormat::nChw16c: return 16;
    case ActivationFormat::nChw8c: return 8;
    case ActivationFormat::nhwc: return 1;
  }
  return 1;
}

void set_threads(int threads) {
  // oneDNN is built on OpenMP here; libgomp is loaded with libdnnl, so look the setter up at run
  // time instead of adding an OpenMP link dependency to the module.
  using SetFn = void (*)(int);
  static SetFn set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (set && threads > 0) set(threads);
}

Result<std::unique_ptr<Kernel>> make_kernel(const Graph& graph, const Node& node, const KernelConfig& config) {
  // Layout choices (blocked weights, brgemm vs gemm) depend on the thread count at creation.
  set_threads(config.threads);
  switch (node.op) {
    case OpType::Conv: return make_conv(graph, node, config);
    case OpType::ConvTranspose: return make_conv_transpose(graph, node, config);
    case OpType::Gemm: return make_gemm(graph, node, config);
    case OpType::MatMul: return make_matmul(graph, node, config);
    case OpType::MaxPool:
    case OpType::AveragePool:
    case OpType::GlobalAveragePool:
    case OpType::GlobalMaxPool: return make_pool(graph, node, config);
    case OpType::BatchNormalization: return make_batch_norm(graph, node, config);
    case OpType::LayerNormalization: return make_layer_norm(graph, node, config);
    case OpType::Softmax:
    case OpType::LogSoftmax: return make_softmax(graph, node, config);
    case OpType::Relu:
    case OpType::LeakyRelu:
    case OpType::Elu:
    case OpType::Clip:
    case OpType::Sigmoid:
    case OpType::Tanh:
    case OpType::HardSwish:
    case OpType::Exp:
    case OpType::Log:
    case OpType::Sqrt:
    case OpType::Abs:
    case OpType::Gelu: return make_eltwise(graph, node, config);
    case OpType::Pow: return make_pow(graph, node, config);
    case OpType::ReduceMean:
    case OpType::ReduceSum:
    case OpType::ReduceMax: return make_reduce(graph, node, config);
    case OpType::Transpose: return make_transpose(graph, node, config);
    case OpType::Concat: return make_concat(graph, node, config);
    case OpType::Slice: return make_slice(graph, node, config);
    case OpType::Resize:
    case OpType::Upsample: return make_resize(graph, node, config);
    case OpType::Add:
    case OpType::Sub:
    case OpType::Mul:
    case OpType::Div:
    case OpType::Max:
    case OpType::Min: return make_binary(graph, node, config);
    default: return unsupported(node, "no oneDNN kernel for this op");
  }
}

}  // namespace deepshark::dnnl_backend
