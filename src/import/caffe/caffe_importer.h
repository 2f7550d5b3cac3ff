// Caffe importer: a .prototxt (text NetParameter) plus an optional .caffemodel (binary
// NetParameter holding the trained blobs) -> Graph, in the same op set the ONNX importer produces.
//
// What downstream can rely on:
//  - Layers are read in file order (both the `layer` and the legacy V1 `layers` form; layers
//    excluded from the TEST phase are skipped). Blobs come from the .caffemodel, matched to the
//    prototxt's layers by layer name; a prototxt may also carry its own blobs.
//  - Graph inputs: `input` + `input_shape` / `input_dim`, Input layers (input_param), Data layers
//    (batch only: the other dims are dynamic) and MemoryData layers. Graph outputs: the blobs no
//    later layer consumes, in the order they were produced, named after the blob.
//  - In-place layers (top == bottom) are renamed to SSA form: the last version of a blob keeps
//    its name, earlier ones are called "<blob>:<k>".
//  - A mean file (BlobProto .binaryproto) is subtracted from the first graph input by a Sub node.
//  - Errors are prefixed "failed to import model '<prototxt>': " and name the layer, e.g.
//    "failed to import layer 'conv1': weight blob has the wrong size (expected 500 floats, got 499)".
//    InvalidModel for malformed files, Unsupported naming the layer and type for layer types and
//    parameters outside the list in caffe_layers.h, IOError for unreadable files.
//
//   DS_TRY(ds::Graph g, ds::import_caffe("deploy.prototxt", "net.caffemodel", ""));
//   DS_TRY(auto uses, ds::caffe_layer_report("deploy.prototxt"));   // for `deepshark inspect`
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/shape.h"
#include "base/status.h"
#include "base/tensor.h"
#include "graph/graph.h"

namespace deepshark {

struct CaffeImportOptions {
  // Replaces the shapes the prototxt declares for these inputs (Caffe's Net::Reshape: a deploy
  // file's batch size is usually a placeholder). InvalidArgument for names that are not inputs.
  std::map<std::string, Shape> input_shapes;
};

// `weights` ("" for none: only layers without blobs then import) names the .caffemodel, `mean`
// ("" for none) a BlobProto mean file.
Result<Graph> import_caffe(const std::string& prototxt, const std::string& weights, const std::string& mean,
                           const CaffeImportOptions& options = {});
// Same from file contents; `label` names the model in messages.
Result<Graph> import_caffe_bytes(const std::string& prototxt_text, const std::string& caffemodel_bytes,
                                 const std::string& mean_bytes, const std::string& label,
                                 const CaffeImportOptions& options = {});

// Reads a BlobProto file (a .binaryproto mean) into an F32 tensor of the blob's shape.
// InvalidModel when it does not parse or its data disagrees with its shape.
Result<Tensor> read_caffe_blob(const std::string& path);

// One layer type a prototxt uses, how often, and whether the importer supports it.
struct CaffeLayerUse {
  std::string type;
  int count = 0;
  bool supported = false;
};
// Every layer type in the file (TEST phase), in order of first use, without stopping at the first
// unsupported one. InvalidModel / IOError only when the prototxt itself cannot be read or parsed.
Result<std::vector<CaffeLayerUse>> caffe_layer_report(const std::string& prototxt);

}  // namespace deepshark
