#include <algorithm>
#include <filesystem>
#include <sstream>

#include <onnx/onnx_pb.h>

#include "deepshark/deepshark.h"
#include "base/file.h"
#include "graph/flops.h"
#include "import/caffe/caffe_importer.h"
#include "import/tf/tf_importer.h"
#include "plan/plan.h"
#include "runtime/layout_assign.h"
#include "runtime/lifetimes.h"
#include "transform/prepare.h"

namespace deepshark {

namespace {

std::string json_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\') r += '\\';
    if (static_cast<unsigned char>(c) < 0x20) { r += ' '; continue; }
    r += c;
  }
  return r;
}

std::string json_shape(const Shape& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}


}  // namespace

Result<std::vector<std::string>> model_op_report(const ModelSource& source) {
  std::string ext = std::filesystem::path(source.path).extension().string();
  if (ext == ".prototxt") {
    DS_TRY(std::vector<CaffeLayerUse> uses, caffe_layer_report(source.path));
    std::vector<std::string> r;
    for (const CaffeLayerUse& u : uses) {
      r.push_back(u.type + " " + std::to_string(u.count) + (u.supported ? " supported" : " UNSUPPORTED"));
    }
    return r;
  }
  if (ext == ".pb") return tf_op_report(source.path);
  DS_TRY(std::string bytes, read_file(source.path));
  onnx::ModelProto m;
  if (!m.ParseFromString(bytes)) {
    return make_error(ErrorCode::InvalidModel, "read", "model", source.path, "not a valid ONNX ModelProto");
  }
  std::vector<std::pair<std::string, int>> counts;
  for (const auto& n : m.graph().node()) {
    auto it = std::find_if(counts.begin(), counts.end(), [&](const auto& c) { return c.first == n.op_type(); });
    if (it == counts.end()) counts.push_back({n.op_type(), 1});
    else ++it->second;
  }
  std::vector<std::string> r;
  for (const auto& [op, count] : counts) {
    r.push_back(op + " " + std::to_string(count) + (op_from_name(op) ? " supported" : " UNSUPPORTED"));
  }
  return r;
}

Result<ModelInfo> inspect_model(const ModelSource& source, const std::map<std::string, Shape>& input_shapes) {
  DS_TRY(Graph g, load_model(source));
  ModelInfo info;
  info.name = g.name;
  for (ValueId v : g.inputs) info.inputs.push_back({g.value(v).name, g.value(v).dtype, g.value(v).shape});
  PrepareOptions prep;
  prep.input_shapes = input_shapes;
  DS_RETURN_IF_ERROR(prepare_graph(g, prep));
  for (ValueId v : g.outputs) info.outputs.push_back({g.value(v).name, g.value(v).dtype, g.value(v).shape});
  std::vector<bool> counted(g.values.size(), false);
  for (const Node& n : g.nodes) {
    NodeInfo ni;
    ni.name = n.name;
    ni.op = op_name(n.op);
    for (ValueId in : n.inputs) {
      if (in == kNoValue || !g.value(in).is_constant()) continue;
      uint64_t b = g.value(in).constant->bytes();
      ni.weight_bytes += b;
      if (!counted[in]) info.weight_bytes += b;
      counted[in] = true;
    }
    ni.flops = node_flops(g, n);
    info.flops += ni.flops;
    for (ValueId o : n.outputs) if (o != kNoValue) ni.output_shapes.push_back(g.value(o).shape);
    info.nodes.push_back(std::move(ni));
  }
  // The activation peak as a session will lay it out (blocked layouts pad channels).
  KernelConfig base;
  const LayoutPlan layouts = assign_layouts(g, base, /*use_dnnl=*/true);
  LifetimeOptions lifetime_options = layout_lifetime_options(g, layouts);
  info.activation_peak_bytes = plan_arena(compute_lifetimes(g, lifetime_options).requests, kDefaultAlignment).total_bytes;
  return info;
}

std::string model_info_to_text(const ModelInfo& info) {
  std::ostringstream o;
  o << "model: " << (info.name.empty() ? "(unnamed)" : info.name) << "\n";
  for (const TensorInfo& t : info.inputs) o << "input  " << t.name << " " << dtype_name(t.dtype) << shape_to_string(t.shape) << "\n";
  for (const TensorInfo& t : info.outputs) o << "output " << t.name << " " << dtype_name(t.dtype) << shape_to_string(t.shape) << "\n";
  o << "nodes: " << info.nodes.size() << "\n";
  char line[512];
  std::snprintf(line, sizeof line, "%-5s %-28s %-20s %12s %14s  %s\n", "#", "node", "op", "weights", "FLOPs", "output");
  o << line;
  for (size_t i = 0; i < info.nodes.size(); ++i) {
    const NodeInfo& n = info.nodes[i];
    std::snprintf(line, sizeof line, "%-5zu %-28s %-20s %12s %14llu  %s\n", i, n.name.substr(0, 28).c_str(),
                  n.op.c_str(), n.weight_bytes ? format_size(n.weight_bytes).c_str() : "-",
                  static_cast<unsigned long long>(n.flops),
                  n.output_shapes.empty() ? "" : shape_to_string(n.output_shapes[0]).c_str());
    o << line;
  }
  o << "weights total: " << info.weight_bytes << " bytes (" << format_size(info.weight_bytes) << ")\n";
  o << "FLOPs total: " << info.flops << " (" << info.flops / 1e9 << " GFLOP)\n";
  o << "activation peak: " << info.activation_peak_bytes << " bytes (" << format_size(info.activation_peak_bytes) << ")\n";
  return o.str();
}

std::string model_info_to_json(const ModelInfo& info) {
  std::ostringstream o;
  auto tensors = [&](const std::vector<TensorInfo>& ts) {
    o << "[";
    for (size_t i = 0; i < ts.size(); ++i) {
      o << (i ? "," : "") << "{\"name\":\"" << json_escape(ts[i].name) << "\",\"dtype\":\"" << dtype_name(ts[i].dtype)
        << "\",\"shape\":" << json_shape(ts[i].shape) << "}";
    }
    o << "]";
  };
  o << "{\"name\":\"" << json_escape(info.name) << "\",\"inputs\":";
  tensors(info.inputs);
  o << ",\"outputs\":";
  tensors(info.outputs);
  o << ",\"weight_bytes\":" << info.weight_bytes << ",\"flops\":" << info.flops
    << ",\"activation_peak_bytes\":" << info.activation_peak_bytes << ",\"nodes\":[";
  for (size_t i = 0; i < info.nodes.size(); ++i) {
    const NodeInfo& n = info.nodes[i];
    o << (i ? "," : "") << "{\"name\":\"" << json_escape(n.name) << "\",\"op\":\"" << n.op
      << "\",\"weight_bytes\":" << n.weight_bytes << ",\"flops\":" << n.flops << ",\"output_shapes\":[";
    for (size_t j = 0; j < n.output_shapes.size(); ++j) o << (j ? "," : "") << json_shape(n.output_shapes[j]);
    o << "]}";
  }
  o << "]}\n";
  return o.str();
}

}  // namespace deepshark
