// Fuzz target: an ONNX ModelProto from any bytes, imported and prepared (shape inference,
// constant folding, fusion). External data is forbidden (no model folder).
#include "fuzz_target.h"
#include "import/onnx/onnx_importer.h"

namespace deepshark::fuzz {

void onnx_import(const uint8_t* data, size_t size) {
  Ceiling ceiling("onnx_import", import_ceiling_bytes(size));
  Result<Graph> g = import_onnx_owned(std::string(reinterpret_cast<const char*>(data), size), "", "fuzz.onnx");
  if (!g.ok()) return check_error(g.status(), "import onnx");
  prepare_imported(*g, "prepare onnx");
}

}  // namespace deepshark::fuzz

DS_FUZZ_ENTRY(onnx_import)
