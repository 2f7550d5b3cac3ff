// Status and Result<T>: the error channel for bad input, I/O failure and infeasible budgets.
//
// A bug (a broken invariant) is not a Status: it aborts with file and line through DS_CHECK.
// Everything a user can cause returns a Status with a category and one message grammar:
//   failed to <verb> <thing> '<name>': <reason> (expected X, got Y)
// Each stage adds its context when it passes an error up (Status::with_context).
//
//   ds::Result<Graph> g = import_onnx(path);
//   if (!g.ok()) { std::cerr << g.status().message() << "\n"; return 1; }
//   DS_TRY(auto v, some_call());   // inside a function returning Status or Result<U>
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace deepshark {

#define DS_ERROR_CODES(X) \
  X(Ok)                   \
  X(InvalidModel)         \
  X(Unsupported)          \
  X(InvalidArgument)      \
  X(IOError)              \
  X(Corruption)           \
  X(BudgetInfeasible)     \
  X(OutOfMemory)          \
  X(Internal)

enum class ErrorCode {
#define DS_X(name) name,
  DS_ERROR_CODES(DS_X)
#undef DS_X
};

const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }
  bool ok() const { return code_ == ErrorCode::Ok; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<context>: <message>" — callers prepend where they are, e.g. "failed to import model 'x.onnx'".
  Status with_context(const std::string& context) const;
  // Code name and message, e.g. "InvalidModel: failed to ...".
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::Ok;
  std::string message_;
};

// Builds the standard message: failed to <verb> <thing> '<name>': <reason>
std::string failure_message(const std::string& verb, const std::string& thing, const std::string& name,
                            const std::string& reason);
inline Status make_error(ErrorCode code, const std::string& verb, const std::string& thing,
                         const std::string& name, const std::string& reason) {
  return Status(code, failure_message(verb, thing, name, reason));
}
// "(expected X, got Y)" suffix helper.
std::string expected_got(const std::string& expected, const std::string& got);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status(ErrorCode::Internal, "Result built from an ok Status");
  }
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] void check_failed(const char* file, int line, const char* expr, const std::string& msg);

}  // namespace deepshark

namespace ds = deepshark;

#define DS_CHECK(cond)                                                            \
  do {                                                                            \
    if (!(cond)) ::deepshark::check_failed(__FILE__, __LINE__, #cond, "");        \
  } while (0)
#define DS_CHECK_MSG(cond, msg)                                                   \
  do {                                                                            \
    if (!(cond)) ::deepshark::check_failed(__FILE__, __LINE__, #cond, (msg));     \
  } while (0)

#define DS_CONCAT_INNER(a, b) a##b
#define DS_CONCAT(a, b) DS_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when it is an error.
#define DS_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::deepshark::Status ds_status_ = (expr);     \
    if (!ds_status_.ok()) return ds_status_;     \
  } while (0)

// DS_TRY(lhs, result_expr): evaluates a Result<T>; returns its Status on error, else assigns.
#define DS_TRY(lhs, expr) DS_TRY_IMPL(DS_CONCAT(ds_result_, __LINE__), lhs, expr)
#define DS_TRY_IMPL(tmp, lhs, expr)            \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()
