#include "plan/cost.h"

#include <algorithm>

namespace deepshark {

namespace {
int node_count(const PlanInput& in) {
  if (!in.node_ms.empty()) return static_cast<int>(in.node_ms.size());
  return in.pieces.empty() ? 0 : in.pieces.back().node + 1;
}
}  // namespace

double in_memory_ms(const PlanInput& in) {
  double t = 0;
  for (double v : in.node_ms) t += v;
  return t;
}

double nodes_ms(const PlanInput& in, int begin, int end) {
  double t = 0;
  end = std::min<int>(end, static_cast<int>(in.node_ms.size()));
  for (int i = std::max(begin, 0); i < end; ++i) t += in.node_ms[i];
  return t;
}

int block_first_step(const PlanInput& in, const Plan& plan, size_t b) {
  return b == 0 ? 0 : in.pieces[plan.blocks[b].pieces.front()].node;
}

int block_end_step(const PlanInput& in, const Plan& plan, size_t b) {
  return b + 1 < plan.blocks.size() ? in.pieces[plan.blocks[b + 1].pieces.front()].node : node_count(in);
}

Prediction predict_plan(const PlanInput& in, const Plan& plan) {
  Prediction p;
  p.compute_ms = in_memory_ms(in);
  const size_t nb = plan.blocks.size();
  if (nb == 0) {
    p.latency_ms = p.t_star_ms = p.serial_ms = p.compute_ms;
    p.eta = p.latency_ms > 0 ? 1.0 : 0.0;
    return p;
  }
  for (size_t b = 0; b < nb; ++b) {
    double l = 0;
    for (int i : plan.blocks[b].pieces) l += in.io.load_ms(aligned_piece_bytes(in.pieces[i].bytes));
    p.block_load_ms.push_back(l);
    p.block_compute_ms.push_back(in.stream_compute_factor *
                                 nodes_ms(in, block_first_step(in, plan, b), block_end_step(in, plan, b)));
    p.load_ms += l;
  }
  p.compute_ms *= in.stream_compute_factor;  // kernels share the cores with the loader
  // T* = max over k of (L_1 + ... + L_k + C_k + ... + C_n).
  double suffix = 0;
  std::vector<double> suffix_c(nb + 1, 0);
  for (size_t b = nb; b-- > 0;) suffix_c[b] = suffix += p.block_compute_ms[b];
  double prefix = 0;
  for (size_t k = 0; k < nb; ++k) {
    prefix += p.block_load_ms[k];
    p.t_star_ms = std::max(p.t_star_ms, prefix + suffix_c[k]);
  }
  // The pipeline as BlockStreamSession::run drives it.
  const size_t slots = static_cast<size_t>(std::max(plan.ring_slots, 1));
  std::vector<double> submit(nb, 0.0);
  p.read_start_ms.resize(nb);
  p.read_end_ms.resize(nb);
  p.compute_start_ms.resize(nb);
  p.compute_end_ms.resize(nb);
  double reader_free = 0, compute_free = 0;
  for (size_t b = 0; b < nb; ++b) {
    p.read_start_ms[b] = std::max(reader_free, submit[b]);
    p.read_end_ms[b] = reader_free = p.read_start_ms[b] + p.block_load_ms[b];
    p.compute_start_ms[b] = std::max(compute_free, p.read_end_ms[b]);
    p.compute_end_ms[b] = compute_free = p.compute_start_ms[b] + p.block_compute_ms[b];
    if (b + slots < nb) submit[b + slots] = p.compute_end_ms[b];
  }
  p.latency_ms = compute_free;
  p.serial_ms = p.load_ms + p.compute_ms;
  p.eta = p.latency_ms > 0 ? std::max(p.load_ms, p.compute_ms) / p.latency_ms : 0;
  return p;
}

}  // namespace deepshark
