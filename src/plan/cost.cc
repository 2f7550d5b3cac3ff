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

double simulate_pipeline(const std::vector<double>& load, const std::vector<double>& compute, size_t slots,
                         double compute_factor, double cold_read_factor, double cutoff, Prediction* timeline) {
  const size_t nb = load.size();
  slots = std::max<size_t>(slots, 1);
  double read_left = 0, compute_left = 0;  // work (time alone) not yet done
  for (size_t b = 0; b < nb; ++b) {
    read_left += load[b];
    compute_left += compute[b];
  }
  if (timeline) {
    timeline->read_start_ms.assign(nb, 0);
    timeline->read_end_ms.assign(nb, 0);
    timeline->compute_start_ms.assign(nb, 0);
    timeline->compute_end_ms.assign(nb, 0);
  }
  const double limit = cutoff + 1e-9;
  double t = 0;
  size_t next_read = 0, reads_done = 0, next_compute = 0;
  bool reading = false, computing = false;
  double r_rem = 0, c_rem = 0;  // work left in the current read / compute
  double last_read_end = -1;    // the storage idles after it until the next read starts
  bool read_cold = false;       // the current read started on idle storage
  // The work left is counted at the warm rate: a lower bound whatever reads turn out cold.
  cold_read_factor = std::max(cold_read_factor, 1.0);
  // Block b may be read once block b - slots has computed (its slot is free then).
  auto can_read = [&](size_t b) { return b < nb && (b < slots || next_compute > b - slots); };
  while (next_compute < nb) {
    if (!reading && can_read(next_read)) {
      reading = true;
      read_cold = last_read_end < 0 || t > last_read_end + 1e-9;
      r_rem = load[next_read] * (read_cold ? cold_read_factor : 1.0);
      if (timeline) timeline->read_start_ms[next_read] = t;
    }
    if (!computing && next_compute < reads_done) {
      computing = true;
      c_rem = compute[next_compute];
      if (timeline) timeline->compute_start_ms[next_compute] = t;
    }
    // Each channel runs at full speed alone; kernels slow down while a read runs beside them.
    const double cs = reading && computing ? 1.0 / compute_factor : 1.0;
    const double dr = reading ? r_rem : INFINITY, dc = computing ? c_rem / cs : INFINITY;
    const double dt = std::min(dr, dc);
    if (!(dt < INFINITY)) break;  // nothing can run (cannot happen for slots >= 1)
    t += dt;
    if (reading) {
      const double done = dr <= dc ? r_rem : dt;
      r_rem -= done;
      read_left -= read_cold ? done / cold_read_factor : done;
    }
    if (computing) {
      const double done = dc <= dr ? c_rem : dt * cs;
      c_rem -= done;
      compute_left -= done;
    }
    if (reading && dr <= dc) {
      reading = false;
      last_read_end = t;
      if (timeline) timeline->read_end_ms[next_read] = t;
      ++next_read;
      ++reads_done;
    }
    if (computing && dc <= dr) {
      computing = false;
      if (timeline) timeline->compute_end_ms[next_compute] = t;
      ++next_compute;
      // Nothing finishes before the work left on either channel is done at full speed.
      const double bound = t + std::max(std::max(read_left, 0.0), std::max(compute_left, 0.0));
      if (bound > limit) return bound;
    }
  }
  return t;
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
    p.block_compute_ms.push_back(nodes_ms(in, block_first_step(in, plan, b), block_end_step(in, plan, b)));
    p.load_ms += l;
  }
  // T* = max over k of (L_1 + ... + L_k + C_k + ... + C_n), with the times alone.
  double suffix = 0;
  std::vector<double> suffix_c(nb + 1, 0);
  for (size_t b = nb; b-- > 0;) suffix_c[b] = suffix += p.block_compute_ms[b];
  double prefix = 0;
  for (size_t k = 0; k < nb; ++k) {
    prefix += p.block_load_ms[k];
    p.t_star_ms = std::max(p.t_star_ms, prefix + suffix_c[k]);
  }
  // The pipeline as BlockStreamSession::run drives it.
  p.latency_ms = simulate_pipeline(p.block_load_ms, p.block_compute_ms, static_cast<size_t>(std::max(plan.ring_slots, 1)),
                                   in.stream_compute_factor, in.cold_read_factor, INFINITY, &p);
  p.serial_ms = p.load_ms + p.compute_ms;
  p.eta = p.latency_ms > 0 ? std::max(p.load_ms, p.compute_ms) / p.latency_ms : 0;
  return p;
}

}  // namespace deepshark
