// deepshark pack MODEL -o OUT.dsk
#include <chrono>
#include <cstdio>
#include <iostream>

#include "cli.h"

namespace deepshark::cli {

int cmd_pack(const Args& a) {
  ds::PackOptions opt;
  opt.input_shapes = a.shapes;
  opt.slice_limit_bytes = a.slice_limit;
  opt.threads = a.threads;
  opt.weights_path = a.weights;
  opt.mean_path = a.mean;
  auto t0 = std::chrono::steady_clock::now();
  if (stderr_is_terminal()) {
    opt.progress = [t0](size_t done, size_t total, uint64_t bytes) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (s > 1.0) std::fprintf(stderr, "\rpacking: node %zu/%zu, %.1f MiB written", done, total, bytes / 1048576.0);
    };
  }
  auto r = ds::pack_model(a.model, a.output, opt);
  if (opt.progress) std::fprintf(stderr, "\r\033[K");
  if (!r.ok()) return fail(r.status());
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("packed %s -> %s: %llu pieces, %.2f MiB of weights, %.2f MiB file, %.2f s (%.0f MB/s)\n",
              a.model.c_str(), a.output.c_str(), static_cast<unsigned long long>(r->pieces),
              r->piece_bytes / 1048576.0, r->file_bytes / 1048576.0, s, s > 0 ? r->file_bytes / 1e6 / s : 0.0);
  for (const std::string& line : r->sliced) std::printf("  sliced %s\n", line.c_str());
  for (const std::string& line : r->unsliceable) std::printf("  not sliced (over the limit) %s\n", line.c_str());
  return 0;
}

}  // namespace deepshark::cli
