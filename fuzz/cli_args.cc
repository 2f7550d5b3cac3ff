// Fuzz target: the deepshark command line. The bytes split at '\0' into argv[1..] for parse_args
// (sizes, shapes, counts, numbers, options), and the whole input goes to parse_size. A parsed
// command line must hold values inside the documented ranges.
#include <vector>

#include "deepshark/cli.h"
#include "fuzz_target.h"
#include "plan/plan.h"

namespace deepshark::fuzz {

void cli_args(const uint8_t* data, size_t size) {
  QuietStderr quiet;  // parse_args prints its usage errors
  const std::string text(reinterpret_cast<const char*>(data), size);
  Ceiling ceiling("cli_args", 64 * size + (uint64_t{1} << 20));
  Result<uint64_t> bytes = parse_size(text);
  if (!bytes.ok()) check_error(bytes.status(), "parse size");

  std::vector<std::string> words = {"deepshark"};
  size_t start = 0;
  for (size_t i = 0; i <= size; ++i) {
    if (i == size || text[i] == '\0') {
      words.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  cli::Args a;
  int rc = cli::parse_args(static_cast<int>(words.size()), argv.data(), &a);
  if (rc != 0 && rc != 2) violation("cli_args: parse_args returned " + std::to_string(rc) + " (expected 0 or 2)");
  if (rc != 0 || a.command == "help") return;
  if (a.threads < 1 || a.threads > 256) violation("cli_args: threads out of range: " + std::to_string(a.threads));
  if (a.prefetch < -1 || a.prefetch > 16) violation("cli_args: prefetch out of range: " + std::to_string(a.prefetch));
  if (a.repeat < 1 || a.warmup < 0) violation("cli_args: repeat/warmup out of range");
  if (a.slice_limit == 0) violation("cli_args: slice limit 0");
  if (a.balance > 1 || (a.latency_ms != 0 && !(a.latency_ms > 0))) violation("cli_args: balance/latency out of range");
  for (const auto& [name, shape] : a.shapes) {
    if (name.empty() || shape.empty() || shape.size() > 16) violation("cli_args: bad --shape '" + name + "'");
    for (int64_t d : shape) {
      if (d < 0) violation("cli_args: negative dimension in --shape '" + name + "'");
    }
  }
}

}  // namespace deepshark::fuzz

DS_FUZZ_ENTRY(cli_args)
