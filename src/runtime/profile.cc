#include "runtime/profile.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <thread>

#include "base/memory.h"
#include "base/tensor.h"
#include "graph/flops.h"
#include "io/direct_file.h"
#include "io/loader.h"
#include "runtime/block_stream.h"

namespace deepshark {

namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct AlignedMemory {
  explicit AlignedMemory(uint64_t bytes) {
    if (posix_memalign(&p, kDirectIOAlignment, std::max<uint64_t>(bytes, kDirectIOAlignment)) != 0) p = nullptr;
    else std::memset(p, 0x5a, bytes);
  }
  ~AlignedMemory() { std::free(p); }
  std::byte* data() { return static_cast<std::byte*>(p); }
  void* p = nullptr;
};

double hash_ms_per_byte(std::byte* data, uint64_t bytes) {
  std::vector<double> t;
  volatile uint64_t sink = 0;
  for (int i = 0; i < 3; ++i) {
    auto t0 = Clock::now();
    sink = sink + checksum_xxh3(data, bytes);
    t.push_back(ms_since(t0));
  }
  return median(t) / static_cast<double>(bytes);
}
}  // namespace

std::vector<double> estimate_node_ms(const Graph& g, int threads) {
  std::vector<double> r;
  for (const Node& n : g.nodes) r.push_back(node_flops(g, n) / (5e7 * std::max(threads, 1)) + 0.002);
  return r;
}

Result<IoCost> quick_io_cost(Storage& storage, uint64_t file_bytes, CountingAllocator* allocator) {
  file_bytes = std::min(file_bytes, storage.size());
  const uint64_t align = std::max<uint64_t>(storage.alignment(), kDirectIOAlignment);
  uint64_t cap = std::min<uint64_t>(uint64_t{4} << 20, align_down(file_bytes, align));
  if (allocator) cap = std::min(cap, align_down(allocator->available_bytes(), align));
  if (cap < align) return IoCost{};
  Buffer accounted;
  std::unique_ptr<AlignedMemory> plain;
  std::byte* data = nullptr;
  if (allocator) {
    DS_TRY(accounted, Buffer::allocate(*allocator, cap, MemoryClass::IOBuffers, "storage probe buffer", false, align));
    data = accounted.data();
    std::memset(data, 0x5a, cap);
  } else {
    plain = std::make_unique<AlignedMemory>(cap);
    data = plain->data();
    if (!data) return make_error(ErrorCode::OutOfMemory, "measure", "storage", storage.name(), "no buffer");
  }
  std::vector<ReadSample> samples;
  for (uint64_t size : {uint64_t{64} << 10, uint64_t{1} << 20, uint64_t{4} << 20}) {
    size = std::min(size, cap);
    std::vector<double> t;
    for (int i = 0; i < 2; ++i) {
      const uint64_t off = align_down((file_bytes - size) / 2 * i, align);
      auto t0 = Clock::now();
      DS_RETURN_IF_ERROR(storage.read(off, size, data));
      t.push_back(ms_since(t0));
    }
    samples.push_back({size, 1, median(t), 0});
    if (size == cap) break;
  }
  return fit_io_cost(samples, hash_ms_per_byte(data, cap));
}

Result<DeviceProfile> profile_storage(const StorageProfileOptions& o) {
  if (o.queue_depths.empty() || *std::min_element(o.queue_depths.begin(), o.queue_depths.end()) < 1 ||
      *std::max_element(o.queue_depths.begin(), o.queue_depths.end()) > 64) {
    return make_error(ErrorCode::InvalidArgument, "measure", "storage", o.dir, "queue depths must be 1..64");
  }
  if (o.request_sizes.empty() || *std::min_element(o.request_sizes.begin(), o.request_sizes.end()) == 0) {
    return make_error(ErrorCode::InvalidArgument, "measure", "storage", o.dir, "request sizes must be > 0");
  }
  DeviceProfile prof;
  prof.dir = o.dir;
  const std::string path = o.dir + "/.deepshark-profile-" + std::to_string(getpid()) + ".tmp";
  const uint64_t max_req = *std::max_element(o.request_sizes.begin(), o.request_sizes.end());
  const uint64_t bytes = std::max(align_up(o.file_bytes, uint64_t{1} << 20), max_req);
  {
    AlignedMemory chunk(uint64_t{1} << 20);
    std::mt19937_64 rng(7);
    uint64_t* w = reinterpret_cast<uint64_t*>(chunk.data());
    std::ofstream f(path, std::ios::binary);
    for (uint64_t done = 0; f && done < bytes; done += uint64_t{1} << 20) {
      for (size_t i = 0; i < (1u << 20) / 8; ++i) w[i] = rng();
      f.write(reinterpret_cast<const char*>(chunk.data()), 1 << 20);
    }
    f.flush();
    if (!f) {
      std::filesystem::remove(path);
      return make_error(ErrorCode::IOError, "write", "folder", o.dir, "cannot write a temporary file " + path);
    }
  }
  {
    // Push the file out of the page cache so that buffered fallbacks are measured honestly too.
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
      ::fdatasync(fd);
      ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      ::close(fd);
    }
  }
  auto file = DirectFile::open(path);
  if (!file.ok()) {
    std::filesystem::remove(path);
    return file.status();
  }
  prof.direct_io = (*file)->is_direct();
  const int max_depth = *std::max_element(o.queue_depths.begin(), o.queue_depths.end());
  std::vector<std::unique_ptr<AlignedMemory>> bufs;
  for (int d = 0; d < max_depth; ++d) bufs.push_back(std::make_unique<AlignedMemory>(max_req));
  AlignedMemory& buf = *bufs[0];
  std::mt19937_64 rng(11);
  Status st = Status::ok_status();
  for (int depth : o.queue_depths) {
    if (!st.ok()) break;
    for (uint64_t size : o.request_sizes) {
      // `depth` readers, each with its own buffer, issue one request at a time at random aligned
      // offsets; a round is `depth` requests in flight. Queue depth 1: the median request.
      std::vector<uint64_t> offsets(static_cast<size_t>(o.repeats) * depth);
      for (uint64_t& off : offsets) off = align_down(rng() % (bytes - size + 1), kDirectIOAlignment);
      std::vector<double> t;
      if (depth == 1) {
        for (int i = 0; i < o.repeats && st.ok(); ++i) {
          auto t0 = Clock::now();
          st = (*file)->read(offsets[i], size, buf.data());
          t.push_back(ms_since(t0));
        }
      } else {
        std::vector<Status> results(depth, Status::ok_status());
        auto t0 = Clock::now();
        std::vector<std::thread> readers;
        for (int d = 0; d < depth; ++d) {
          readers.emplace_back([&, d] {
            for (int i = 0; i < o.repeats && results[d].ok(); ++i) {
              results[d] = (*file)->read(offsets[static_cast<size_t>(i) * depth + d], size, bufs[d]->data());
            }
          });
        }
        for (std::thread& r : readers) r.join();
        t.push_back(ms_since(t0) / o.repeats);
        for (const Status& r : results) if (!r.ok() && st.ok()) st = r;
      }
      if (!st.ok()) break;
      const double ms = median(t);
      prof.reads.push_back({size, depth, ms, ms > 0 ? size * static_cast<double>(depth) / 1e3 / ms : 0});
    }
  }
  prof.hash_ms_per_byte = hash_ms_per_byte(buf.data(), max_req);
  file->reset();
  std::filesystem::remove(path);
  DS_RETURN_IF_ERROR(st);
  prof.io = fit_io_cost(prof.reads, prof.hash_ms_per_byte);
  return prof;
}

Status profile_model_compute(const std::string& dsk_path, int threads, int runs, DeviceProfile* prof) {
  StreamOptions so;
  so.threads = threads;
  so.unslice_resident = false;  // the planner costs slices, as streamed plans run them
  // All weights resident when they fit in half of the available memory, else streamed under it.
  uint64_t avail = 0;
  {
    std::ifstream f("/proc/meminfo");
    std::string key;
    uint64_t kb = 0;
    std::string unit;
    while (f >> key >> kb >> unit) {
      if (key == "MemAvailable:") avail = kb * 1024;
    }
  }
  DS_TRY(std::unique_ptr<BlockStreamSession> s, BlockStreamSession::open(dsk_path, so));
  if (avail > 0 && s->weight_bytes() + s->plan().fixed_bytes > avail / 2) {
    Requirement r;
    r.memory_budget_bytes = avail / 2;
    DS_RETURN_IF_ERROR(s->replan(r));
  }
  const Graph& g = s->graph();
  std::vector<Tensor> inputs;
  std::vector<TensorView> views;
  for (ValueId id : g.inputs) {
    const Value& v = g.value(id);
    DS_TRY(Tensor t, Tensor::create(v.dtype, v.shape));
    if (v.dtype == DType::F32) {
      std::mt19937 rng(42);
      std::uniform_real_distribution<float> d(0.f, 1.f);
      for (int64_t k = 0; k < t.numel(); ++k) t.data<float>()[k] = d(rng);
    }
    inputs.push_back(std::move(t));
  }
  for (Tensor& t : inputs) views.push_back(t.view());
  std::vector<std::vector<double>> times(g.nodes.size());
  DS_TRY(auto warm, s->run(views));  // warm-up
  for (int r = 0; r < std::max(runs, 1); ++r) {
    DS_TRY(auto out, s->run(views));
    const std::vector<double>& t = s->node_times_ms();
    for (size_t i = 0; i < t.size() && i < times.size(); ++i) times[i].push_back(t[i]);
  }
  prof->model = dsk_path;
  prof->threads = threads;
  prof->runs = std::max(runs, 1);
  prof->node_ms.clear();
  double in_memory = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    prof->node_ms.emplace_back(g.nodes[i].name, median(times[i]));
    in_memory += prof->node_ms.back().second;
  }
  // Streaming calibration: the same runs under a budget that streams most of the weights (a
  // quarter of them, or the smallest budget that allows prefetch depth 1), reads overlapping
  // compute as in any budgeted run.
  prof->streaming = {};
  if (s->plan().all_resident) {
    const PlanInput& in = s->plan_input();
    Requirement r;
    r.memory_budget_bytes = std::max(smallest_feasible_budget(in, 1), in.fixed_bytes + s->weight_bytes() / 4);
    // The same budget at depth 0 too (every read starts on idle storage), the two alternating run
    // by run so that both rates come from the same spell of this machine's storage.
    Requirement serial = r;
    serial.prefetch_depth = 0;
    auto pieces_of = [](const Plan& plan) {
      int n = 0;
      for (const Block& b : plan.blocks) n += static_cast<int>(b.pieces.size());
      return n;
    };
    if (r.memory_budget_bytes < in.fixed_bytes + s->weight_bytes() && s->replan(r).ok()) {
      const int pieces = pieces_of(s->plan());
      DS_TRY(auto warm_streamed, s->run(views));
      bool with_serial = s->replan(serial).ok() && !s->plan().blocks.empty();
      const int serial_pieces = with_serial ? pieces_of(s->plan()) : 0;
      if (with_serial) {
        DS_TRY(auto warm_serial, s->run(views));
      }
      std::vector<double> read_ms, compute_ms, serial_ms;
      uint64_t bytes = 0, serial_bytes = 0;
      for (int r2 = 0; r2 < std::max(runs, 1); ++r2) {
        DS_RETURN_IF_ERROR(s->replan(r));
        DS_TRY(auto out, s->run(views));
        read_ms.push_back(s->last_report().read_ms);
        compute_ms.push_back(s->last_report().compute_ms);
        bytes = s->last_report().bytes_read;
        if (with_serial && s->replan(serial).ok()) {
          DS_TRY(auto out_serial, s->run(views));
          serial_ms.push_back(s->last_report().read_ms);
          serial_bytes = s->last_report().bytes_read;
        }
      }
      auto& c = prof->streaming;
      c.measured = bytes > 0;
      c.budget_bytes = r.memory_budget_bytes;
      c.bytes_read = bytes;
      c.pieces_read = pieces;
      c.read_ms = median(read_ms);
      c.compute_ms = median(compute_ms);
      c.in_memory_ms = in_memory;
      if (c.measured && !serial_ms.empty() && serial_bytes > 0) {
        c.serial_bytes_read = serial_bytes;
        c.serial_pieces_read = serial_pieces;
        c.serial_read_ms = median(serial_ms);
      }
    }
  }
  return Status::ok_status();
}

}  // namespace deepshark
