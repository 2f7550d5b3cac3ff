// Fuzz target: a Caffe model from a prototxt, a binary caffemodel and a mean file, all in one
// input: [u16 prototxt bytes][u16 mean bytes][prototxt][mean][caffemodel: the rest] (little endian;
// lengths past the end are clipped). Imported and prepared.
#include <algorithm>

#include "fuzz_target.h"
#include "import/caffe/caffe_importer.h"

namespace deepshark::fuzz {

void caffe_binary(const uint8_t* data, size_t size) {
  if (size < 4) return;
  size_t proto_bytes = std::min<size_t>(data[0] | data[1] << 8, size - 4);
  size_t mean_bytes = std::min<size_t>(data[2] | data[3] << 8, size - 4 - proto_bytes);
  const char* p = reinterpret_cast<const char*>(data) + 4;
  std::string prototxt(p, proto_bytes);
  std::string mean(p + proto_bytes, mean_bytes);
  std::string caffemodel(p + proto_bytes + mean_bytes, size - 4 - proto_bytes - mean_bytes);
  Ceiling ceiling("caffe_binary", import_ceiling_bytes(size));
  Result<Graph> g = import_caffe_bytes(prototxt, caffemodel, mean, "fuzz.prototxt");
  if (!g.ok()) return check_error(g.status(), "import caffe model");
  prepare_imported(*g, "prepare caffe");
}

}  // namespace deepshark::fuzz

DS_FUZZ_ENTRY(caffe_binary)
