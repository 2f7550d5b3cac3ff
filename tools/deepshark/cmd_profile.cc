// deepshark profile [--dir PATH] [--model MODEL.dsk] [--threads N] -o PROFILE.json: measures the
// storage (direct I/O read time per request size) and, given a model, every node's compute time.
#include <cstdio>
#include <iostream>

#include "base/file.h"
#include "cli.h"
#include "plan/device_profile.h"
#include "runtime/profile.h"

namespace deepshark::cli {

int cmd_profile(const Args& a) {
  StorageProfileOptions so;
  so.dir = a.dir;
  auto prof = profile_storage(so);
  if (!prof.ok()) return fail(prof.status());
  std::fprintf(stderr, "storage at %s (%s):\n", a.dir.c_str(), prof->direct_io ? "direct I/O" : "buffered");
  for (const ReadSample& s : prof->reads) {
    std::fprintf(stderr, "  %10s x %d in flight: %8.3f ms per round  %8.1f MB/s\n", format_size(s.request_bytes).c_str(),
                 s.queue_depth, s.ms_per_request, s.mb_per_s);
  }
  std::fprintf(stderr, "  fit: latency %.3f ms + %.1f MB/s (read and checksum)\n", prof->io.latency_ms,
               1e-3 / prof->io.ms_per_byte);
  const std::string model = !a.profile_model.empty() ? a.profile_model : a.model;
  if (!model.empty()) {
    Status s = profile_model_compute(model, a.threads, 5, &*prof);
    if (!s.ok()) return fail(s);
    double total = 0;
    for (const auto& [name, ms] : prof->node_ms) total += ms;
    std::fprintf(stderr, "compute of %s at %d threads: %zu nodes, %.3f ms per run (median of %d runs per node)\n",
                 model.c_str(), a.threads, prof->node_ms.size(), total, prof->runs);
  }
  Status s = write_file_atomic(a.output, device_profile_to_json(*prof));
  if (!s.ok()) return fail(s);
  return 0;
}

}  // namespace deepshark::cli
