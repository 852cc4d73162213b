// Errors as values at every boundary (LevelDB's Status): bad peer input, bad RPC input and
// I/O failures become a Status or Result<T> carrying a message a person understands.
// Thread-safety: value types; no shared state.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "crypto/assert.h"

namespace phalanx {

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(std::move(message)); }

  bool is_ok() const { return !message_.has_value(); }
  explicit operator bool() const { return is_ok(); }
  // REQUIRES: !is_ok()
  const std::string& message() const {
    PHALANX_ASSERT(message_.has_value());
    return *message_;
  }
  std::string to_string() const { return message_ ? *message_ : std::string("ok"); }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

// Result<T>: a T or an error Status. Access to the wrong alternative is a programmer error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : value_(std::move(status)) {  // NOLINT
    PHALANX_ASSERT_MSG(!std::get<Status>(value_).is_ok(), "Result built from an ok Status");
  }

  bool is_ok() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return is_ok(); }

  const T& value() const& {
    PHALANX_ASSERT(is_ok());
    return std::get<T>(value_);
  }
  T& value() & {
    PHALANX_ASSERT(is_ok());
    return std::get<T>(value_);
  }
  T&& value() && {
    PHALANX_ASSERT(is_ok());
    return std::get<T>(std::move(value_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  Status status() const { return is_ok() ? Status::ok() : std::get<Status>(value_); }
  // REQUIRES: !is_ok()
  const std::string& message() const { return std::get<Status>(value_).message(); }

 private:
  std::variant<T, Status> value_;
};

}  // namespace phalanx

// Returns early from a function returning Status or Result<T> when `expr` is an error.
#define PHALANX_RETURN_IF_ERROR(expr)                 \
  do {                                                \
    ::phalanx::Status phalanx_status_ = (expr);       \
    if (!phalanx_status_.is_ok()) return phalanx_status_; \
  } while (0)
