#pragma once
#include <string>
#include <utility>
#include <variant>

namespace lockstep {

// What kind of failure an Error is, set where the code that raises it knows. Diagnosis
// (snapshot/diagnosis) turns a kind into a likely cause; nothing matches message text for that.
enum class ErrorKind : unsigned char {
  kUnclassified,
  kTruncated,          // the input ended before the bytes it promised
  kUnknownSubsection,  // a subsection name this side does not know
  kValueMismatch,      // an incoming value must equal this side's (an array length set by -smp, a fixed field)
  kUnknownRamBlock,    // a RAM block name this side does not have
  kRamBlockSize,       // a RAM block of another size on this side
};

// Bad host input (files, streams, options) is reported as a value, never thrown or asserted.
struct Error {
  std::string message;
  ErrorKind kind = ErrorKind::kUnclassified;
  // The same failure with context in front of its message ("dev: field 'x': ...").
  Error within(const std::string& context) const { return Error{context + message, kind}; }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<T>(v_); }
  const T& value() const { return std::get<T>(v_); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace lockstep

// Propagates an Error from a Status/Result expression.
#define LS_TRY(expr)                                   \
  do {                                                 \
    auto ls_try_r_ = (expr);                           \
    if (!ls_try_r_) return ::lockstep::Error{ls_try_r_.error()}; \
  } while (0)
#define LS_CAT2(a, b) a##b
#define LS_CAT(a, b) LS_CAT2(a, b)
#define LS_TRY_ASSIGN(lhs, expr) LS_TRY_ASSIGN_(LS_CAT(ls_try_v_, __LINE__), lhs, expr)
#define LS_TRY_ASSIGN_(tmp, lhs, expr)                 \
  auto tmp = (expr);                                   \
  if (!tmp) return ::lockstep::Error{tmp.error()};     \
  lhs = std::move(tmp.value())
