// Command-line parsing and the help text.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli.h"
#include "plan/plan.h"

namespace deepshark::cli {

const char* const kUsage = R"(deepshark — run trained models exactly, on oneDNN's CPU kernels

usage:
  deepshark run MODEL [options]       run a model and write its outputs as .npy files
  deepshark pack MODEL -o OUT.dsk      pack a model into a block stream file for budgeted runs
  deepshark inspect MODEL [options]   show nodes, weights, FLOPs, activation peak, inputs, outputs
  deepshark plan MODEL.dsk REQUIREMENT  the planned plan: predicted peak, latency, eta, blocks
  deepshark profile -o PROFILE.json   measure storage (and a model's node times) for the planner
  deepshark help                      this text

MODEL is an ONNX file (.onnx), a Caffe model (.prototxt with --weights NET.caffemodel) or a
TensorFlow frozen graph (.pb); run also takes a packed block stream file (.dsk).

model options (run, pack, inspect):
  --weights FILE         the .caffemodel of a Caffe .prototxt
  --mean FILE            a Caffe mean file (.binaryproto) subtracted from the input

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
                         A plan that streams keeps min(1 MiB, SIZE/32) free for code pages and
                         thread stacks.
  --prefetch N           blocks read ahead while computing (0 = load, then compute; default:
                         the planner's choice)
  --no-direct-io         read pieces through the page cache instead of O_DIRECT
  --plan                 print the plan (resident pieces, blocks, ring, predicted peak)
  --latency T            instead of --memory: the least memory whose predicted latency is <= T ms
  --balance W            instead of --memory: W in [0,1] weighs latency against memory
                         (minimises W*latency/in_memory_latency + (1-W)*memory/in_memory_memory)
  --profile FILE.json    the device profile for the planner (see profile); without it a quick
                         built-in measurement is used. (--profile without a .json file: print
                         time per op type, see above)

plan options (MODEL.dsk and one of --memory SIZE, --latency T, --balance W, or --sweep):
  --profile FILE.json    device profile (default: built-in measurement plus one timed run)
  --threads N            compute threads (as for run)
  --json                 machine-readable plan
  --sweep                the memory-latency curve over budgets from the smallest to the whole model
  --svg FILE             with --sweep: plot the curve as SVG
  --timeline FILE        draw the plan's reads and computes per block over time as SVG

profile options:
  -o FILE                the profile to write (JSON, required)
  --dir PATH             measure the storage holding PATH (default .)
  --model MODEL.dsk      also measure every node's compute time at --threads N

pack options:
  -o, --output FILE      the .dsk file to write (required)
  --slice-limit SIZE     split nodes whose weights exceed SIZE along their output channels
                         (default 2MiB, so that VGG-16 runs under 32MiB)
  --threads N            weight layouts are chosen for N compute threads; run with the same N
  --shape NAME=DxDxD     shape for an input with dynamic dimensions (repeatable)

inspect options:
  --json                 machine-readable output
  --shape NAME=DxDxD     shape for an input with dynamic dimensions (repeatable; run takes
                         shapes from its input files)

Errors are printed as "failed to <verb> <thing> '<name>': <reason>" with a non-zero exit code:
  1 bad input or model, 2 bad command line.
)";

namespace {

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
}  // namespace

int usage_error(const std::string& msg) {
  std::cerr << "deepshark: " << msg << "\nrun 'deepshark help' for usage\n";
  return 2;
}

int fail(const ds::Status& s) {
  std::cerr << s.message() << "\n";
  return 1;
}

int parse_args(int argc, char** argv, Args* a) {
  if (argc < 2) return usage_error("no command given");
  a->command = argv[1];
  if (a->command == "help" || a->command == "--help" || a->command == "-h") return 0;
  if (a->command != "run" && a->command != "inspect" && a->command != "pack" && a->command != "plan" &&
      a->command != "profile") {
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
    } else if (arg == "--weights" || arg == "--mean") {
      if (!value(arg == "--weights" ? &a->weights : &a->mean)) return usage_error(arg + " needs a file");
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
      // --profile FILE.json: a device profile (plan, run); bare --profile: run's op-type timing.
      if (i + 1 < argc && std::string(argv[i + 1]).size() > 5 &&
          std::string(argv[i + 1]).rfind(".json") == std::string(argv[i + 1]).size() - 5) {
        a->profile_path = argv[++i];
      } else if (a->command == "plan") {
        return usage_error("--profile needs a FILE.json");
      } else {
        a->profile = true;
      }
    } else if (arg == "--latency" || arg == "--balance") {
      if (!value(&v)) return usage_error(arg + " needs a number");
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(d >= 0) || (arg == "--balance" ? d > 1 : !(d > 0 && d < 1e9))) {
        return usage_error(arg + (arg == "--balance" ? " wants a number from 0 to 1" : " wants milliseconds > 0") +
                           ", got '" + v + "'");
      }
      (arg == "--latency" ? a->latency_ms : a->balance) = d;
    } else if (arg == "--planner") {
      if (!value(&v) || (v != "greedy" && v != "optimal")) return usage_error("--planner wants greedy or optimal");
      a->greedy_planner = v == "greedy";
    } else if (arg == "--sweep") {
      a->sweep = true;
    } else if (arg == "--svg" || arg == "--timeline" || arg == "--dir" || arg == "--model" || arg == "--dump-input") {
      std::string* dst = arg == "--svg"        ? &a->svg
                         : arg == "--timeline" ? &a->timeline
                         : arg == "--dir"      ? &a->dir
                         : arg == "--model"    ? &a->profile_model
                                               : &a->dump_input;
      if (!value(dst)) return usage_error(arg + " needs a path");
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
  if (a->model.empty() && a->command != "profile") return usage_error(a->command + " needs a MODEL");
  if (a->command == "profile" && a->output.empty()) return usage_error("profile needs -o PROFILE.json");
  if ((a->memory > 0) + (a->latency_ms > 0) + (a->balance >= 0) > 1) {
    return usage_error("give one of --memory, --latency, --balance");
  }
  if (a->command == "plan" && !a->sweep && a->dump_input.empty() && a->memory == 0 && a->latency_ms == 0 && a->balance < 0) {
    return usage_error("plan needs --memory SIZE, --latency T, --balance W or --sweep");
  }
  if (a->command == "pack" && a->output.empty()) return usage_error("pack needs -o OUT.dsk");
  return 0;
}

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


}  // namespace deepshark::cli
