// The cost model of a plan: per piece load time l_i = latency + bytes / bandwidth (IoCost), per
// block compute c_b = the nodes it runs (from its first piece's node up to the next block's first
// node; the first block also runs every node before it, the last every node after), and a
// simulation of the pipeline exactly as the block stream runs it: a ring of depth + 1 slots, one
// reader thread in FIFO order, block b + depth + 1 submitted when block b has computed. The reader
// and the kernels share the cores: while a read runs beside it, a compute proceeds at
// 1 / stream_compute_factor of its speed alone (measured by `deepshark profile --model`); alone it
// runs at full speed (load then compute, prefetch depth 0, never overlaps). A read costs the
// loader's calibrated rate (plan/device_profile.h) when it follows the previous read at once, and
// cold_read_factor times that when the storage was idle before it (the first read, every read of
// a depth-0 plan, a read that waited for a ring slot).
//
//   ds::Prediction p = ds::predict_plan(input, plan);     // latency, T*, L, C, eta, per-block times
//   double t = ds::in_memory_ms(input);                   // C: the everything-resident latency
#pragma once

#include <cmath>
#include <vector>

#include "plan/plan.h"

namespace deepshark {

// Sum of node_ms.
double in_memory_ms(const PlanInput& input);

// Compute time of nodes [begin, end) (clamped to node_ms).
double nodes_ms(const PlanInput& input, int begin, int end);

// The step at which block b starts running (0 for the first block) and ends (next block's start,
// or the node count). node_count: node_ms.size(), or one past the last piece's node when empty.
int block_first_step(const PlanInput& input, const Plan& plan, size_t b);
int block_end_step(const PlanInput& input, const Plan& plan, size_t b);

// Simulates one run of the plan (see above). Pure and O(pieces + nodes).
Prediction predict_plan(const PlanInput& input, const Plan& plan);

// The pipeline simulation itself, over per-block read and compute times (alone): returns the
// latency. Stops early once a lower bound on the latency exceeds `cutoff` and returns that bound
// (> cutoff). Fills the timeline when given (read / compute start and end per block).
double simulate_pipeline(const std::vector<double>& load, const std::vector<double>& compute, size_t slots,
                         double compute_factor, double cold_read_factor, double cutoff = INFINITY,
                         Prediction* timeline = nullptr);

}  // namespace deepshark
