#pragma once
// Errors are values: every decoder and every check of untrusted input returns Result<T>.
#include <string>
#include <utility>
#include <variant>

namespace rampart {

struct Error {
  std::string message;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return err_; }

 private:
  Error err_;
  bool ok_ = true;
};

using Status = Result<void>;

inline Error err(std::string msg) { return Error{std::move(msg)}; }

}  // namespace rampart

// Propagate an error from an expression returning Result<...>.
#define RAMPART_TRY(expr)                          \
  do {                                             \
    auto&& rampart_try_r_ = (expr);                \
    if (!rampart_try_r_.ok()) return rampart_try_r_.error(); \
  } while (0)
