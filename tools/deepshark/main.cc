// deepshark: the command-line interface, on the public API only.
//
//   deepshark run MODEL --input NAME=FILE.npy ... --output-dir DIR [--threads N]
//   deepshark inspect MODEL [--json] [--shape NAME=1x3x224x224]
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "deepshark/deepshark.h"
#include "plan/plan.h"

namespace {

const char* kUsage = R"(deepshark — run trained models exactly, on oneDNN's CPU kernels

usage:
  deepshark run MODEL [options]       run a model and write its outputs as .npy files
  deepshark pack MODEL -o OUT.dsk      pack a model into a block stream file for budgeted runs
  deepshark inspect MODEL [options]   show nodes, weights, FLOPs, activation peak, inputs, outputs
  deepshark help                      this text

MODEL is an ONNX file (.onnx); run also takes a packed block stream file (.dsk).

run options:
  --input NAME=FILE      an input tensor: .npy, or an ONNX TensorProto .pb (repeat per input)
  --random-inputs        fill every input not given with seeded uniform values in [0,1)
  --output-dir DIR       write DIR/<output name>.npy for every model output (created if missing)
  --threads N            compute threads (default 1)
  --repeat K             run K times (default 1) and report every run's latency
  --warmup W             untimed runs before the K timed ones (default 0)
  --report               print latency and memory to stderr
  --report-json FILE     write {"runs_ms": [...], "peak_managed_bytes": N, ...} to FILE
  --kernels              print the kernel chosen for each node
  --profile              print time per op type and kernel (summed over the timed runs)
  --reference            use the naive reference kernels only (slow; the oracle)
  --memory SIZE          memory budget for a .dsk model: every byte the run holds (weights,
                         activations, scratch, I/O buffers) stays within it. SIZE takes a unit:
                         B, KiB, MiB, GiB, KB, MB, GB (e.g. 64MiB). Default: everything resident.
  --prefetch N           blocks read ahead while computing (0 = load, then compute; default:
                         the planner's choice)
  --no-direct-io         read pieces through the page cache instead of O_DIRECT
  --plan                 print the plan (resident pieces, blocks, ring, predicted peak)

pack options:
  -o, --output FILE      the .dsk file to write (required)
  --slice-limit SIZE     split nodes whose weights exceed SIZE along their output channels
                         (default 8MiB, so that VGG-16 runs under 32MiB)
  --threads N            weight layouts are chosen for N compute threads; run with the same N
  --shape NAME=DxDxD     shape for an input with dynamic dimensions (repeatable)

inspect options:
  --json                 machine-readable output
  --shape NAME=DxDxD     shape for an input with dynamic dimensions (repeatable; run takes
                         shapes from its input files)

Errors are printed as "failed to <verb> <thing> '<name>': <reason>" with a non-zero exit code:
  1 bad input or model, 2 bad command line.
)";

struct Args {
  std::string command;
  std::string model;
  std::vector<std::pair<std::string, std::string>> inputs;
  std::map<std::string, ds::Shape> shapes;
  std::string output_dir;
  std::string report_json;
  int threads = 1;
  int repeat = 1;
  int warmup = 0;
  bool json = false;
  bool report = false;
  bool kernels = false;
  bool reference = false;
  bool random_inputs = false;
  bool profile = false;
  bool plan = false;
  bool direct_io = true;
  uint64_t memory = 0;
  int prefetch = -1;
  std::string output;
  uint64_t slice_limit = uint64_t{8} << 20;
};

int usage_error(const std::string& msg) {
  std::cerr << "deepshark: " << msg << "\nrun 'deepshark help' for usage\n";
  return 2;
}

int fail(const ds::Status& s) {
  std::cerr << s.message() << "\n";
  return 1;
}

bool parse_int(const std::string& s, int lo, int hi, int* out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s) if (c < '0' || c > '9') return false;
  int v = std::atoi(s.c_str());
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

// "1x3x224x224" -> shape; false on anything else.
bool parse_shape(const std::string& s, ds::Shape* out) {
  out->clear();
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find('x', i);
    if (j == std::string::npos) j = s.size();
    std::string d = s.substr(i, j - i);
    if (d.empty() || d.size() > 12) return false;
    for (char c : d) if (c < '0' || c > '9') return false;
    out->push_back(std::stoll(d));
    if (out->size() > 16) return false;
    i = j + 1;
  }
  return !out->empty();
}

// Returns 0 on success, else an exit code after printing the error.
int parse_args(int argc, char** argv, Args* a) {
  if (argc < 2) return usage_error("no command given");
  a->command = argv[1];
  if (a->command == "help" || a->command == "--help" || a->command == "-h") return 0;
  if (a->command != "run" && a->command != "inspect" && a->command != "pack") {
    return usage_error("unknown command '" + a->command + "'");
  }
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string* out) -> bool {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") { a->command = "help"; return 0; }
    if (arg == "--input" || arg == "--shape") {
      if (!value(&v)) return usage_error(arg + " needs NAME=VALUE");
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) return usage_error(arg + " needs NAME=VALUE, got '" + v + "'");
      if (arg == "--input") {
        a->inputs.emplace_back(v.substr(0, eq), v.substr(eq + 1));
      } else {
        ds::Shape s;
        if (!parse_shape(v.substr(eq + 1), &s)) return usage_error("--shape wants NAME=DxDx..., got '" + v + "'");
        a->shapes[v.substr(0, eq)] = s;
      }
    } else if (arg == "--output-dir") {
      if (!value(&a->output_dir)) return usage_error("--output-dir needs a folder");
    } else if (arg == "--report-json") {
      if (!value(&a->report_json)) return usage_error("--report-json needs a file");
    } else if (arg == "--threads" || arg == "--repeat" || arg == "--warmup") {
      int* dst = arg == "--threads" ? &a->threads : arg == "--repeat" ? &a->repeat : &a->warmup;
      int lo = arg == "--warmup" ? 0 : 1;
      int hi = arg == "--threads" ? 256 : 1000000;
      if (!value(&v) || !parse_int(v, lo, hi, dst)) {
        return usage_error(arg + " wants a whole number from " + std::to_string(lo) + " to " + std::to_string(hi) +
                           (v.empty() ? "" : ", got '" + v + "'"));
      }
    } else if (arg == "--json") {
      a->json = true;
    } else if (arg == "--report") {
      a->report = true;
    } else if (arg == "--memory" || arg == "--slice-limit") {
      if (!value(&v)) return usage_error(arg + " needs a size such as 64MiB");
      auto size = ds::parse_size(v);
      if (!size.ok()) return usage_error(size.status().message());
      if (*size == 0) return usage_error(arg + " must be more than 0");
      (arg == "--memory" ? a->memory : a->slice_limit) = *size;
    } else if (arg == "--prefetch") {
      if (!value(&v) || !parse_int(v, 0, 16, &a->prefetch)) {
        return usage_error("--prefetch wants a whole number from 0 to 16" + (v.empty() ? "" : ", got '" + v + "'"));
      }
    } else if (arg == "-o" || arg == "--output") {
      if (!value(&a->output)) return usage_error(arg + " needs a file");
    } else if (arg == "--no-direct-io") {
      a->direct_io = false;
    } else if (arg == "--plan") {
      a->plan = true;
    } else if (arg == "--profile") {
      a->profile = true;
    } else if (arg == "--kernels") {
      a->kernels = true;
    } else if (arg == "--reference") {
      a->reference = true;
    } else if (arg == "--random-inputs") {
      a->random_inputs = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return usage_error("unknown option '" + arg + "'");
    } else if (a->model.empty()) {
      a->model = arg;
    } else {
      return usage_error("unexpected argument '" + arg + "'");
    }
  }
  if (a->model.empty()) return usage_error(a->command + " needs a MODEL");
  if (a->command == "pack" && a->output.empty()) return usage_error("pack needs -o OUT.dsk");
  return 0;
}

// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), 0 when unavailable.
uint64_t proc_status_bytes(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string key = std::string(field) + ":";
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0) return std::strtoull(line.c_str() + key.size(), nullptr, 10) * 1024;
  }
  return 0;
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) != 0; }

int cmd_pack(const Args& a) {
  ds::PackOptions opt;
  opt.input_shapes = a.shapes;
  opt.slice_limit_bytes = a.slice_limit;
  opt.threads = a.threads;
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

int cmd_inspect(const Args& a) {
  auto info = ds::inspect_model(a.model, a.shapes);
  if (!info.ok()) return fail(info.status());
  std::cout << (a.json ? ds::model_info_to_json(*info) : ds::model_info_to_text(*info));
  return 0;
}

std::string sanitize_file_name(const std::string& name) {
  std::string r;
  for (char c : name) r += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') ? c : '_';
  if (r.empty() || r == "." || r == "..") r = "output";
  return r;
}

int cmd_run(const Args& a) {
  std::vector<ds::NamedTensor> inputs;
  ds::SessionOptions opt;
  opt.threads = a.threads;
  opt.use_dnnl = !a.reference;
  opt.profile_nodes = a.profile;
  opt.memory_budget_bytes = a.memory;
  opt.prefetch_depth = a.prefetch;
  opt.direct_io = a.direct_io;
  const auto run_start = std::make_shared<std::chrono::steady_clock::time_point>();
  if (stderr_is_terminal()) {
    opt.progress = [run_start](int done, int total) {
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - *run_start).count();
      if (s > 1.0) std::fprintf(stderr, "\rrunning: block %d/%d", done, total);
      if (s > 1.0 && done == total) std::fprintf(stderr, "\r\033[K");
    };
  }
  opt.input_shapes = a.shapes;
  for (const auto& [name, file] : a.inputs) {
    auto t = ds::read_tensor_file(file);
    if (!t.ok()) return fail(t.status().with_context("failed to read input '" + name + "'"));
    opt.input_shapes[name] = t->shape();
    inputs.push_back({name, std::move(t).value()});
  }
  if (a.random_inputs) {
    auto g = ds::load_model(a.model);
    if (!g.ok()) return fail(g.status());
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(0.f, 1.f);
    for (ds::ValueId id : g->inputs) {
      const ds::Value& v = g->value(id);
      bool given = false;
      for (const auto& nt : inputs) given |= nt.name == v.name;
      if (given) continue;
      ds::Shape s = opt.input_shapes.count(v.name) ? opt.input_shapes[v.name] : v.shape;
      for (int64_t& d : s) if (d < 0) d = 1;
      auto t = ds::Tensor::create(v.dtype, s);
      if (!t.ok()) return fail(t.status());
      if (v.dtype == ds::DType::F32) for (int64_t k = 0; k < t->numel(); ++k) t->data<float>()[k] = dist(rng);
      opt.input_shapes[v.name] = s;
      inputs.push_back({v.name, std::move(t).value()});
    }
  }
  auto session = ds::Session::open(a.model, opt);
  if (!session.ok()) return fail(session.status());
  ds::Session& s = **session;
  if (a.kernels) {
    for (const auto& k : s.kernels()) std::cerr << k.node << " (" << k.op << "): " << k.kernel << "\n";
  }
  std::vector<double> runs_ms;
  // Per node "op: kernel", for --profile.
  std::vector<std::string> kernel_lines;
  for (const auto& k : s.kernels()) kernel_lines.push_back(k.op + ": " + k.kernel);
  std::map<std::string, double> profile;
  ds::Result<std::vector<ds::NamedTensor>> outputs = ds::Status(ds::ErrorCode::Internal, "not run");
  if (a.plan) std::cerr << s.plan().text;
  const uint64_t rss_before_first_run = proc_status_bytes("VmRSS");
  for (int r = 0; r < a.warmup + a.repeat; ++r) {
    *run_start = std::chrono::steady_clock::now();
    outputs = s.run(inputs);
    if (!outputs.ok()) return fail(outputs.status());
    if (r >= a.warmup) {
      runs_ms.push_back(s.last_run().wall_ms);
      const std::vector<double>& node_ms = s.last_run().node_ms;
      for (size_t i = 0; i < node_ms.size() && i < kernel_lines.size(); ++i) profile[kernel_lines[i]] += node_ms[i];
    }
  }
  if (a.profile) {
    std::vector<std::pair<double, std::string>> rows;
    double total = 0;
    for (const auto& [k, ms] : profile) rows.push_back({ms, k}), total += ms;
    std::sort(rows.rbegin(), rows.rend());
    std::fprintf(stderr, "%10s %6s  %s\n", "ms/run", "share", "op: kernel");
    for (const auto& [ms, k] : rows) {
      std::fprintf(stderr, "%10.3f %5.1f%%  %s\n", ms / a.repeat, total > 0 ? 100 * ms / total : 0, k.c_str());
    }
  }
  if (!a.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(a.output_dir, ec);
    if (ec) return fail(ds::make_error(ds::ErrorCode::IOError, "create", "folder", a.output_dir, ec.message()));
    for (const ds::NamedTensor& o : *outputs) {
      std::string path = a.output_dir + "/" + sanitize_file_name(o.name) + ".npy";
      ds::Status st = ds::write_npy(path, o.tensor.view());
      if (!st.ok()) return fail(st);
    }
  }
  ds::MemoryReport mem = s.memory();
  const ds::RunStats& st = s.last_run();
  const uint64_t peak_rss = proc_status_bytes("VmHWM");
  std::vector<double> sorted = runs_ms;
  std::sort(sorted.begin(), sorted.end());
  double median = sorted.empty() ? 0 : sorted[sorted.size() / 2];
  if (a.report) {
    std::fprintf(stderr, "runs: %zu  median %.3f ms  min %.3f ms  max %.3f ms\n", sorted.size(), median,
                 sorted.empty() ? 0 : sorted.front(), sorted.empty() ? 0 : sorted.back());
    std::fprintf(stderr, "managed memory: peak %llu bytes (weights %llu, activations %llu, scratch %llu)\n",
                 static_cast<unsigned long long>(mem.peak_managed_bytes),
                 static_cast<unsigned long long>(mem.weight_bytes), static_cast<unsigned long long>(mem.arena_bytes),
                 static_cast<unsigned long long>(mem.scratch_bytes));
    std::fprintf(stderr, "process RSS: %.2f MiB before the first run, peak %.2f MiB (growth %.2f MiB)\n",
                 rss_before_first_run / 1048576.0, peak_rss / 1048576.0,
                 (peak_rss > rss_before_first_run ? peak_rss - rss_before_first_run : 0) / 1048576.0);
    if (st.blocks > 0) {
      std::fprintf(stderr,
                   "stream (last run): %d blocks, read %.2f MiB (%s), read %.3f ms, compute %.3f ms, stalled %.3f ms, "
                   "eta %.3f\n",
                   st.blocks, st.bytes_read / 1048576.0, st.direct_io ? "direct I/O" : "buffered I/O", st.read_ms,
                   st.compute_ms, st.stall_ms, st.eta);
    }
  }
  if (!a.report_json.empty()) {
    std::ofstream f(a.report_json);
    f << "{\"model\":\"" << a.model << "\",\"threads\":" << a.threads << ",\"runs_ms\":[";
    for (size_t i = 0; i < runs_ms.size(); ++i) f << (i ? "," : "") << runs_ms[i];
    f << "],\"median_ms\":" << median << ",\"peak_managed_bytes\":" << mem.peak_managed_bytes
      << ",\"weight_bytes\":" << mem.weight_bytes << ",\"arena_bytes\":" << mem.arena_bytes
      << ",\"scratch_bytes\":" << mem.scratch_bytes << ",\"memory_budget_bytes\":" << a.memory
      << ",\"bytes_read\":" << st.bytes_read << ",\"read_ms\":" << st.read_ms << ",\"compute_ms\":" << st.compute_ms
      << ",\"stall_ms\":" << st.stall_ms << ",\"eta\":" << st.eta << ",\"blocks\":" << st.blocks
      << ",\"direct_io\":" << (st.direct_io ? "true" : "false") << ",\"rss_before_first_run_bytes\":"
      << rss_before_first_run << ",\"peak_rss_bytes\":" << peak_rss << "}\n";
    if (!f) return fail(ds::make_error(ds::ErrorCode::IOError, "write", "report", a.report_json, std::strerror(errno)));
  }
  if (a.output_dir.empty() && !a.report && a.report_json.empty()) {
    for (const ds::NamedTensor& o : *outputs) {
      std::cout << o.name << " " << ds::dtype_name(o.tensor.dtype()) << ds::shape_to_string(o.tensor.shape()) << "\n";
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  int rc = parse_args(argc, argv, &a);
  if (rc != 0) return rc;
  if (a.command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (a.command == "inspect") return cmd_inspect(a);
  if (a.command == "pack") return cmd_pack(a);
  return cmd_run(a);
}
