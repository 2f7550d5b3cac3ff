// The deepshark command line: parsed arguments and the commands, on the public API only.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "deepshark/deepshark.h"

namespace deepshark::cli {

extern const char* const kUsage;

struct Args {
  std::string command;
  std::string model;
  std::string weights;  // Caffe .caffemodel
  std::string mean;     // Caffe mean .binaryproto
  std::vector<std::pair<std::string, std::string>> inputs;
  std::map<std::string, Shape> shapes;
  std::string output_dir;
  std::string report_json;
  int threads = 1;
  int repeat = 1;
  int warmup = 0;
  bool json = false;
  bool report = false;
  bool kernels = false;
  bool reference = false;
  bool random_inputs = false;
  bool profile = false;
  bool plan = false;
  bool direct_io = true;
  uint64_t memory = 0;
  int prefetch = -1;
  std::string output;
  uint64_t slice_limit = uint64_t{2} << 20;
  // plan / profile / run requirements (issue 4).
  double latency_ms = 0;       // --latency T (ms)
  double balance = -1;         // --balance W
  std::string profile_path;    // --profile FILE.json (plan, run)
  bool greedy_planner = false; // --planner greedy (hidden)
  bool sweep = false;          // plan --sweep
  std::string svg;             // plan --svg FILE
  std::string timeline;        // plan --timeline FILE
  std::string dir = ".";       // profile --dir PATH
  std::string profile_model;   // profile --model MODEL.dsk
  std::string dump_input;      // plan --dump-input FILE (hidden: the planner's input as text)
};

// Parses argv into *a; returns 0, or the exit code after printing the error (2 = bad command line).
int parse_args(int argc, char** argv, Args* a);
// Prints the message and returns 2 (bad command line).
int usage_error(const std::string& msg);
// Prints the status message and returns 1.
int fail(const Status& s);
// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), 0 when unavailable.
uint64_t proc_status_bytes(const char* field);
bool stderr_is_terminal();

int cmd_run(const Args& a);
int cmd_pack(const Args& a);
int cmd_inspect(const Args& a);
int cmd_plan(const Args& a);
int cmd_profile(const Args& a);

}  // namespace deepshark::cli
