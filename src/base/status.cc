#include "base/status.h"

namespace deepshark {

const char* error_code_name(ErrorCode code) {
  switch (code) {
#define DS_X(name)        \
  case ErrorCode::name: \
    return #name;
    DS_ERROR_CODES(DS_X)
#undef DS_X
  }
  return "Unknown";
}

Status Status::with_context(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

std::string Status::to_string() const {
  if (ok()) return "Ok";
  return std::string(error_code_name(code_)) + ": " + message_;
}

std::string failure_message(const std::string& verb, const std::string& thing, const std::string& name,
                            const std::string& reason) {
  std::string m = "failed to " + verb + " " + thing;
  if (!name.empty()) m += " '" + name + "'";
  if (!reason.empty()) m += ": " + reason;
  return m;
}

std::string expected_got(const std::string& expected, const std::string& got) {
  return "(expected " + expected + ", got " + got + ")";
}

void check_failed(const char* file, int line, const char* expr, const std::string& msg) {
  std::fprintf(stderr, "deepshark internal error at %s:%d: check '%s' failed%s%s\n", file, line, expr,
               msg.empty() ? "" : ": ", msg.c_str());
  std::abort();
}

}  // namespace deepshark
