// Device profiling for the planner's cost model (plan/device_profile.h holds the JSON form):
// direct-I/O read time per request size on the storage holding a folder, checksum speed, and the
// compute time of every node of a packed model. Also the quick built-in measurement a session uses
// when it has no profile.
//
//   ds::StorageProfileOptions so;  so.dir = "/data";
//   DS_TRY(ds::DeviceProfile prof, ds::profile_storage(so));           // writes and reads a temp file
//   DS_RETURN_IF_ERROR(ds::profile_model_compute("vgg16.dsk", 2, 5, &prof));   // per-node medians
//   ds::IoCost quick = ds::quick_io_cost(file, file_bytes).value();      // a few reads of the file
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "graph/graph.h"
#include "plan/device_profile.h"

namespace deepshark {

class Storage;
class CountingAllocator;

struct StorageProfileOptions {
  std::string dir = ".";
  uint64_t file_bytes = uint64_t{256} << 20;  // the temporary file written and read
  std::vector<uint64_t> request_sizes = {64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20};
  int repeats = 5;
  // Requests in flight: each depth d > 1 runs d readers at once (the fit uses depth 1, which is
  // how the block stream's loader reads; deeper queues say what more readers could gain).
  std::vector<int> queue_depths = {1, 2, 4};
};

// Writes a temporary file in options.dir (removed afterwards), reads it with O_DIRECT at each
// request size and queue depth (random aligned offsets; depth 1: median of `repeats` requests;
// depth d: d readers of `repeats` requests each, timed together) and times XXH3 over 64 MiB; fits
// IoCost to the depth-1 reads. IOError naming the folder when it cannot write there.
Result<DeviceProfile> profile_storage(const StorageProfileOptions& options);

// Runs the packed model `runs` times at `threads` (all weights resident when they fit in half the
// available memory, else streamed under that) with random inputs and stores each node's median
// time in profile->node_ms (and model, threads, runs). When all weights were resident, it then
// runs the model streamed (budget: a quarter of the weights, at least the smallest that allows
// prefetch depth 1) and stores the reads' and the kernels' times in profile->streaming.
Status profile_model_compute(const std::string& dsk_path, int threads, int runs, DeviceProfile* profile);

// A quick built-in I/O cost: two reads each at a few request sizes from the start of `storage`
// (at most file_bytes), fitted, plus the checksum cost. Uses a temporary buffer of <= 4 MiB, from
// `allocator` when given (a session's: accounted, and no larger than its limit leaves; below one
// direct-I/O block there is no measurement and the default IoCost is returned).
Result<IoCost> quick_io_cost(Storage& storage, uint64_t file_bytes, CountingAllocator* allocator = nullptr);

// FLOP-based node times: flops / (5e7 * threads) ms + 2 us per node (a nominal 50 GFLOP/s per
// thread; replaced by measured times after a run).
std::vector<double> estimate_node_ms(const Graph& graph, int threads);

}  // namespace deepshark
