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
