#pragma once
// The store's one error currency. A Status keeps the errno the OS gave (so the
// FUSE layer can answer ENOSPC rather than a generic EIO) and a message that
// says why, for the log line.

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace topicfs::store {

enum class Code {
  kOk = 0,
  kIoError,          // an OS call failed; errno() says which
  kCorruption,       // bytes on disk are not what the format says
  kInvalidArgument,  // the caller asked for something malformed
  kNotFound,
  kAlreadyExists,
  kRecordTooLarge,   // a record or batch over max.message.bytes / segment.bytes
  kUnsupported,      // a valid Kafka feature topicfs does not read (magic 0/1, compression)
  kFenced,           // a partition refusing appends after a failed write or fsync
  kBusy,             // the data directory is locked by another process
  kOutOfRange,       // a numeric config value outside its range
  kReadOnly,         // a partition served read-only: its config could not be read
  // An idempotent producer's batch whose sequence is not the next one after
  // its last batch (nor one of its last five again): Kafka's
  // OUT_OF_ORDER_SEQUENCE_NUMBER. Nothing was appended.
  kOutOfOrderSequence,
  // An idempotent producer's batch from an epoch below the one the
  // partition knows for it (a fenced, older instance): Kafka's
  // INVALID_PRODUCER_EPOCH. Nothing was appended.
  kInvalidProducerEpoch,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, int sys_errno, std::string message)
      : code_(code), errno_(sys_errno), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status IoError(int sys_errno, std::string what) {
    return {Code::kIoError, sys_errno, std::move(what)};
  }
  static Status Corruption(std::string what) { return {Code::kCorruption, 0, std::move(what)}; }
  static Status InvalidArgument(std::string what) {
    return {Code::kInvalidArgument, 0, std::move(what)};
  }
  static Status NotFound(std::string what) { return {Code::kNotFound, 0, std::move(what)}; }
  static Status AlreadyExists(std::string what) {
    return {Code::kAlreadyExists, 0, std::move(what)};
  }
  static Status RecordTooLarge(std::string what) {
    return {Code::kRecordTooLarge, 0, std::move(what)};
  }
  static Status Unsupported(std::string what) { return {Code::kUnsupported, 0, std::move(what)}; }
  static Status Fenced(std::string what) { return {Code::kFenced, 0, std::move(what)}; }
  static Status Busy(std::string what) { return {Code::kBusy, 0, std::move(what)}; }
  static Status OutOfRange(std::string what) { return {Code::kOutOfRange, 0, std::move(what)}; }
  static Status ReadOnly(std::string what) { return {Code::kReadOnly, EROFS, std::move(what)}; }
  static Status OutOfOrderSequence(std::string what) {
    return {Code::kOutOfOrderSequence, 0, std::move(what)};
  }
  static Status InvalidProducerEpoch(std::string what) {
    return {Code::kInvalidProducerEpoch, 0, std::move(what)};
  }

  // An IoError built from the current errno, naming the call and the path.
  static Status FromErrno(std::string_view call, std::string_view path) {
    int e = errno;
    return IoError(e, fmt::format("{} {}: {}", call, path, ErrnoName(e)));
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  // Prefixes the message with context, keeping code and errno.
  Status Annotate(std::string_view context) const {
    if (ok()) return *this;
    return {code_, errno_, fmt::format("{}: {}", context, message_)};
  }

  static std::string ErrnoName(int e);

 private:
  Code code_ = Code::kOk;
  int errno_ = 0;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}  // NOLINT: must not be ok

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace topicfs::store

// Early-return helpers: keep error paths one line long.
#define TOPICFS_CONCAT_INNER(a, b) a##b
#define TOPICFS_CONCAT(a, b) TOPICFS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::topicfs::store::Status _st = (expr);           \
    if (!_st.ok()) return _st;                       \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.ok()) return tmp.status();         \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(TOPICFS_CONCAT(_result_, __LINE__), lhs, expr)
