#include "plan/plan_input_io.h"

#include <cstdio>
#include <sstream>

namespace deepshark {

namespace {
std::string token(const std::string& s) {
  std::string r = s.empty() ? "_" : s;
  for (char& c : r) if (c == ' ' || c == '\t' || c == '\n' || c == '\r') c = '_';
  return r;
}
std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.9g", v);
  return b;
}
}  // namespace

std::string plan_input_to_text(const PlanInput& in) {
  std::ostringstream o;
  o << "deepshark-plan-input 1\nmodel " << token(in.model) << "\nfixed " << in.fixed_bytes;
  if (in.reserve_bytes != 0 || in.whole_nodes_peak_bytes != 0) o << " " << in.reserve_bytes;
  if (in.whole_nodes_peak_bytes != 0) o << " " << in.whole_nodes_peak_bytes;
  o << "\nio "
    << num(in.io.latency_ms) << " " << num(in.io.ms_per_byte);
  if (in.stream_compute_factor != 1.0 || in.cold_read_factor != 1.0) o << " " << num(in.stream_compute_factor);
  if (in.cold_read_factor != 1.0) o << " " << num(in.cold_read_factor);
  o << "\ncost " << in.cost_source << "\nnodes "
    << in.node_ms.size() << "\n";
  for (size_t i = 0; i < in.node_ms.size(); ++i) {
    o << "node " << token(i < in.node_names.size() ? in.node_names[i] : std::to_string(i)) << " " << num(in.node_ms[i])
      << "\n";
  }
  o << "pieces " << in.pieces.size() << "\n";
  for (const PieceSummary& p : in.pieces) {
    o << "piece " << token(p.label) << " " << p.bytes << " " << p.node << " " << p.flops << "\n";
  }
  return o.str();
}

Result<PlanInput> plan_input_from_text(const std::string& text, const std::string& name) {
  std::istringstream f(text);
  std::string line;
  int line_no = 0;
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::InvalidArgument, "read", "plan input", name,
                      "line " + std::to_string(line_no) + ": " + why);
  };
  auto next = [&](std::istringstream* ls, const std::string& key) -> bool {
    while (std::getline(f, line)) {
      ++line_no;
      if (line.empty() || line[0] == '#') continue;
      ls->clear();
      ls->str(line);
      std::string k;
      *ls >> k;
      return k == key;
    }
    return false;
  };
  PlanInput in;
  std::istringstream ls;
  int version = 0;
  if (!next(&ls, "deepshark-plan-input") || !(ls >> version) || version != 1) return bad("expected 'deepshark-plan-input 1'");
  if (!next(&ls, "model") || !(ls >> in.model)) return bad("expected 'model NAME'");
  const char* fixed_form = "expected 'fixed BYTES [RESERVE_BYTES [WHOLE_NODES_PEAK_BYTES]]'";
  if (!next(&ls, "fixed") || !(ls >> in.fixed_bytes)) return bad(fixed_form);
  if (uint64_t r = 0; ls >> r) {
    if (r > (uint64_t{1} << 40)) return bad(std::string(fixed_form) + " (reserve <= 1 TiB)");
    in.reserve_bytes = r;
    if (uint64_t w = 0; ls >> w) {
      if (w > (uint64_t{1} << 50)) return bad(std::string(fixed_form) + " (whole-nodes peak <= 1 PiB)");
      in.whole_nodes_peak_bytes = w;
    }
  }
  const char* io_form = "expected 'io LATENCY_MS MS_PER_BYTE [STREAM_COMPUTE_FACTOR [COLD_READ_FACTOR]]' (>= 0, > 0, 1..4, 1..4)";
  if (!next(&ls, "io") || !(ls >> in.io.latency_ms >> in.io.ms_per_byte) || !(in.io.latency_ms >= 0) ||
      !(in.io.ms_per_byte > 0)) {
    return bad(io_form);
  }
  if (double f = 0; ls >> f) {
    if (!(f >= 1.0 && f <= 4.0)) return bad(io_form);
    in.stream_compute_factor = f;
    if (double cf = 0; ls >> cf) {
      if (!(cf >= 1.0 && cf <= 4.0)) return bad(io_form);
      in.cold_read_factor = cf;
    }
  }
  if (!next(&ls, "cost")) return bad("expected 'cost SOURCE'");
  std::getline(ls >> std::ws, in.cost_source);
  size_t n = 0;
  if (!next(&ls, "nodes") || !(ls >> n) || n > 1000000) return bad("expected 'nodes N' (N <= 1000000)");
  for (size_t i = 0; i < n; ++i) {
    std::string nm;
    double ms = -1;
    if (!next(&ls, "node") || !(ls >> nm >> ms) || !(ms >= 0)) return bad("expected 'node NAME MS'");
    in.node_names.push_back(nm);
    in.node_ms.push_back(ms);
  }
  if (!next(&ls, "pieces") || !(ls >> n) || n > 1000000) return bad("expected 'pieces N' (N <= 1000000)");
  int last = -1;
  for (size_t i = 0; i < n; ++i) {
    PieceSummary p;
    if (!next(&ls, "piece") || !(ls >> p.label >> p.bytes >> p.node >> p.flops)) {
      return bad("expected 'piece LABEL BYTES NODE FLOPS'");
    }
    if (p.node < last || p.node < 0 || (!in.node_ms.empty() && p.node >= static_cast<int>(in.node_ms.size())) ||
        p.bytes == 0 || p.bytes > (uint64_t{1} << 40)) {
      return bad("piece out of order or out of range");
    }
    last = p.node;
    in.pieces.push_back(p);
  }
  return in;
}

}  // namespace deepshark
