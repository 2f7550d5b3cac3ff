// Fuzz target: a Caffe prototxt (text NetParameter, which may carry its own blobs) from any bytes,
// imported without a caffemodel and prepared.
#include "fuzz_target.h"
#include "import/caffe/caffe_importer.h"

namespace deepshark::fuzz {

void caffe_text(const uint8_t* data, size_t size) {
  Ceiling ceiling("caffe_text", import_ceiling_bytes(size));
  Result<Graph> g = import_caffe_bytes(std::string(reinterpret_cast<const char*>(data), size), "", "", "fuzz.prototxt");
  if (!g.ok()) return check_error(g.status(), "import caffe prototxt");
  prepare_imported(*g, "prepare caffe");
}

}  // namespace deepshark::fuzz

DS_FUZZ_ENTRY(caffe_text)
