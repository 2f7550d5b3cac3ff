// GraphDef -> Graph. Order of work: parse, check names, resolve inputs, sort the TF nodes
// topologically (layout decisions need every input converted first), convert each node through
// the DS_TF_OPS table, pick and convert the outputs back to the model's layout, sort, verify.
#include "import/tf/tf_importer.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "base/file.h"
#include "import/tf/tf_graph.pb.h"
#include "import/tf/tf_ops.h"
#include "import/tf/tf_tensor.h"

namespace deepshark {

namespace {

using namespace tf_import;

constexpr uint64_t kMaxProtoBytes = (uint64_t{1} << 31) - 1;

using ConvertFn = Status (*)(Converter&);

const std::unordered_map<std::string, ConvertFn>& op_table() {
  static const std::unordered_map<std::string, ConvertFn> table = {
#define DS_X(op, fn) {#op, &fn},
      DS_TF_OPS(DS_X)
#undef DS_X
  };
  return table;
}

Status invalid_node(const std::string& name, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", "node", name, reason);
}

Result<std::string> read_limited(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error(ErrorCode::IOError, "read", "model", path, std::strerror(errno));
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxProtoBytes) {
    return make_error(ErrorCode::Unsupported, "read", "model", path,
                      "file is too large for a protobuf message " +
                          expected_got("<= " + std::to_string(kMaxProtoBytes) + " bytes", std::to_string(st.st_size)));
  }
  return read_file(path, kMaxProtoBytes);
}

Result<tf::GraphDef> parse(const std::string& bytes) {
  tf::GraphDef gd;
  if (bytes.size() > kMaxProtoBytes) {
    return Status(ErrorCode::Unsupported, "too large for a protobuf message " +
                                              expected_got("<= " + std::to_string(kMaxProtoBytes) + " bytes", std::to_string(bytes.size())));
  }
  if (bytes.empty() || !gd.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status(ErrorCode::InvalidModel, "not a valid TensorFlow GraphDef (protobuf parse failed)");
  }
  return gd;
}

class Importer {
 public:
  Importer(const tf::GraphDef& gd, const TfImportOptions& o) : gd_(gd), options_(o) { c_.splat_budget = kMaxSplatBytes; }

  Result<Graph> run() {
    if (gd_.node_size() == 0) return Status(ErrorCode::InvalidModel, "the graph has no nodes");
    DS_RETURN_IF_ERROR(index_nodes());
    DS_TRY(std::vector<int> order, sort_nodes());
    DS_TRY(std::vector<std::string> outputs, pick_outputs());
    for (int i : order) {
      const tf::NodeDef& n = gd_.node(i);
      auto it = op_table().find(n.op());
      if (it == op_table().end()) {
        return make_error(ErrorCode::Unsupported, "import", "node", n.name(), "unsupported op type '" + n.op() + "'");
      }
      c_.begin_node(n);
      DS_RETURN_IF_ERROR(it->second(c_));
    }
    for (const std::string& o : outputs) DS_RETURN_IF_ERROR(add_output(o));
    if (c_.g.outputs.empty()) return Status(ErrorCode::InvalidModel, "the graph has no outputs");
    DS_RETURN_IF_ERROR(c_.g.topo_sort());
    DS_RETURN_IF_ERROR(c_.g.verify());
    return std::move(c_.g);
  }

 private:
  const tf::GraphDef& gd_;
  const TfImportOptions& options_;
  Converter c_;
  std::unordered_map<std::string, int> index_;
  std::unordered_set<std::string> consumed_;  // node names some node reads data from

  Status index_nodes() {
    for (int i = 0; i < gd_.node_size(); ++i) {
      const tf::NodeDef& n = gd_.node(i);
      if (n.name().empty()) return invalid_node("", "node " + std::to_string(i) + " has no name");
      if (!index_.emplace(n.name(), i).second) return invalid_node(n.name(), "the name is used by more than one node");
      c_.reserve_name(n.name());
    }
    for (const tf::NodeDef& n : gd_.node()) {
      for (const std::string& in : n.input()) {
        const std::string src = input_node_name(in);
        if (!index_.count(src)) return invalid_node(n.name(), "input '" + in + "' names no node in the graph");
        if (!in.empty() && in[0] != '^') consumed_.insert(src);
      }
    }
    return Status::ok_status();
  }

  // Kahn's algorithm over data inputs (control inputs do not order inference), stable in file order.
  Result<std::vector<int>> sort_nodes() {
    const int n = gd_.node_size();
    std::vector<int> pending(static_cast<size_t>(n), 0);
    std::vector<std::vector<int>> users(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      for (const std::string& in : gd_.node(i).input()) {
        if (in.empty() || in[0] == '^') continue;
        int src = index_.at(input_node_name(in));
        users[static_cast<size_t>(src)].push_back(i);
        ++pending[static_cast<size_t>(i)];
      }
    }
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int i = 0; i < n; ++i) {
      if (pending[static_cast<size_t>(i)] == 0) ready.push(i);
    }
    std::vector<int> order;
    while (!ready.empty()) {
      int i = ready.top();
      ready.pop();
      order.push_back(i);
      for (int u : users[static_cast<size_t>(i)]) {
        if (--pending[static_cast<size_t>(u)] == 0) ready.push(u);
      }
    }
    if (static_cast<int>(order.size()) != n) {
      for (int i = 0; i < n; ++i) {
        if (pending[static_cast<size_t>(i)] > 0) {
          return invalid_node(gd_.node(i).name(), "the graph has a cycle through node '" + gd_.node(i).name() + "'");
        }
      }
    }
    return order;
  }

  Result<std::vector<std::string>> pick_outputs() {
    std::vector<std::string> out;
    if (!options_.outputs.empty()) {
      for (const std::string& o : options_.outputs) {
        if (!index_.count(input_node_name(o))) {
          return make_error(ErrorCode::InvalidArgument, "import", "graph output", o, "no node has that name");
        }
        out.push_back(canonical_input(o));
      }
      return out;
    }
    for (const tf::NodeDef& n : gd_.node()) {
      if (n.op() == "Const" || n.op() == "NoOp" || n.op() == "Placeholder") continue;
      if (!consumed_.count(n.name())) out.push_back(n.name() + ":0");
    }
    return out;
  }

  Status add_output(const std::string& tensor) {
    const TfValue* v = c_.find(tensor);
    const std::string node = input_node_name(tensor);
    const std::string name = tensor.size() > 2 && tensor.compare(tensor.size() - 2, 2, ":0") == 0 ? node : tensor;
    if (!v) {
      return make_error(ErrorCode::InvalidModel, "import", "graph output", name, "the node does not produce this output");
    }
    if (v->pending != Pending::None) {
      return make_error(ErrorCode::Unsupported, "import", "graph output", name,
                        "SpaceToBatchND / convolution without its BatchToSpaceND cannot be an output");
    }
    ValueId id = c_.to_native(*v);
    const Value& val = c_.g.value(id);
    bool is_input = std::find(c_.g.inputs.begin(), c_.g.inputs.end(), id) != c_.g.inputs.end();
    if (val.is_constant() || is_input || val.name != name) {
      // Outputs carry the TF name and are produced by a node: an Identity where needed.
      std::string out_name = c_.claim_name(name);
      ValueId y = c_.g.add_value(out_name);
      c_.g.add_node(OpType::Identity, out_name, {id}, {y});
      id = y;
    }
    c_.g.outputs.push_back(id);
    return Status::ok_status();
  }
};

}  // namespace

bool tf_op_supported(const std::string& op) { return op_table().count(op) != 0; }

Result<Graph> import_tf_bytes(const std::string& bytes, const std::string& label, const TfImportOptions& options) {
  Result<tf::GraphDef> gd = parse(bytes);
  Result<Graph> g = gd.ok() ? Importer(*gd, options).run() : Result<Graph>(gd.status());
  if (!g.ok()) return g.status().with_context("failed to import model '" + label + "'");
  g->name = label;
  return g;
}

Result<Graph> import_tf(const std::string& path, const TfImportOptions& options) {
  DS_TRY(std::string bytes, read_limited(path));
  return import_tf_bytes(bytes, path, options);
}

Result<std::vector<std::string>> tf_op_report(const std::string& path) {
  DS_TRY(std::string bytes, read_limited(path));
  Result<tf::GraphDef> gd = parse(bytes);
  if (!gd.ok()) return gd.status().with_context("failed to inspect model '" + path + "'");
  std::vector<std::string> order;
  std::map<std::string, int64_t> counts;
  for (const tf::NodeDef& n : gd->node()) {
    if (counts[n.op()]++ == 0) order.push_back(n.op());
  }
  std::vector<std::string> lines;
  for (const std::string& op : order) {
    lines.push_back(op + " " + std::to_string(counts[op]) + (tf_op_supported(op) ? " supported" : " unsupported"));
  }
  return lines;
}

}  // namespace deepshark
