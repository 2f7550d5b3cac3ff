// ModelProto -> Graph. Order of work: parse, pick the opset, constants (initializers and Constant
// nodes), graph inputs, nodes, outputs, opset normalisation, topological sort.
#include "import/onnx/onnx_importer.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <unordered_map>
#include <unordered_set>

#include <onnx/onnx_pb.h>

#include "base/file.h"
#include "import/onnx/onnx_attributes.h"
#include "import/onnx/onnx_normalize.h"
#include "import/onnx/onnx_tensor.h"

namespace deepshark {

namespace {

using namespace onnx_import;

// Protobuf cannot parse messages of 2 GiB or more; larger weights must use external data.
constexpr uint64_t kMaxProtoBytes = (uint64_t{1} << 31) - 1;
// Newest default-domain opset whose changes normalize_opset knows about.
constexpr int64_t kMaxOpset = 21;

Status invalid(const std::string& thing, const std::string& name, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", thing, name, reason);
}

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

Result<std::string> read_limited(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return make_error(ErrorCode::IOError, "read", what, path, std::strerror(errno));
  }
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxProtoBytes) {
    return make_error(ErrorCode::Unsupported, "read", what, path,
                      "file is too large for a protobuf message; store weights as external data " +
                          expected_got("<= " + std::to_string(kMaxProtoBytes) + " bytes", std::to_string(st.st_size)));
  }
  return read_file(path, kMaxProtoBytes);
}

std::string parent_dir(const std::string& path) {
  std::filesystem::path p = std::filesystem::path(path).parent_path();
  return p.empty() ? std::string(".") : p.string();
}

class Importer {
 public:
  // `m` is consumed: each initializer's data is released once copied, so the weights are held
  // once, not twice, while importing.
  Importer(onnx::ModelProto& m, std::string model_dir) : model_(m), dir_(std::move(model_dir)) {}

  Result<Graph> run() {
    DS_RETURN_IF_ERROR(read_opset());
    const onnx::GraphProto& gp = model_.graph();
    g_.name = gp.name();
    reserve_names(gp);
    if (gp.sparse_initializer_size() > 0) {
      return make_error(ErrorCode::Unsupported, "import", "initializer", gp.sparse_initializer(0).values().name(),
                        "sparse initializers are not supported");
    }
    for (onnx::TensorProto& t : *model_.mutable_graph()->mutable_initializer()) {
      DS_RETURN_IF_ERROR(add_initializer(t));
      std::string().swap(*t.mutable_raw_data());
      google::protobuf::RepeatedField<float>().Swap(t.mutable_float_data());
      google::protobuf::RepeatedField<int64_t>().Swap(t.mutable_int64_data());
      google::protobuf::RepeatedField<int32_t>().Swap(t.mutable_int32_data());
      google::protobuf::RepeatedField<double>().Swap(t.mutable_double_data());
    }
    // Constant nodes first, so nodes listed before their Constant still find the value.
    for (int i = 0; i < gp.node_size(); ++i) {
      const onnx::NodeProto& n = gp.node(i);
      if (n.op_type() == "Constant" && is_default_domain(n.domain())) DS_RETURN_IF_ERROR(add_constant_node(n, i));
    }
    for (const onnx::ValueInfoProto& vi : gp.input()) DS_RETURN_IF_ERROR(add_input(vi));
    for (int i = 0; i < gp.node_size(); ++i) {
      const onnx::NodeProto& n = gp.node(i);
      if (n.op_type() == "Constant" && is_default_domain(n.domain())) continue;
      DS_RETURN_IF_ERROR(add_node(n, i));
    }
    for (const onnx::ValueInfoProto& vi : gp.output()) {
      auto it = ids_.find(vi.name());
      if (vi.name().empty() || it == ids_.end()) return invalid("graph output", vi.name(), "nothing produces it");
      g_.outputs.push_back(it->second);
    }
    if (g_.outputs.empty()) return invalid("graph", g_.name, "the graph has no outputs");
    DS_RETURN_IF_ERROR(normalize_opset(g_, static_cast<int>(opset_), names_));
    DS_RETURN_IF_ERROR(g_.topo_sort());
    DS_RETURN_IF_ERROR(g_.verify());
    return std::move(g_);
  }

 private:
  onnx::ModelProto& model_;
  std::string dir_;
  Graph g_;
  int64_t opset_ = 1;  // models without opset_import predate opset 2
  std::unordered_map<std::string, ValueId> ids_;
  std::unordered_set<ValueId> graph_inputs_, produced_;
  UniqueNames names_;

  Status read_opset() {
    if (!model_.has_graph()) return Status(ErrorCode::InvalidModel, "the model has no graph");
    bool found = false;
    for (const auto& op : model_.opset_import()) {
      if (!is_default_domain(op.domain())) continue;
      opset_ = op.version();
      found = true;
    }
    if (found && (opset_ < 1 || opset_ > kMaxOpset)) {
      return Status(ErrorCode::Unsupported, "unsupported default-domain opset " +
                                                expected_got("1.." + std::to_string(kMaxOpset), std::to_string(opset_)));
    }
    return Status::ok_status();
  }

  void reserve_names(const onnx::GraphProto& gp) {
    for (const auto& t : gp.initializer()) names_.reserve(t.name());
    for (const auto& vi : gp.input()) names_.reserve(vi.name());
    for (const auto& vi : gp.output()) names_.reserve(vi.name());
    for (const auto& n : gp.node()) {
      names_.reserve(n.name());
      for (const auto& s : n.input()) names_.reserve(s);
      for (const auto& s : n.output()) names_.reserve(s);
    }
  }

  Status add_initializer(const onnx::TensorProto& t) {
    if (t.name().empty()) return invalid("initializer", "", "an initializer has no name");
    if (ids_.count(t.name())) return invalid("initializer", t.name(), "the name is defined twice");
    DS_TRY(Tensor data, decode_tensor(t, dir_, "initializer", t.name()));
    ids_[t.name()] = g_.add_constant(t.name(), std::move(data));
    return Status::ok_status();
  }

  std::string label(const onnx::NodeProto& n, int index) const {
    if (!n.name().empty()) return n.name();
    return n.op_type() + "_" + std::to_string(index);
  }

  Status add_constant_node(const onnx::NodeProto& n, int index) {
    const std::string lbl = label(n, index);
    if (n.output_size() != 1 || n.output(0).empty()) {
      return invalid("node", lbl, "a Constant node needs exactly one named output");
    }
    if (n.input_size() != 0) return invalid("node", lbl, "a Constant node takes no inputs");
    const std::string& out = n.output(0);
    if (ids_.count(out)) return invalid("node", lbl, "value '" + out + "' is defined more than once");
    DS_TRY(Tensor data, constant_node_value(n, dir_, lbl));
    ids_[out] = g_.add_constant(out, std::move(data));
    return Status::ok_status();
  }

  Status add_input(const onnx::ValueInfoProto& vi) {
    auto it = ids_.find(vi.name());
    if (it != ids_.end()) {
      // Before IR version 4 every initializer was also listed as a graph input.
      if (g_.value(it->second).is_constant()) return Status::ok_status();
      return invalid("graph input", vi.name(), "the name is listed twice");
    }
    if (vi.name().empty()) return invalid("graph input", "", "a graph input has no name");
    if (!vi.type().has_tensor_type()) {
      return make_error(ErrorCode::Unsupported, "import", "graph input", vi.name(), "only tensor inputs are supported");
    }
    const auto& tt = vi.type().tensor_type();
    std::optional<DType> dt = dtype_from_onnx(tt.elem_type());
    if (!dt) {
      return make_error(ErrorCode::Unsupported, "import", "graph input", vi.name(),
                        "unsupported data type '" + onnx_dtype_name(tt.elem_type()) + "'");
    }
    Shape shape;
    bool known = tt.has_shape();
    for (const auto& d : tt.shape().dim()) {
      if (d.has_dim_value()) {
        if (d.dim_value() < 0) {
          return invalid("graph input", vi.name(), "negative dimension " + std::to_string(d.dim_value()));
        }
        shape.push_back(d.dim_value());
      } else {
        shape.push_back(-1);
        known = false;
      }
    }
    if (known && !checked_numel(shape)) {
      return invalid("graph input", vi.name(), "element count of shape " + shape_to_string(shape) + " overflows");
    }
    ValueId id = g_.add_value(vi.name(), *dt, std::move(shape), known);
    ids_[vi.name()] = id;
    g_.inputs.push_back(id);
    graph_inputs_.insert(id);
    return Status::ok_status();
  }

  ValueId value_for(const std::string& name) {
    auto it = ids_.find(name);
    if (it != ids_.end()) return it->second;
    ValueId id = g_.add_value(name);
    ids_[name] = id;
    return id;
  }

  Status add_node(const onnx::NodeProto& n, int index) {
    const std::string lbl = label(n, index);
    std::optional<OpType> op;
    if (is_default_domain(n.domain())) op = op_from_name(n.op_type());
    if (!op) {
      std::string reason = "unsupported op type '" + n.op_type() + "'";
      if (!is_default_domain(n.domain())) reason += " in domain '" + n.domain() + "'";
      return make_error(ErrorCode::Unsupported, "import", "node", lbl, reason);
    }
    std::vector<ValueId> ins, outs;
    for (const std::string& s : n.input()) ins.push_back(s.empty() ? kNoValue : value_for(s));
    for (const std::string& s : n.output()) {
      if (s.empty()) {
        outs.push_back(kNoValue);
        continue;
      }
      ValueId id = value_for(s);
      if (g_.value(id).is_constant()) {
        return invalid("node", lbl, "output '" + s + "' is also an initializer or a Constant");
      }
      if (graph_inputs_.count(id)) return invalid("node", lbl, "output '" + s + "' is also a graph input");
      if (!produced_.insert(id).second) {
        return invalid("node", lbl, "value '" + s + "' is produced by more than one node");
      }
      outs.push_back(id);
    }
    Node& node = g_.add_node(*op, lbl, std::move(ins), std::move(outs));
    return convert_attributes(n, dir_, lbl, node.attrs);
  }
};

Result<Graph> import_model(std::string& bytes, const std::string& model_dir) {
  onnx::ModelProto model;
  if (bytes.size() > kMaxProtoBytes) {
    return Status(ErrorCode::Unsupported, "too large for a protobuf message " +
                                              expected_got("<= " + std::to_string(kMaxProtoBytes) + " bytes",
                                                           std::to_string(bytes.size())));
  }
  if (bytes.empty() || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status(ErrorCode::InvalidModel, "not a valid ONNX ModelProto (protobuf parse failed)");
  }
  std::string().swap(bytes);  // the file's bytes are in `model` now
  return Importer(model, model_dir).run();
}

}  // namespace

Result<Graph> import_onnx_bytes(const std::string& bytes, const std::string& model_dir, const std::string& label) {
  std::string copy = bytes;
  return import_onnx_owned(std::move(copy), model_dir, label);
}

Result<Graph> import_onnx_owned(std::string bytes, const std::string& model_dir, const std::string& label) {
  Result<Graph> g = import_model(bytes, model_dir);
  if (!g.ok()) return g.status().with_context("failed to import model '" + label + "'");
  return g;
}

Result<Graph> import_onnx(const std::string& path) {
  Result<std::string> bytes = read_limited(path, "model");
  if (!bytes.ok()) return bytes.status();
  return import_onnx_owned(std::move(bytes).value(), parent_dir(path), path);
}

Result<Tensor> read_onnx_tensor(const std::string& path) {
  DS_TRY(std::string bytes, read_limited(path, "tensor"));
  onnx::TensorProto t;
  if (bytes.empty() || !t.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return make_error(ErrorCode::InvalidModel, "read", "tensor", path, "not a valid ONNX TensorProto");
  }
  return onnx_import::decode_tensor(t, parent_dir(path), "tensor", t.name().empty() ? path : t.name());
}

}  // namespace deepshark
