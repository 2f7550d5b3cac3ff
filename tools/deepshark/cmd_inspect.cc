// deepshark inspect MODEL
#include <iostream>

#include "cli.h"

namespace deepshark::cli {

int cmd_inspect(const Args& a) {
  const ds::ModelSource source{a.model, a.weights, a.mean, a.shapes};
  auto info = ds::inspect_model(source, a.shapes);
  if (!info.ok()) {
    // Say what the file uses and which of it is unsupported, not only the first problem.
    auto report = ds::model_op_report(source);
    if (report.ok()) {
      std::cerr << "ops used by " << a.model << ":\n";
      for (const std::string& line : *report) std::cerr << "  " << line << "\n";
    }
    return fail(info.status());
  }
  std::cout << (a.json ? ds::model_info_to_json(*info) : ds::model_info_to_text(*info));
  return 0;
}

}  // namespace deepshark::cli
