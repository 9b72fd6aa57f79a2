#include "store/base/status.h"

#include <cstring>
#include <iterator>

namespace topicfs::store {

std::string Status::ErrnoName(int e) {
  const char* name = strerrorname_np(e);
  return fmt::format("{} ({})", name != nullptr ? name : "errno", std::strerror(e));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  static constexpr const char* kNames[] = {
      "OK",           "IO error", "corruption",    "invalid argument", "not found", "already exists",
      "record too large", "unsupported", "fenced", "busy", "out of range", "read-only",
      "out-of-order sequence", "invalid producer epoch"};
  // One name per Code: a Code added without its name fails to build here.
  static_assert(std::size(kNames) == static_cast<size_t>(Code::kInvalidProducerEpoch) + 1);
  return fmt::format("{}: {}", kNames[static_cast<int>(code_)], message_);
}

}  // namespace topicfs::store
