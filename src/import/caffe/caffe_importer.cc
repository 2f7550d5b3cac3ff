// NetParameter -> Graph. Order of work: parse the prototxt (and the caffemodel), move legacy V1
// layers to the current form, drop layers outside the TEST phase, then walk the layers in file
// order: input layers define graph inputs, every other layer resolves its bottoms to the current
// version of each blob (SSA), is converted, and its tops become the blobs' new versions.
#include "import/caffe/caffe_importer.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <unordered_map>

#include "base/file.h"
#include "import/caffe/caffe_builder.h"
#include "import/caffe/caffe_layers.h"
#include "import/caffe/caffe_proto_io.h"

namespace deepshark {

namespace {

using namespace caffe_import;

Status invalid(const std::string& thing, const std::string& name, const std::string& reason) {
  return make_error(ErrorCode::InvalidModel, "import", thing, name, reason);
}

Result<std::string> read_limited(const std::string& path, const std::string& what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error(ErrorCode::IOError, "read", what, path, std::strerror(errno));
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) > kMaxProtoBytes) {
    return make_error(ErrorCode::Unsupported, "read", what, path,
                      "file is too large for a protobuf message " +
                          expected_got("<= " + std::to_string(kMaxProtoBytes) + " bytes", std::to_string(st.st_size)));
  }
  return read_file(path, kMaxProtoBytes);
}

// The layer's key in the use counts: blob name and version.
std::string version_key(const std::string& blob, int version) { return blob + "#" + std::to_string(version); }

class Importer {
 public:
  Importer(const caffe::NetParameter& net, const caffe::NetParameter* weights, const caffe::BlobProto* mean,
           const CaffeImportOptions& options)
      : net_(net), weights_(weights), mean_(mean), options_(options) {}

  Result<Graph> run() {
    b_.g.name = net_.name();
    for (const caffe::LayerParameter& l : net_.layer()) {
      if (in_test_phase(l)) layers_.push_back(&l);
    }
    for (const caffe::LayerParameter* l : layers_) {
      b_.reserve(l->name());
      for (const std::string& s : l->top()) b_.reserve(s);
    }
    for (const std::string& s : net_.input()) b_.reserve(s);
    if (weights_ != nullptr) {
      for (const caffe::LayerParameter& l : weights_->layer()) trained_.emplace(l.name(), &l);
    }
    DS_RETURN_IF_ERROR(net_inputs());
    std::vector<bool> fuse_next = find_bn_scale_pairs();
    for (size_t i = 0; i < layers_.size(); ++i) {
      const caffe::LayerParameter& lp = *layers_[i];
      if (is_input_layer_type(lp.type())) {
        DS_RETURN_IF_ERROR(input_layer(lp));
        continue;
      }
      DS_RETURN_IF_ERROR(layer(i, fuse_next[i]));
      if (fuse_next[i]) ++i;  // the Scale was folded into this BatchNorm
    }
    for (const auto& [name, shape] : options_.input_shapes) {
      if (!overridden_.count(name)) {
        return make_error(ErrorCode::InvalidArgument, "bind", "input", name, "the model has no such input");
      }
    }
    if (b_.g.inputs.empty()) return invalid("net", net_.name(), "the net declares no inputs (input, Input or Data layer)");
    for (const auto& [name, id] : produced_order_) {
      if (current_.at(name) == id && !consumed_.count(id)) b_.g.outputs.push_back(id);
    }
    if (b_.g.outputs.empty()) return invalid("net", net_.name(), "the net has no outputs");
    rename_versions();
    DS_RETURN_IF_ERROR(b_.g.topo_sort());
    DS_RETURN_IF_ERROR(b_.g.verify());
    return std::move(b_.g);
  }

 private:
  const caffe::NetParameter& net_;
  const caffe::NetParameter* weights_;
  const caffe::BlobProto* mean_;
  const CaffeImportOptions& options_;
  Builder b_;
  std::vector<const caffe::LayerParameter*> layers_;
  std::unordered_map<std::string, const caffe::LayerParameter*> trained_;
  std::unordered_map<std::string, ValueId> current_;                 // blob -> its current version
  std::unordered_map<std::string, std::vector<ValueId>> versions_;  // blob -> every version
  std::vector<std::pair<std::string, ValueId>> produced_order_;
  std::unordered_map<ValueId, bool> consumed_;
  std::unordered_map<std::string, bool> input_names_, overridden_;

  Result<Shape> checked_input_shape(const std::string& thing, const std::string& name, Shape shape) {
    if (shape.size() > 16) return invalid(thing, name, "too many dimensions " + expected_got("<= 16", std::to_string(shape.size())));
    for (int64_t d : shape) {
      if (d < 0) return invalid(thing, name, "negative dimension in " + shape_to_string(shape));
    }
    if (!checked_numel(shape)) {
      return invalid(thing, name, "absurd shape " + shape_to_string(shape) + " " +
                                      expected_got("<= " + std::to_string(kMaxElements) + " elements", "an overflowing product"));
    }
    return shape;
  }

  Status add_input(const std::string& thing, const std::string& name, Shape shape, bool known) {
    if (name.empty()) return invalid(thing, name, "an input has no name");
    if (current_.count(name)) return invalid(thing, name, "the blob is defined more than once");
    auto it = options_.input_shapes.find(name);
    if (it != options_.input_shapes.end()) {
      DS_TRY(shape, checked_input_shape(thing, name, it->second));
      known = true;
      overridden_[name] = true;
    } else if (known) {
      DS_TRY(shape, checked_input_shape(thing, name, std::move(shape)));
    }
    ValueId id = b_.g.add_value(name, DType::F32, std::move(shape), known);
    b_.g.inputs.push_back(id);
    input_names_[name] = true;
    current_[name] = id;
    versions_[name].push_back(id);
    if (mean_ != nullptr && b_.g.inputs.size() == 1) DS_RETURN_IF_ERROR(subtract_mean(name, id));
    return Status::ok_status();
  }

  Status subtract_mean(const std::string& name, ValueId x) {
    Result<Tensor> m = decode_blob(*mean_, "mean", "mean");
    if (!m.ok()) return m.status();
    Layer l;
    l.name = name + "/mean_subtract";
    l.type = "mean file";
    Result<ValueId> y = b_.add(OpType::Sub, l, "", {x, b_.constant(name + "/mean", *m)});
    if (!y.ok()) return y.status();
    b_.g.nodes.back().name = b_.unique(l.name);
    current_[name] = *y;
    versions_[name].push_back(*y);
    return Status::ok_status();
  }

  Status net_inputs() {
    const int n = net_.input_size();
    if (net_.input_shape_size() > 0 && net_.input_shape_size() != n) {
      return invalid("net", net_.name(), "one input_shape per input " + expected_got(std::to_string(n), std::to_string(net_.input_shape_size())));
    }
    if (net_.input_dim_size() > 0 && net_.input_dim_size() != 4 * n) {
      return invalid("net", net_.name(), "four input_dim values per input " + expected_got(std::to_string(4 * n), std::to_string(net_.input_dim_size())));
    }
    for (int i = 0; i < n; ++i) {
      Shape shape;
      bool known = true;
      if (net_.input_shape_size() > 0) {
        shape.assign(net_.input_shape(i).dim().begin(), net_.input_shape(i).dim().end());
      } else if (net_.input_dim_size() > 0) {
        shape.assign(net_.input_dim().begin() + 4 * i, net_.input_dim().begin() + 4 * i + 4);
      } else {
        known = false;
      }
      DS_RETURN_IF_ERROR(add_input("input", net_.input(i), shape, known));
    }
    return Status::ok_status();
  }

  Status input_layer(const caffe::LayerParameter& lp) {
    if (lp.bottom_size() != 0) return invalid("layer", lp.name(), "an input layer takes no bottoms " + expected_got("0", std::to_string(lp.bottom_size())));
    if (lp.top_size() == 0) return invalid("layer", lp.name(), "an input layer needs a top");
    if (lp.type() == "Input") {
      const int shapes = lp.input_param().shape_size();
      if (shapes > 1 && shapes != lp.top_size()) {
        return invalid("layer", lp.name(), "one shape, or one per top " + expected_got("1 or " + std::to_string(lp.top_size()), std::to_string(shapes)));
      }
      for (int i = 0; i < lp.top_size(); ++i) {
        Shape shape;
        if (shapes > 0) {
          const caffe::BlobShape& s = lp.input_param().shape(shapes == 1 ? 0 : i);
          shape.assign(s.dim().begin(), s.dim().end());
        }
        DS_RETURN_IF_ERROR(add_input("layer", lp.top(i), shape, shapes > 0));
      }
      return Status::ok_status();
    }
    if (lp.type() == "MemoryData") {
      const caffe::MemoryDataParameter& p = lp.memory_data_param();
      return add_input("layer", lp.top(0), {p.batch_size(), p.channels(), p.height(), p.width()}, true);
    }
    // Data: only the batch size is in the file; the image dims come from the caller.
    const int64_t batch = lp.data_param().has_batch_size() ? lp.data_param().batch_size() : -1;
    return add_input("layer", lp.top(0), {batch, -1, -1, -1}, false);
  }

  // For each layer index: true when it is a BatchNorm whose single top version is used only by the
  // next layer, a one-bottom Scale over axis 1 -- the pair becomes one BatchNormalization.
  std::vector<bool> find_bn_scale_pairs() const {
    std::vector<bool> fuse(layers_.size(), false);
    std::unordered_map<std::string, int> version;
    std::unordered_map<std::string, int> uses;
    std::vector<std::vector<std::string>> bottom_keys(layers_.size()), top_keys(layers_.size());
    for (const std::string& s : net_.input()) version[s] = 0;
    for (size_t i = 0; i < layers_.size(); ++i) {
      for (const std::string& s : layers_[i]->bottom()) {
        std::string k = version_key(s, version.count(s) ? version[s] : -1);
        bottom_keys[i].push_back(k);
        ++uses[k];
      }
      for (const std::string& s : layers_[i]->top()) {
        int v = version.count(s) ? version[s] + 1 : 0;
        version[s] = v;
        top_keys[i].push_back(version_key(s, v));
      }
    }
    for (size_t i = 0; i + 1 < layers_.size(); ++i) {
      const caffe::LayerParameter& bn = *layers_[i];
      const caffe::LayerParameter& sc = *layers_[i + 1];
      if (bn.type() != "BatchNorm" || sc.type() != "Scale" || bn.top_size() != 1 || sc.bottom_size() != 1 || sc.top_size() != 1) continue;
      if (sc.scale_param().axis() != 1 || sc.scale_param().num_axes() != 1) continue;
      if (bottom_keys[i + 1][0] != top_keys[i][0] || uses[top_keys[i][0]] != 1) continue;
      fuse[i] = true;
    }
    return fuse;
  }

  Result<std::vector<Tensor>> layer_blobs(const caffe::LayerParameter& lp) {
    auto it = trained_.find(lp.name());
    const caffe::LayerParameter& src = it != trained_.end() && it->second->blobs_size() > 0 ? *it->second : lp;
    std::vector<Tensor> blobs;
    for (int i = 0; i < src.blobs_size(); ++i) {
      DS_TRY(Tensor t, decode_blob(src.blobs(i), lp.name(), "blob " + std::to_string(i)));
      blobs.push_back(std::move(t));
    }
    return blobs;
  }

  Status bottom_error(size_t index, const std::string& blob) const {
    const caffe::LayerParameter& lp = *layers_[index];
    for (size_t j = index; j < layers_.size(); ++j) {
      for (const std::string& t : layers_[j]->top()) {
        if (t == blob) {
          return invalid("layer", lp.name(), "bottom '" + blob + "' is only produced by a later layer '" + layers_[j]->name() +
                                                 "' (a cycle, or layers out of order)");
        }
      }
    }
    return invalid("layer", lp.name(), "bottom '" + blob + "' is produced by no layer and is not an input");
  }

  Status layer(size_t index, bool fuse_scale) {
    const caffe::LayerParameter& lp = *layers_[index];
    Layer l;
    l.param = &lp;
    l.name = lp.name();
    l.type = lp.type();
    if (l.name.empty()) l.name = lp.type() + "_" + std::to_string(index);
    for (const std::string& s : lp.bottom()) {
      auto it = current_.find(s);
      if (it == current_.end()) return bottom_error(index, s);
      l.bottoms.push_back(it->second);
    }
    l.top_count = static_cast<size_t>(lp.top_size());
    if (l.top_count == 0) return invalid("layer", l.name, "the layer has no top");
    DS_TRY(l.blobs, layer_blobs(lp));
    const caffe::LayerParameter* tops_from = &lp;
    if (fuse_scale) {
      l.fused_scale = layers_[index + 1];
      DS_TRY(l.fused_blobs, layer_blobs(*l.fused_scale));
      tops_from = l.fused_scale;  // the fused node's output is the Scale's top
    }
    DS_TRY(std::vector<ValueId> outs, convert_layer(b_, l));
    if (outs.size() != l.top_count) {
      return make_error(ErrorCode::Internal, "import", "layer", l.name, "converter returned " + std::to_string(outs.size()) + " outputs");
    }
    for (ValueId v : l.bottoms) consumed_[v] = true;
    for (int i = 0; i < tops_from->top_size(); ++i) {
      const std::string& top = tops_from->top(i);
      auto it = current_.find(top);
      if (it != current_.end()) {
        // Caffe's rule: only top i == bottom i is in place; any other reuse is a second producer.
        bool in_place = i < tops_from->bottom_size() && tops_from->bottom(i) == top;
        if (fuse_scale) in_place = in_place || (lp.bottom_size() > 0 && lp.bottom(0) == top);
        if (!in_place) {
          return invalid("layer", tops_from->name(), "top '" + top + "' is already produced by another layer (duplicate top)");
        }
      }
      current_[top] = outs[static_cast<size_t>(i)];
      versions_[top].push_back(outs[static_cast<size_t>(i)]);
      produced_order_.emplace_back(top, outs[static_cast<size_t>(i)]);
    }
    return Status::ok_status();
  }

  // The last version of each blob keeps its name (graph inputs always keep theirs); earlier ones
  // are "<blob>:<k>".
  void rename_versions() {
    for (auto& [name, ids] : versions_) {
      const bool is_input = input_names_.count(name) != 0;
      for (size_t k = 0; k < ids.size(); ++k) {
        const bool keep = is_input ? k == 0 : k + 1 == ids.size();
        b_.g.value(ids[k]).name = keep ? name : b_.unique(name + ":" + std::to_string(k));
      }
    }
  }
};

Result<Graph> import_net(const std::string& text, const std::string& model, const std::string& mean,
                         const CaffeImportOptions& options) {
  DS_TRY(caffe::NetParameter net, parse_prototxt(text));
  DS_RETURN_IF_ERROR(normalize_layers(net));
  caffe::NetParameter weights;
  if (!model.empty()) {
    DS_TRY(weights, parse_caffemodel(model));
    DS_RETURN_IF_ERROR(normalize_layers(weights).with_context("in the caffemodel"));
  }
  caffe::BlobProto mean_blob;
  if (!mean.empty()) { DS_TRY(mean_blob, parse_blob_proto(mean, "mean")); }
  return Importer(net, model.empty() ? nullptr : &weights, mean.empty() ? nullptr : &mean_blob, options).run();
}

}  // namespace

Result<Graph> import_caffe_bytes(const std::string& prototxt_text, const std::string& caffemodel_bytes,
                                 const std::string& mean_bytes, const std::string& label, const CaffeImportOptions& options) {
  Result<Graph> g = import_net(prototxt_text, caffemodel_bytes, mean_bytes, options);
  if (!g.ok()) return g.status().with_context("failed to import model '" + label + "'");
  return g;
}

Result<Graph> import_caffe(const std::string& prototxt, const std::string& weights, const std::string& mean,
                           const CaffeImportOptions& options) {
  DS_TRY(std::string text, read_limited(prototxt, "model"));
  std::string model, mean_bytes;
  if (!weights.empty()) { DS_TRY(model, read_limited(weights, "weights")); }
  if (!weights.empty() && model.empty()) {
    return make_error(ErrorCode::InvalidModel, "read", "weights", weights, "the file is empty");
  }
  if (!mean.empty()) { DS_TRY(mean_bytes, read_limited(mean, "mean file")); }
  if (!mean.empty() && mean_bytes.empty()) return make_error(ErrorCode::InvalidModel, "read", "mean file", mean, "the file is empty");
  return import_caffe_bytes(text, model, mean_bytes, prototxt, options);
}

Result<Tensor> read_caffe_blob(const std::string& path) {
  DS_TRY(std::string bytes, read_limited(path, "blob"));
  DS_TRY(caffe::BlobProto blob, parse_blob_proto(bytes, path));
  return decode_blob(blob, path, "mean");
}

Result<std::vector<CaffeLayerUse>> caffe_layer_report(const std::string& prototxt) {
  DS_TRY(std::string text, read_limited(prototxt, "model"));
  Result<caffe::NetParameter> net = parse_prototxt(text);
  if (!net.ok()) return net.status().with_context("failed to import model '" + prototxt + "'");
  Status s = normalize_layers(*net);
  if (!s.ok()) return s.with_context("failed to import model '" + prototxt + "'");
  std::vector<CaffeLayerUse> uses;
  for (const caffe::LayerParameter& l : net->layer()) {
    if (!in_test_phase(l)) continue;
    auto it = std::find_if(uses.begin(), uses.end(), [&](const CaffeLayerUse& u) { return u.type == l.type(); });
    if (it == uses.end()) {
      uses.push_back({l.type(), 1, is_supported_layer_type(l.type())});
    } else {
      ++it->count;
    }
  }
  return uses;
}

}  // namespace deepshark
