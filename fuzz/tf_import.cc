// Fuzz target: a TensorFlow GraphDef from any bytes, imported and prepared.
#include "fuzz_target.h"
#include "import/tf/tf_importer.h"

namespace deepshark::fuzz {

void tf_import(const uint8_t* data, size_t size) {
  Ceiling ceiling("tf_import", import_ceiling_bytes(size));
  Result<Graph> g = import_tf_bytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz.pb");
  if (!g.ok()) return check_error(g.status(), "import tf");
  prepare_imported(*g, "prepare tf");
}

}  // namespace deepshark::fuzz

DS_FUZZ_ENTRY(tf_import)
