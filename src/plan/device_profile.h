// The device profile: what the planner's cost model knows about this machine — read time per
// request size with direct I/O on the storage holding the models, checksum speed, and the compute
// time of every node of a model at a thread count. Saved as versioned JSON by
// `deepshark profile` (runtime/profile.h measures it); this file only converts and applies it.
//
//   DS_TRY(ds::DeviceProfile prof, ds::read_device_profile("dev.json"));
//   DS_RETURN_IF_ERROR(ds::apply_device_profile(prof, threads, &plan_input));   // io + node_ms
//   ds::write_file("dev.json", ds::device_profile_to_json(prof));
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "plan/plan.h"

namespace deepshark {

inline constexpr int kDeviceProfileVersion = 1;

struct ReadSample {
  uint64_t request_bytes = 0;
  int queue_depth = 1;
  double ms_per_request = 0;  // median
  double mb_per_s = 0;        // request_bytes * queue_depth / time
};

struct DeviceProfile {
  int version = kDeviceProfileVersion;
  std::string dir;              // where the storage was measured
  bool direct_io = true;
  std::vector<ReadSample> reads;
  double hash_ms_per_byte = 0;  // XXH3 verification
  IoCost io;                    // fitted: latency + bytes * ms_per_byte (read + verify), queue depth 1
  // Compute (empty without --model).
  std::string model;
  int threads = 0;
  int runs = 0;
  std::vector<std::pair<std::string, double>> node_ms;  // node name, median ms
  // Streaming calibration (with --model): the same model run streamed, reads overlapping compute
  // on the same cores. Reads and verification then take longer per byte than alone, and the
  // kernels run slower (the loader thread and the DMA share cores and memory bandwidth).
  struct Streaming {
    bool measured = false;
    uint64_t budget_bytes = 0;
    uint64_t bytes_read = 0;    // per run
    int pieces_read = 0;        // per run
    double read_ms = 0;         // per run, loader time reading and verifying (median)
    double compute_ms = 0;      // per run, kernel time while streaming (median)
    double in_memory_ms = 0;    // sum of node_ms
    // The same budget at prefetch depth 0 (load, then compute): every read starts on idle
    // storage. 0 bytes: not measured (profiles before session 5), reads cost the same either way.
    uint64_t serial_bytes_read = 0;
    int serial_pieces_read = 0;
    double serial_read_ms = 0;
  } streaming;
};

// The streaming terms the cost model takes from a calibration: read ms per byte (after the
// fitted per-request latency) and the factor on node times while streaming (>= 1).
double streaming_ms_per_byte(const DeviceProfile& profile);
double streaming_compute_factor(const DeviceProfile& profile);
// Read ms per byte at depth 0 over the streaming rate, clamped to [1, 4]: PlanInput::cold_read_factor.
double streaming_cold_read_factor(const DeviceProfile& profile);

// Least-squares fit of ms = latency + bytes * ms_per_byte over the queue-depth-1 samples, plus
// the hash cost per byte. Latency is clamped at >= 0.
IoCost fit_io_cost(const std::vector<ReadSample>& samples, double hash_ms_per_byte);

std::string device_profile_to_json(const DeviceProfile& profile);
// InvalidArgument naming `name` for malformed JSON, a wrong format tag or a future version.
Result<DeviceProfile> device_profile_from_json(const std::string& text, const std::string& name);
Result<DeviceProfile> read_device_profile(const std::string& path);

// Sets input->io from the profile and, when it has node times, input->node_ms by node name; with
// a streaming calibration, io.ms_per_byte, input->stream_compute_factor and
// input->cold_read_factor from it.
// InvalidArgument when the profile's nodes do not match input->node_names or its thread count
// differs from `threads` (compute time depends on it).
Status apply_device_profile(const DeviceProfile& profile, int threads, PlanInput* input);

}  // namespace deepshark
