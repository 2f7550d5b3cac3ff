// Probe: how much do plain (row-major) activations cost oneDNN convolution compared with the
// blocked layout it prefers (nChw16c via format_tag::any), and plain `oi` fully connected weights
// compared with oneDNN's own (brgemm) layout? Layers from ResNet-50, MobileNetV2 and VGG-16's
// classifier, at 1 and 2 threads. Weights are in the layout the primitive asks for in every case
// (as packed files hold them); activation reorders are not timed (the blocked case assumes an
// executor that keeps activations blocked between convolutions).
//
//   build/.../bench/kernels_layout_probe [repeats]
// Prints one line per (layer, threads): median ms plain, median ms blocked, ratio.
#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <dnnl.hpp>

namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

struct ConvLayer {
  const char* name;
  int64_t c, m, hw, k, s, p, g;
};

struct FcLayer {
  const char* name;
  int64_t in, out;
};

void set_threads(int n) {
  using SetFn = void (*)(int);
  static SetFn set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "omp_set_num_threads"));
  if (set) set(n);
}

dnnl::engine& eng() {
  static dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

// Median milliseconds of `repeats` executions after warm-up.
template <typename F>
double median_ms(int repeats, F&& run) {
  for (int i = 0; i < 5; ++i) run();
  std::vector<double> t;
  for (int i = 0; i < repeats; ++i) {
    auto a = std::chrono::steady_clock::now();
    run();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// mode 0: plain nchw activations; 1: blocked (any); 2: plain in/out around the blocked conv via
// two reorders (what the DeepShark Conv kernel does when oneDNN would pick im2col + gemm);
// 3: nChw16c fixed (what the executor's blocked layout asks for); 4: nhwc fixed.
double time_conv(const ConvLayer& l, int mode, int repeats, std::string* impl) {
  const bool blocked = mode != 0;
  dnnl::stream strm(eng());
  const int64_t out = (l.hw + 2 * l.p - l.k) / l.s + 1;
  memory::dims src{1, l.c, l.hw, l.hw}, dst{1, l.m, out, out};
  memory::dims w = l.g > 1 ? memory::dims{l.g, l.m / l.g, l.c / l.g, l.k, l.k} : memory::dims{l.m, l.c, l.k, l.k};
  const tag act = mode == 3 ? tag::nChw16c : mode == 4 ? tag::nhwc : blocked ? tag::any : tag::nchw;
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                    memory::desc(src, dt::f32, act), memory::desc(w, dt::f32, tag::any),
                                    memory::desc({l.m}, dt::f32, tag::x), memory::desc(dst, dt::f32, act),
                                    {l.s, l.s}, {l.p, l.p}, {l.p, l.p});
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::convolution_forward::primitive_desc pd(d, attr, eng());
  *impl = pd.impl_info_str();
  memory ms(pd.src_desc(), eng()), mw(pd.weights_desc(), eng()), mb(pd.bias_desc(), eng()),
      md(pd.dst_desc(), eng()), scratch(pd.scratchpad_desc(), eng());
  std::fill_n(static_cast<float*>(ms.get_data_handle()), pd.src_desc().get_size() / 4, 0.5f);
  std::fill_n(static_cast<float*>(mw.get_data_handle()), pd.weights_desc().get_size() / 4, 0.01f);
  std::fill_n(static_cast<float*>(mb.get_data_handle()), l.m, 0.f);
  dnnl::convolution_forward conv(pd);
  memory plain_src(memory::desc(src, dt::f32, tag::nchw), eng()), plain_dst(memory::desc(dst, dt::f32, tag::nchw), eng());
  std::fill_n(static_cast<float*>(plain_src.get_data_handle()), l.c * l.hw * l.hw, 0.5f);
  dnnl::reorder to_blocked(plain_src, ms), to_plain(md, plain_dst);
  return median_ms(repeats, [&] {
    if (mode == 2) to_blocked.execute(strm, plain_src, ms);
    conv.execute(strm, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md},
                        {DNNL_ARG_SCRATCHPAD, scratch}});
    if (mode == 2) to_plain.execute(strm, md, plain_dst);
    strm.wait();
  });
}

// One row per (threads, layer): the three modes' medians, the first and third relative to the
// second, and the three implementations.
template <size_t N>
void conv_table(const ConvLayer (&convs)[N], int repeats, std::array<int, 3> modes) {
  for (int threads : {1, 2}) {
    set_threads(threads);
    for (const ConvLayer& l : convs) {
      std::array<std::string, 3> impl;
      std::array<double, 3> ms{};
      for (int k = 0; k < 3; ++k) ms[k] = time_conv(l, modes[k], repeats, &impl[k]);
      std::printf("%-34s %3d %9.3f %9.3f %9.3f %7.2f %7.2f  %s / %s / %s\n", l.name, threads, ms[0], ms[1], ms[2],
                  ms[0] / ms[1], ms[2] / ms[1], impl[0].c_str(), impl[1].c_str(), impl[2].c_str());
    }
  }
}

double time_fc(const FcLayer& l, bool plain, int repeats, std::string* impl) {
  dnnl::stream strm(eng());
  dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, memory::desc({1, l.in}, dt::f32, tag::nc),
                                      memory::desc({l.out, l.in}, dt::f32, plain ? tag::oi : tag::any),
                                      memory::desc({l.out}, dt::f32, tag::x), memory::desc({1, l.out}, dt::f32, tag::nc));
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::inner_product_forward::primitive_desc pd(d, attr, eng());
  *impl = pd.impl_info_str();
  memory ms(pd.src_desc(), eng()), mw(pd.weights_desc(), eng()), mb(pd.bias_desc(), eng()),
      md(pd.dst_desc(), eng()), scratch(pd.scratchpad_desc(), eng());
  std::fill_n(static_cast<float*>(ms.get_data_handle()), l.in, 0.5f);
  std::fill_n(static_cast<float*>(mw.get_data_handle()), pd.weights_desc().get_size() / 4, 0.01f);
  std::fill_n(static_cast<float*>(mb.get_data_handle()), l.out, 0.f);
  dnnl::inner_product_forward ip(pd);
  return median_ms(repeats, [&] {
    ip.execute(strm, {{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md},
                      {DNNL_ARG_SCRATCHPAD, scratch}});
    strm.wait();
  });
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::max(3, std::atoi(argv[1])) : 50;
#ifndef NDEBUG
  std::printf("WARNING: debug build, timings are meaningless\n");
#endif
  const ConvLayer convs[] = {
      {"resnet50 conv1 7x7/2 3->64 @224", 3, 64, 224, 7, 2, 3, 1},
      {"resnet50 1x1 256->64 @56", 256, 64, 56, 1, 1, 0, 1},
      {"resnet50 3x3 64->64 @56", 64, 64, 56, 3, 1, 1, 1},
      {"resnet50 1x1 64->256 @56", 64, 256, 56, 1, 1, 0, 1},
      {"resnet50 3x3 128->128 @28", 128, 128, 28, 3, 1, 1, 1},
      {"resnet50 3x3 512->512 @7", 512, 512, 7, 3, 1, 1, 1},
      {"resnet50 1x1 2048->512 @7", 2048, 512, 7, 1, 1, 0, 1},
      {"mobilenetv2 dw 3x3 144 @56", 144, 144, 56, 3, 1, 1, 144},
      {"mobilenetv2 dw 3x3/2 144 @56", 144, 144, 56, 3, 2, 1, 144},
      {"mobilenetv2 dw 3x3 576 @14", 576, 576, 14, 3, 1, 1, 576},
      {"mobilenetv2 1x1 24->144 @56", 24, 144, 56, 1, 1, 0, 1},
  };
  if (argc > 2 && std::string(argv[2]) == "--layouts") {
    // The activation layout the executor could keep between convolutions: nChw16c vs nhwc.
    std::printf("%-34s %3s %9s %9s %9s %7s %7s  %s\n", "conv layer", "thr", "any", "nChw16c", "nhwc", "16c/any",
                "nhwc/any", "impl any / nChw16c / nhwc");
    conv_table(convs, repeats, {1, 3, 4});
    return 0;
  }
  const FcLayer fcs[] = {{"resnet50 fc 2048->1000", 2048, 1000}, {"vgg16 fc 4096->4096", 4096, 4096},
                         {"vgg16 fc 25088->4096", 25088, 4096}};
  std::printf("%-34s %3s %9s %9s %9s %7s %7s  %s\n", "conv layer", "thr", "plain ms", "blocked", "reorders", "p/b", "r/b",
              "impl plain / blocked / reorders");
  conv_table(convs, repeats, {0, 1, 2});
  std::printf("\n%-34s %3s %10s %10s %7s  %s\n", "fc layer (batch 1)", "thr", "oi ms", "any ms", "ratio", "impl oi / any");
  for (int threads : {1, 2}) {
    set_threads(threads);
    for (const FcLayer& l : fcs) {
      std::string ip, ia;
      const double tp = time_fc(l, true, repeats, &ip);
      const double ta = time_fc(l, false, repeats, &ia);
      std::printf("%-34s %3d %10.3f %10.3f %7.2f  %s / %s\n", l.name, threads, tp, ta, tp / ta, ip.c_str(), ia.c_str());
    }
  }
  return 0;
}
