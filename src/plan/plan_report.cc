#include "plan/plan_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "plan/cost.h"
#include "plan/planner.h"

namespace deepshark {

namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string esc(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '<') r += "&lt;";
    else if (c == '>') r += "&gt;";
    else if (c == '&') r += "&amp;";
    else if (c == '"') r += "&quot;";
    else r += c;
  }
  return r;
}

std::string jstr(const std::string& s) {
  std::string r = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) r += c;
  }
  return r + "\"";
}

// Nice tick step for a range.
double tick_step(double range, int target) {
  double raw = range / std::max(target, 1);
  double p = std::pow(10.0, std::floor(std::log10(std::max(raw, 1e-12))));
  for (double m : {1.0, 2.0, 5.0, 10.0}) if (m * p >= raw) return m * p;
  return 10 * p;
}

// Serial streaming of everything: every piece read, then computed (AirLLM's way).
double serial_all_ms(const PlanInput& in) {
  double l = 0;
  for (const PieceSummary& p : in.pieces) l += in.io.load_ms(aligned_piece_bytes(p.bytes));
  return l + in_memory_ms(in);
}

}  // namespace

std::string plan_report_text(const PlanInput& in, const Plan& plan) {
  std::ostringstream o;
  const Prediction& p = plan.predicted;
  const uint64_t total = total_piece_bytes(in);
  o << "model: " << in.model << " (" << in.pieces.size() << " pieces, " << format_size(total) << " of weights, "
    << format_size(in.fixed_bytes) << " fixed)\n";
  if (!in.arena_order.empty()) {
    o << "activations: arena " << format_size(in.arena_bytes) << " ("
      << (in.arena_bytes == in.arena_lower_bound_bytes ? "the least possible" : "at least " + format_size(in.arena_lower_bound_bytes) + " needed")
      << ": tensors placed " << in.arena_order << ")\n";
  }
  o << "cost model: " << (in.cost_source.empty() ? "unknown" : in.cost_source) << "\n";
  o << "planner: " << plan.planner << "\n";
  if (plan.all_resident) {
    o << "plan: everything resident" << (plan.whole_nodes ? ", sliced nodes run whole" : "") << ", predicted peak "
      << format_size(plan.predicted_peak_bytes) << " (" << plan.predicted_peak_bytes << " bytes), reads 0 B per run\n";
    if (!plan.whole_nodes && in.whole_nodes_peak_bytes > 0) {
      o << "      sliced nodes run as slices: running them whole needs " << format_size(in.whole_nodes_peak_bytes)
        << " (" << in.whole_nodes_peak_bytes << " bytes)\n";
    }
  } else {
    o << "plan: budget " << format_size(plan.budget_bytes) << ", predicted peak " << format_size(plan.predicted_peak_bytes)
      << " (" << plan.predicted_peak_bytes << " bytes: fixed " << format_size(plan.fixed_bytes) << ", resident "
      << format_size(plan.resident_bytes) << " in " << plan.resident.size() << " pieces, ring " << plan.ring_slots
      << " x " << format_size(plan.ring_slot_bytes) << ")\n";
    if (const uint64_t r = streaming_reserve(in, plan.budget_bytes); r > 0) {
      o << "      " << format_size(r) << " of the budget kept free for code pages and thread stacks\n";
    }
    o << "      prefetch depth " << plan.prefetch_depth << ", " << plan.blocks.size() << " blocks, reads "
      << format_size(plan.bytes_read_per_run) << " per run\n";
  }
  o << "predicted: latency " << fmt("%.3f", p.latency_ms) << " ms, T* " << fmt("%.3f", p.t_star_ms) << " ms, L "
    << fmt("%.3f", p.load_ms) << " ms, C " << fmt("%.3f", p.compute_ms) << " ms, eta " << fmt("%.3f", p.eta)
    << " (in memory " << fmt("%.3f", in_memory_ms(in)) << " ms)\n";
  if (!plan.blocks.empty()) {
    o << "  block  pieces        bytes  nodes        read_ms  compute_ms  read_end  compute_end  first node\n";
    for (size_t b = 0; b < plan.blocks.size(); ++b) {
      const Block& bl = plan.blocks[b];
      char line[256];
      std::snprintf(line, sizeof line, "  %5zu  %3d-%-4d  %10s  %4d-%-4d  %9.3f  %10.3f  %8.3f  %11.3f  %s\n", b,
                    bl.pieces.front(), bl.pieces.back(), format_size(bl.bytes).c_str(), block_first_step(in, plan, b),
                    block_end_step(in, plan, b) - 1, p.block_load_ms[b], p.block_compute_ms[b], p.read_end_ms[b],
                    p.compute_end_ms[b], in.pieces[bl.pieces.front()].label.c_str());
      o << line;
    }
  }
  if (!plan.resident.empty() && !plan.all_resident) {
    o << "  resident:";
    for (int r : plan.resident) o << " " << r << ":" << in.pieces[r].label;
    o << "\n";
  }
  return o.str();
}

std::string plan_report_json(const PlanInput& in, const Plan& plan) {
  std::ostringstream o;
  const Prediction& p = plan.predicted;
  o << "{\"model\":" << jstr(in.model) << ",\"cost_model\":" << jstr(in.cost_source) << ",\"planner\":"
    << jstr(plan.planner) << ",\"all_resident\":" << (plan.all_resident ? "true" : "false")
    << ",\"whole_nodes\":" << (plan.whole_nodes ? "true" : "false")
    << ",\"whole_nodes_peak_bytes\":" << in.whole_nodes_peak_bytes
    << ",\"budget_bytes\":" << plan.budget_bytes << ",\"predicted_peak_bytes\":" << plan.predicted_peak_bytes
    << ",\"fixed_bytes\":" << plan.fixed_bytes << ",\"arena_bytes\":" << in.arena_bytes
    << ",\"arena_lower_bound_bytes\":" << in.arena_lower_bound_bytes << ",\"arena_order\":" << jstr(in.arena_order)
    << ",\"reserve_bytes\":" << (plan.all_resident ? 0 : streaming_reserve(in, plan.budget_bytes))
    << ",\"resident_bytes\":" << plan.resident_bytes
    << ",\"ring_slots\":" << plan.ring_slots << ",\"ring_slot_bytes\":" << plan.ring_slot_bytes
    << ",\"prefetch_depth\":" << plan.prefetch_depth << ",\"bytes_read_per_run\":" << plan.bytes_read_per_run
    << ",\"weight_bytes\":" << total_piece_bytes(in) << ",\"predicted_latency_ms\":" << p.latency_ms
    << ",\"t_star_ms\":" << p.t_star_ms << ",\"load_ms\":" << p.load_ms << ",\"compute_ms\":" << p.compute_ms
    << ",\"eta\":" << p.eta << ",\"in_memory_ms\":" << in_memory_ms(in) << ",\"resident\":[";
  for (size_t i = 0; i < plan.resident.size(); ++i) o << (i ? "," : "") << plan.resident[i];
  o << "],\"blocks\":[";
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    o << (b ? "," : "") << "{\"pieces\":[";
    for (size_t i = 0; i < plan.blocks[b].pieces.size(); ++i) o << (i ? "," : "") << plan.blocks[b].pieces[i];
    o << "],\"bytes\":" << plan.blocks[b].bytes << ",\"read_ms\":" << p.block_load_ms[b]
      << ",\"compute_ms\":" << p.block_compute_ms[b] << "}";
  }
  o << "]}\n";
  return o.str();
}

std::string sweep_table(const PlanInput& in, const std::vector<Plan>& curve) {
  std::ostringstream o;
  o << "cost model: " << in.cost_source << "\n";
  o << "      budget        peak   latency_ms      T*_ms    read/run    eta  depth  blocks  resident\n";
  for (const Plan& p : curve) {
    char line[256];
    std::snprintf(line, sizeof line, "  %10s  %10s  %11.3f  %9.3f  %10s  %5.3f  %5d  %6zu  %s\n",
                  format_size(p.budget_bytes).c_str(), format_size(p.predicted_peak_bytes).c_str(),
                  p.predicted.latency_ms, p.predicted.t_star_ms, format_size(p.bytes_read_per_run).c_str(),
                  p.predicted.eta, p.prefetch_depth, p.blocks.size(),
                  p.all_resident ? "all" : format_size(p.resident_bytes).c_str());
    o << line;
  }
  return o.str();
}

std::string sweep_json(const PlanInput& in, const std::vector<Plan>& curve) {
  std::string r = "{\"model\":" + jstr(in.model) + ",\"in_memory_ms\":" + fmt("%.6g", in_memory_ms(in)) +
                  ",\"serial_all_ms\":" + fmt("%.6g", serial_all_ms(in)) + ",\"plans\":[";
  for (size_t i = 0; i < curve.size(); ++i) {
    std::string j = plan_report_json(in, curve[i]);
    j.pop_back();  // newline
    r += (i ? "," : "") + j;
  }
  return r + "]}\n";
}

std::string sweep_svg(const PlanInput& in, const std::vector<Plan>& curve, const std::vector<const Plan*>& chosen) {
  const double W = 820, H = 520, L = 90, R = 30, T = 50, B = 70;
  const double mib = 1048576.0;
  double xmax = 0, ymax = 0;
  const double t_mem = in_memory_ms(in), t_serial = serial_all_ms(in);
  for (const Plan& p : curve) {
    xmax = std::max(xmax, p.predicted_peak_bytes / mib);
    ymax = std::max(ymax, p.predicted.latency_ms);
  }
  ymax = std::max({ymax, t_serial, t_mem});
  xmax = std::max(xmax, 1.0) * 1.05;
  if (ymax <= 0) ymax = 1;
  // The latency axis starts a little below the in-memory latency (said on the axis title).
  const double ys = tick_step(ymax - 0.9 * t_mem, 6);
  double ymin = std::max(0.0, std::floor(0.9 * t_mem / ys) * ys);
  ymax = ymax + 0.08 * (ymax - ymin);
  if (ymax <= ymin) ymax = ymin + 1;
  auto X = [&](double v) { return L + v / xmax * (W - L - R); };
  auto Y = [&](double v) { return H - B - (v - ymin) / (ymax - ymin) * (H - T - B); };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << W / 2 << "\" y=\"24\" text-anchor=\"middle\" font-size=\"16\">" << esc(in.model)
    << ": predicted latency vs peak managed memory</text>\n";
  const double xs = tick_step(xmax, 8);
  for (double v = 0; v <= xmax + 1e-9; v += xs) {
    o << "<line x1=\"" << X(v) << "\" y1=\"" << T << "\" x2=\"" << X(v) << "\" y2=\"" << H - B
      << "\" stroke=\"#eee\"/><text x=\"" << X(v) << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">"
      << fmt("%g", v) << "</text>\n";
  }
  for (double v = ymin; v <= ymax + 1e-9; v += ys) {
    o << "<line x1=\"" << L << "\" y1=\"" << Y(v) << "\" x2=\"" << W - R << "\" y2=\"" << Y(v)
      << "\" stroke=\"#eee\"/><text x=\"" << L - 8 << "\" y=\"" << Y(v) + 4 << "\" text-anchor=\"end\">"
      << fmt("%g", v) << "</text>\n";
  }
  o << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - R << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
  o << "<line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
  o << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 25
    << "\" text-anchor=\"middle\">peak managed memory (MiB)</text>\n";
  o << "<text transform=\"translate(24," << (T + H - B) / 2
    << ") rotate(-90)\" text-anchor=\"middle\">predicted latency per run (ms)"
    << (ymin > 0 ? ", axis from " + fmt("%g", ymin) : std::string()) << "</text>\n";
  auto hline = [&](double v, const char* color, const std::string& label) {
    o << "<line x1=\"" << L << "\" y1=\"" << Y(v) << "\" x2=\"" << W - R << "\" y2=\"" << Y(v) << "\" stroke=\"" << color
      << "\" stroke-dasharray=\"6,4\"/><text x=\"" << W - R - 4 << "\" y=\"" << Y(v) - 5 << "\" text-anchor=\"end\" fill=\""
      << color << "\">" << esc(label) << "</text>\n";
  };
  hline(t_mem, "#2a7", "in memory: " + fmt("%.1f", t_mem) + " ms");
  hline(t_serial, "#c33", "serial streaming (load, then compute): " + fmt("%.1f", t_serial) + " ms");
  o << "<polyline fill=\"none\" stroke=\"#36c\" stroke-width=\"2\" points=\"";
  for (const Plan& p : curve) o << X(p.predicted_peak_bytes / mib) << "," << Y(p.predicted.latency_ms) << " ";
  o << "\"/>\n";
  for (const Plan& p : curve) {
    o << "<circle cx=\"" << X(p.predicted_peak_bytes / mib) << "\" cy=\"" << Y(p.predicted.latency_ms)
      << "\" r=\"3\" fill=\"#36c\"/>\n";
  }
  for (const Plan* p : chosen) {
    if (!p) continue;
    const double x = X(p->predicted_peak_bytes / mib), y = Y(p->predicted.latency_ms);
    const double ly = y - 12 < T + 40 ? y + 24 : y - 12;
    o << "<circle cx=\"" << x << "\" cy=\"" << y << "\" r=\"7\" fill=\"none\" stroke=\"#e80\" stroke-width=\"2.5\"/>"
      << "<text x=\"" << x + 10 << "\" y=\"" << ly << "\" fill=\"#b60\">chosen: " << esc(format_size(p->predicted_peak_bytes))
      << ", " << fmt("%.1f", p->predicted.latency_ms) << " ms</text>\n";
  }
  o << "<text x=\"" << L << "\" y=\"" << H - 6 << "\" fill=\"#555\" font-size=\"11\">cost model: "
    << esc(in.cost_source) << "</text>\n</svg>\n";
  return o.str();
}

std::string timeline_svg(const PlanInput& in, const Plan& plan) {
  const Prediction& p = plan.predicted;
  const double W = 1000, L = 110, R = 30, T = 50, lane = 50, H = T + 2 * lane + 90;
  const double tmax = std::max(p.latency_ms, 1e-6) * 1.02;
  auto X = [&](double v) { return L + v / tmax * (W - L - R); };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  o << "<text x=\"" << W / 2 << "\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">" << esc(in.model)
    << ": predicted timeline, peak " << esc(format_size(plan.predicted_peak_bytes)) << ", depth " << plan.prefetch_depth
    << ", " << plan.blocks.size() << " blocks, " << fmt("%.2f", p.latency_ms) << " ms</text>\n";
  o << "<text x=\"" << L - 8 << "\" y=\"" << T + lane / 2 + 4 << "\" text-anchor=\"end\">reads</text>\n";
  o << "<text x=\"" << L - 8 << "\" y=\"" << T + lane * 1.5 + 4 << "\" text-anchor=\"end\">compute</text>\n";
  const char* colors[] = {"#4a90d9", "#7fb3e6"};
  const char* ccolors[] = {"#e8923a", "#f2bb7f"};
  auto rect = [&](double a, double b, double y, const char* c, size_t idx) {
    o << "<rect x=\"" << X(a) << "\" y=\"" << y << "\" width=\"" << std::max(X(b) - X(a), 0.5) << "\" height=\""
      << lane - 10 << "\" fill=\"" << c << "\" stroke=\"#333\" stroke-width=\"0.3\"><title>block " << idx << ": "
      << fmt("%.3f", a) << "-" << fmt("%.3f", b) << " ms</title></rect>\n";
  };
  if (plan.blocks.empty()) {
    rect(0, p.latency_ms, T + lane, ccolors[0], 0);
  }
  for (size_t b = 0; b < plan.blocks.size(); ++b) {
    rect(p.read_start_ms[b], p.read_end_ms[b], T + 5, colors[b % 2], b);
    rect(p.compute_start_ms[b], p.compute_end_ms[b], T + lane + 5, ccolors[b % 2], b);
    if (X(p.compute_end_ms[b]) - X(p.compute_start_ms[b]) > 18) {
      o << "<text x=\"" << (X(p.compute_start_ms[b]) + X(p.compute_end_ms[b])) / 2 << "\" y=\"" << T + lane * 1.5 + 4
        << "\" text-anchor=\"middle\" font-size=\"10\">" << b << "</text>\n";
    }
  }
  const double ya = T + 2 * lane + 5;
  o << "<line x1=\"" << L << "\" y1=\"" << ya << "\" x2=\"" << W - R << "\" y2=\"" << ya << "\" stroke=\"black\"/>\n";
  const double s = tick_step(tmax, 10);
  for (double v = 0; v <= tmax + 1e-9; v += s) {
    o << "<line x1=\"" << X(v) << "\" y1=\"" << ya << "\" x2=\"" << X(v) << "\" y2=\"" << ya + 5
      << "\" stroke=\"black\"/><text x=\"" << X(v) << "\" y=\"" << ya + 19 << "\" text-anchor=\"middle\">"
      << fmt("%g", v) << "</text>\n";
  }
  o << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << ya + 40 << "\" text-anchor=\"middle\">time since the run started (ms); "
    << "L " << fmt("%.2f", p.load_ms) << " ms, C " << fmt("%.2f", p.compute_ms) << " ms, eta " << fmt("%.3f", p.eta)
    << "</text>\n</svg>\n";
  return o.str();
}

}  // namespace deepshark
