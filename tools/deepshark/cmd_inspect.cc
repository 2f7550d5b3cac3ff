// deepshark inspect MODEL
#include <iostream>

#include "cli.h"

namespace deepshark::cli {

int cmd_inspect(const Args& a) {
  auto info = ds::inspect_model(ds::ModelSource{a.model, a.weights, a.mean}, a.shapes);
  if (!info.ok()) return fail(info.status());
  std::cout << (a.json ? ds::model_info_to_json(*info) : ds::model_info_to_text(*info));
  return 0;
}

}  // namespace deepshark::cli
