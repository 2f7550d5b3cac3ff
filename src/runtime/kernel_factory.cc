#include "runtime/kernel_factory.h"

#include <dnnl.hpp>

#include "kernels/dnnl/dnnl_kernels.h"
#include "kernels/ref/ref_kernels.h"

namespace deepshark {

Result<std::unique_ptr<Kernel>> make_node_kernel(const Graph& g, const Node& n, const KernelConfig& config,
                                                 bool use_dnnl) {
  const std::string label = n.name.empty() ? std::string(op_name(n.op)) : n.name;
  if (use_dnnl) {
    auto k = dnnl_backend::make_kernel(g, n, config);
    if (k.ok()) return k;
    if (k.status().code() != ErrorCode::Unsupported) {
      return k.status().with_context("failed to prepare node '" + label + "'");
    }
    // The reference kernels read and write plain tensors only (layout_assign probes every
    // node it gives a blocked operand, so this is an internal error).
    for (const auto* ls : {&config.input_layouts, &config.output_layouts})
      for (ActLayout l : *ls)
        if (l != ActLayout::Plain)
          return k.status().with_context("failed to prepare node '" + label + "' with blocked operands");
    // Nor rows written into a wider tensor (a row-strided Concat view): the reference would write
    // dense rows over its neighbours' columns.
    if (config.output_row_stride != 0) {
      return k.status().with_context("failed to prepare node '" + label + "' with a row-strided output");
    }
  }
  auto k = ref::make_kernel(g, n);
  if (!k.ok()) return k.status().with_context("failed to prepare node '" + label + "'");
  return k;
}

LayoutEnvironment layout_environment(int threads) {
  LayoutEnvironment e;
  switch (dnnl::get_effective_cpu_isa()) {
    case dnnl::cpu_isa::sse41: e.isa = "sse41"; break;
    case dnnl::cpu_isa::avx: e.isa = "avx"; break;
    case dnnl::cpu_isa::avx2: e.isa = "avx2"; break;
    case dnnl::cpu_isa::avx2_vnni: e.isa = "avx2_vnni"; break;
    case dnnl::cpu_isa::avx512_mic: e.isa = "avx512_mic"; break;
    case dnnl::cpu_isa::avx512_mic_4ops: e.isa = "avx512_mic_4ops"; break;
    case dnnl::cpu_isa::avx512_core: e.isa = "avx512_core"; break;
    case dnnl::cpu_isa::avx512_core_vnni: e.isa = "avx512_core_vnni"; break;
    case dnnl::cpu_isa::avx512_core_bf16: e.isa = "avx512_core_bf16"; break;
    case dnnl::cpu_isa::avx512_core_amx: e.isa = "avx512_core_amx"; break;
    default: e.isa = "other"; break;
  }
  const dnnl_version_t* v = dnnl_version();
  e.dnnl_version = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
  e.threads = threads;
  return e;
}

}  // namespace deepshark
