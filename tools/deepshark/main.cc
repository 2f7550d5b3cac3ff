// deepshark: the command-line interface, on the public API only.
//
//   deepshark run MODEL --input NAME=FILE.npy ... --output-dir DIR [--threads N] [--memory 64MiB]
//   deepshark pack MODEL -o MODEL.dsk
//   deepshark inspect MODEL [--json]
#include <iostream>

#include "cli.h"

using namespace deepshark::cli;

int main(int argc, char** argv) {
  Args a;
  int rc = parse_args(argc, argv, &a);
  if (rc != 0) return rc;
  if (a.command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (a.command == "inspect") return cmd_inspect(a);
  if (a.command == "pack") return cmd_pack(a);
  if (a.command == "plan") return cmd_plan(a);
  if (a.command == "profile") return cmd_profile(a);
  return cmd_run(a);
}
