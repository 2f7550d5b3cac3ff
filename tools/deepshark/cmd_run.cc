// deepshark run MODEL ...
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>

#include "cli.h"

namespace deepshark::cli {

namespace {
std::string sanitize_file_name(const std::string& name) {
  std::string r;
  for (char c : name) r += (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.') ? c : '_';
  if (r.empty() || r == "." || r == "..") r = "output";
  return r;
}

}  // namespace

int cmd_run(const Args& a) {
  std::vector<ds::NamedTensor> inputs;
  ds::SessionOptions opt;
  opt.threads = a.threads;
  opt.weights_path = a.weights;
  opt.mean_path = a.mean;
  opt.use_dnnl = !a.reference;
  opt.profile_nodes = a.profile;
  opt.memory_budget_bytes = a.memory;
  opt.prefetch_depth = a.prefetch;
  opt.direct_io = a.direct_io;
  opt.latency_target_ms = a.latency_ms;
  opt.balance = a.balance;
  opt.profile_path = a.profile_path;
  opt.greedy_planner = a.greedy_planner;
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
  // --random-inputs: seeded uniform [0,1) values for every input not given. A .dsk model's input
  // shapes are fixed at pack time, so they come from the opened session; others from the model.
  auto fill_random = [&](const std::vector<ds::TensorInfo>& infos) -> ds::Status {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(0.f, 1.f);
    for (const ds::TensorInfo& v : infos) {
      bool given = false;
      for (const auto& nt : inputs) given |= nt.name == v.name;
      if (given) continue;
      ds::Shape shape = opt.input_shapes.count(v.name) ? opt.input_shapes[v.name] : v.shape;
      for (int64_t& d : shape) if (d < 0) d = 1;
      auto t = ds::Tensor::create(v.dtype, shape);
      if (!t.ok()) return t.status();
      if (v.dtype == ds::DType::F32) for (int64_t k = 0; k < t->numel(); ++k) t->data<float>()[k] = dist(rng);
      opt.input_shapes[v.name] = shape;
      inputs.push_back({v.name, std::move(t).value()});
    }
    return ds::Status::ok_status();
  };
  const bool packed = std::filesystem::path(a.model).extension() == ".dsk";
  if (a.random_inputs && !packed) {
    auto g = ds::load_model(ds::ModelSource{a.model, a.weights, a.mean, a.shapes});
    if (!g.ok()) return fail(g.status());
    std::vector<ds::TensorInfo> infos;
    for (ds::ValueId id : g->inputs) infos.push_back({g->value(id).name, g->value(id).dtype, g->value(id).shape});
    ds::Status st = fill_random(infos);
    if (!st.ok()) return fail(st);
  }
  auto session = ds::Session::open(a.model, opt);
  if (!session.ok()) return fail(session.status());
  ds::Session& s = **session;
  if (a.random_inputs && packed) {
    ds::Status st = fill_random(s.inputs());
    if (!st.ok()) return fail(st);
  }
  if (a.kernels) {
    for (const auto& k : s.kernels()) std::cerr << k.node << " (" << k.op << "): " << k.kernel << "\n";
  }
  std::vector<double> runs_ms;
  // Per node "op: kernel", for --profile.
  std::vector<std::string> kernel_lines;
  for (const auto& k : s.kernels()) kernel_lines.push_back(k.op + ": " + k.kernel);
  std::map<std::string, double> profile;
  ds::Result<std::vector<ds::NamedTensor>> outputs = ds::Status(ds::ErrorCode::Internal, "not run");
  if (a.plan) {
    std::cerr << s.plan().text;
    if (!s.plan().cost_source.empty()) std::cerr << "      cost model: " << s.plan().cost_source << "\n";
  }
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
    if (st.unsliced_nodes > 0) {
      std::fprintf(stderr, "every piece resident: %d sliced nodes run whole (as in memory)\n", st.unsliced_nodes);
    }
    const std::string note = s.plan().unslice_note;
    if (!note.empty()) std::fprintf(stderr, "every piece resident: %s\n", note.c_str());
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
      << ",\"unsliced_nodes\":" << st.unsliced_nodes << ",\"direct_io\":" << (st.direct_io ? "true" : "false") << ",\"rss_before_first_run_bytes\":"
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

}  // namespace deepshark::cli
