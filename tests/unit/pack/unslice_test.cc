// Putting pack's slices back together (transform/unslice.h) and the block stream's whole-node runs:
// when a plan keeps every piece resident, each sliced node runs whole on its slices' weights
// joined into the unsliced kernel's layout, with the in-memory run's bits; plans that stream run
// the slices again.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <map>

#include "format/dsk_file.h"
#include "pack/pack.h"
#include "pack/slice.h"
#include "runtime/block_stream.h"
#include "runtime/executor.h"
#include "support/small_model.h"
#include "support/test_support.h"
#include "transform/prepare.h"
#include "transform/unslice.h"

namespace deepshark::testing {
namespace {

int find_node(const Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

TEST(Unslice, PutsEverySlicedNodeBackTogether) {
  const Graph original = prepared_small_model();
  Graph sliced = prepared_small_model();
  auto report = slice_graph(sliced, 5 << 10);
  ASSERT_TRUE(report.ok()) << report.status().message();
  ASSERT_GE(report->nodes.size(), 3u);
  ASSERT_GT(sliced.nodes.size(), original.nodes.size());

  auto u = unslice_graph(sliced);
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->groups.size(), report->nodes.size());
  ASSERT_EQ(u->graph.nodes.size(), original.nodes.size());
  for (size_t i = 0; i < original.nodes.size(); ++i) {
    const Node& a = original.nodes[i];
    const Node& b = u->graph.nodes[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.op, b.op) << a.name;
    ASSERT_EQ(a.inputs.size(), b.inputs.size()) << a.name;
    EXPECT_EQ(a.outputs, b.outputs) << a.name;
    for (size_t k = 0; k < a.inputs.size(); ++k) {
      if (a.inputs[k] == kNoValue) {
        EXPECT_EQ(b.inputs[k], kNoValue);
        continue;
      }
      const Value& va = original.value(a.inputs[k]);
      const Value& vb = u->graph.value(b.inputs[k]);
      EXPECT_EQ(va.shape, vb.shape) << a.name << " input " << k;
      ASSERT_EQ(va.is_constant(), vb.is_constant()) << a.name << " input " << k;
      if (va.is_constant()) {
        ASSERT_TRUE(vb.constant->has_data());
        ASSERT_EQ(va.constant->bytes(), vb.constant->bytes());
        EXPECT_EQ(std::memcmp(va.constant->raw(), vb.constant->raw(), va.constant->bytes()), 0)
            << a.name << " input " << k << ": the joined weight differs from the unsliced one";
      } else {
        EXPECT_EQ(a.inputs[k], b.inputs[k]) << a.name << " input " << k;
      }
    }
  }
  // node_of: every slice maps to its whole node, other nodes to themselves.
  for (const UnslicedGroup& grp : u->groups) {
    for (int s : grp.slices) {
      EXPECT_EQ(u->node_of[s], grp.node);
      EXPECT_EQ(sliced.nodes[s].name.rfind(u->graph.nodes[grp.node].name + "#s", 0), 0u) << sliced.nodes[s].name;
    }
  }
  Tensor x = random_tensor({1, 8, 12, 12}, 5, 1.0f);
  std::vector<Tensor> ref = run_in_memory(prepared_small_model(), x);
  std::vector<Tensor> out = run_in_memory(std::move(u->graph), x);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(ref.size(), 1u);
  EXPECT_TRUE(bit_identical(out[0].view(), ref[0].view()));

  // Groups named in keep_sliced stay sliced.
  auto kept = unslice_graph(sliced, {"conv2"});
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(kept->groups.size(), report->nodes.size() - 1);
  EXPECT_EQ(find_node(kept->graph, "conv2"), -1);
  EXPECT_GE(find_node(kept->graph, "conv2#s0"), 0);
  EXPECT_GE(find_node(kept->graph, "conv2#concat"), 0);
}

TEST(Unslice, LeavesGroupsThatAreNotPacksShapeSliced) {
  Graph sliced = prepared_small_model();
  auto report = slice_graph(sliced, 5 << 10);
  ASSERT_TRUE(report.ok()) << report.status().message();
  const size_t groups = report->nodes.size();
  // Another node also reads conv2's first slice: dropping the slice would lose that value.
  const int s0 = find_node(sliced, "conv2#s0");
  ASSERT_GE(s0, 0);
  const ValueId part = sliced.nodes[s0].outputs[0];
  ValueId extra = sliced.add_value("extra", DType::F32, sliced.value(part).shape, true);
  sliced.add_node(OpType::Relu, "reads_a_slice", {part}, {extra});
  sliced.outputs.push_back(extra);
  ASSERT_TRUE(sliced.verify().ok());
  auto u = unslice_graph(sliced);
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ(u->groups.size(), groups - 1);
  EXPECT_GE(find_node(u->graph, "conv2#s0"), 0);
  EXPECT_TRUE(u->graph.verify().ok());

  // Slices whose attributes differ are not one node.
  Graph odd = prepared_small_model();
  ASSERT_TRUE(slice_graph(odd, 5 << 10).ok());
  const int s1 = find_node(odd, "conv2#s1");
  ASSERT_GE(s1, 0);
  odd.nodes[s1].attrs.set_int("ds.marker", 1);
  auto v = unslice_graph(odd);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->groups.size(), groups - 1);
  EXPECT_EQ(find_node(v->graph, "conv2"), -1);

  // Slices whose biases cannot be joined (another rank) are not one node either, and the weight
  // joined before the bias was tried is not left behind in the graph.
  Graph bias = prepared_small_model();
  ASSERT_TRUE(slice_graph(bias, 5 << 10).ok());
  const int b1 = find_node(bias, "conv2#s1");
  ASSERT_GE(b1, 0);
  const Shape bs = bias.value(bias.nodes[b1].inputs[2]).shape;
  bias.nodes[b1].inputs[2] = bias.add_constant("odd_bias", random_tensor({1, bs[0]}, 3));
  auto w = unslice_graph(bias);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->groups.size(), groups - 1);
  EXPECT_EQ(find_node(w->graph, "conv2"), -1);
  std::string joined = bias.value(bias.nodes[b1].inputs[1]).name;
  joined = joined.substr(0, joined.rfind("#s"));
  // (the sliced graph keeps the unsliced weight's value, without its data)
  for (const Value& val : w->graph.values) {
    EXPECT_FALSE(val.name == joined && val.is_constant()) << "a joined weight of conv2 was left in the graph";
  }
}

class WholeNodes : public ::testing::Test {
 protected:
  void SetUp() override {
    auto packed = pack_small_model("whole_nodes", 5 << 10, &path_);
    ASSERT_TRUE(packed.ok()) << packed.status().message();
    groups_ = static_cast<int>(packed->slicing.nodes.size());
    ASSERT_GE(groups_, 3);
    x_ = random_tensor({1, 8, 12, 12}, 31, 1.0f);
    ref_ = run_in_memory(prepared_small_model(), x_);
    ASSERT_EQ(ref_.size(), 1u);
  }
  void TearDown() override { std::remove(path_.c_str()); }

  void expect_in_memory_bits(BlockStreamSession& s, const std::string& what) {
    TensorView in = x_.view();
    auto out = s.run({&in, 1});
    ASSERT_TRUE(out.ok()) << what << ": " << out.status().message();
    ASSERT_EQ(out->size(), 1u);
    EXPECT_TRUE(bit_identical((*out)[0].view(), ref_[0].view()))
        << what << ": max diff " << max_abs_diff((*out)[0].view(), ref_[0].view());
  }

  std::string path_;
  int groups_ = 0;
  Tensor x_;
  std::vector<Tensor> ref_;
};

TEST_F(WholeNodes, ThePieceTableRecordsEachSlicesOutputChannels) {
  auto f = format::DskFile::open(path_);
  ASSERT_TRUE(f.ok()) << f.status().message();
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> ranges;
  for (const format::PieceEntry& e : f->pieces()) {
    const std::string& name = f->graph().nodes[e.node].name;
    const size_t hash = name.find("#s");
    if (hash == std::string::npos) {
      EXPECT_FALSE(e.sliced()) << name;
      continue;
    }
    ASSERT_TRUE(e.sliced()) << name;
    ranges[name.substr(0, hash)].push_back({e.slice_begin, e.slice_end});
  }
  ASSERT_EQ(static_cast<int>(ranges.size()), groups_);
  const std::map<std::string, uint64_t> channels = {{"conv1", 64}, {"conv2", 96}, {"conv3", 96}, {"fc1", 300}, {"fc2", 50}};
  for (const auto& [node, r] : ranges) {
    ASSERT_TRUE(channels.count(node)) << node;
    uint64_t at = 0;
    for (const auto& [b, e] : r) {
      EXPECT_EQ(b, at) << node;
      EXPECT_GT(e, b) << node;
      at = e;
    }
    EXPECT_EQ(at, channels.at(node)) << node;
  }
}

TEST_F(WholeNodes, AllResidentPlansRunSlicedNodesWholeAndStreamingPlansRunSlices) {
  StreamOptions so;
  so.threads = 2;
  auto s = BlockStreamSession::open(path_, so);
  ASSERT_TRUE(s.ok()) << s.status().message();
  BlockStreamSession& ss = **s;
  ASSERT_TRUE(ss.plan().all_resident);
  expect_in_memory_bits(ss, "all resident");
  EXPECT_EQ(ss.last_report().unsliced_nodes, groups_) << ss.unslice_note();
  EXPECT_EQ(ss.unslice_note(), "");
  EXPECT_TRUE(ss.node_times_ms().empty());  // no per-slice times to give the planner
  const uint64_t whole_peak = ss.plan().predicted_peak_bytes;

  // A budget that streams: the slices run again, read from the file.
  Requirement half;
  half.memory_budget_bytes = ss.plan().fixed_bytes + ss.weight_bytes() / 2;
  ASSERT_TRUE(ss.replan(half).ok());
  ASSERT_FALSE(ss.plan().all_resident);
  expect_in_memory_bits(ss, "half the weights");
  EXPECT_EQ(ss.last_report().unsliced_nodes, 0);
  EXPECT_GT(ss.last_report().bytes_read, 0u);
  EXPECT_LE(ss.peak_managed_bytes(), half.memory_budget_bytes);
  EXPECT_EQ(ss.node_times_ms().size(), ss.graph().nodes.size());

  // Back to everything resident, with room to join: whole nodes again.
  Requirement all;
  all.memory_budget_bytes = whole_peak + (uint64_t{4} << 20);
  ASSERT_TRUE(ss.replan(all).ok());
  expect_in_memory_bits(ss, "all resident again");
  EXPECT_EQ(ss.last_report().unsliced_nodes, groups_) << ss.unslice_note();
  EXPECT_EQ(ss.last_report().bytes_read, 0u);
  EXPECT_LE(ss.peak_managed_bytes(), all.memory_budget_bytes);

  // Without unslice_resident the slices run.
  so.unslice_resident = false;
  auto t = BlockStreamSession::open(path_, so);
  ASSERT_TRUE(t.ok()) << t.status().message();
  expect_in_memory_bits(**t, "all resident, slices");
  EXPECT_EQ((*t)->last_report().unsliced_nodes, 0);
}

TEST_F(WholeNodes, ThePlanForeseesTheMemoryOfWholeNodesAndRunsThemWhereItFits) {
  StreamOptions so;
  so.threads = 2;
  uint64_t whole_peak = 0, sliced_peak = 0;
  {
    auto probe = BlockStreamSession::open(path_, so);
    ASSERT_TRUE(probe.ok()) << probe.status().message();
    const PlanInput& in = (*probe)->plan_input();
    whole_peak = in.whole_nodes_peak_bytes;
    sliced_peak = in.fixed_bytes + total_piece_bytes(in);
    EXPECT_TRUE((*probe)->plan().whole_nodes);
    EXPECT_EQ((*probe)->plan().predicted_peak_bytes, whole_peak);
  }
  // With this machine's layouts the joined weights need staging copies (a slice range the
  // kernel's layout cannot address), in idle memory or in a later node's joined weight, and the
  // whole form needs more than the slices; with forced blocked layouts (the layout test variants)
  // it may need less. At the whole form's predicted peak every sliced node runs whole and the
  // run's peak is the prediction; under it, down to the sliced form's peak, everything stays
  // resident and the slices run at their predicted peak, with a note saying what running whole
  // needs; under both, the model streams.
  for (uint64_t budget : {whole_peak, whole_peak - 1, sliced_peak, sliced_peak - 1}) {
    so.requirement.memory_budget_bytes = budget;
    auto s = BlockStreamSession::open(path_, so);
    ASSERT_TRUE(s.ok()) << s.status().message();
    const Plan& plan = (*s)->plan();
    expect_in_memory_bits(**s, "budget " + std::to_string(budget));
    EXPECT_LE((*s)->peak_managed_bytes(), budget);
    const bool whole = budget >= whole_peak;
    EXPECT_EQ(plan.all_resident, budget >= std::min(whole_peak, sliced_peak)) << budget;
    if (!plan.all_resident) continue;
    EXPECT_EQ(plan.whole_nodes, whole) << budget;
    EXPECT_EQ(plan.predicted_peak_bytes, whole ? whole_peak : sliced_peak) << budget;
    EXPECT_EQ((*s)->peak_managed_bytes(), plan.predicted_peak_bytes) << budget;
    EXPECT_EQ((*s)->last_report().unsliced_nodes, whole ? groups_ : 0) << (*s)->unslice_note();
    if (whole) {
      EXPECT_EQ((*s)->unslice_note(), "");
    } else {
      EXPECT_NE((*s)->unslice_note().find("running them whole needs"), std::string::npos) << (*s)->unslice_note();
    }
  }
  // One byte under both forms: the model streams.
  so.requirement.memory_budget_bytes = std::min(whole_peak, sliced_peak) - 1;
  auto streamed = BlockStreamSession::open(path_, so);
  ASSERT_TRUE(streamed.ok()) << streamed.status().message();
  EXPECT_FALSE((*streamed)->plan().all_resident);
  expect_in_memory_bits(**streamed, "streamed");

  // From that streaming plan (some pieces resident) to the whole form's budget: the resident
  // slices cannot stay beside the joined weights, so they go and are read again; the peak is the
  // prediction, not more.
  Requirement all;
  all.memory_budget_bytes = whole_peak;
  ASSERT_TRUE((*streamed)->replan(all).ok());
  ASSERT_TRUE((*streamed)->plan().whole_nodes);
  expect_in_memory_bits(**streamed, "streamed, then whole");
  EXPECT_EQ((*streamed)->last_report().unsliced_nodes, groups_) << (*streamed)->unslice_note();
  EXPECT_LE((*streamed)->peak_managed_bytes(), whole_peak);
}

}  // namespace
}  // namespace deepshark::testing
