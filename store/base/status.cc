#include "store/base/status.h"

#include <cstring>

namespace topicfs::store {

std::string Status::ErrnoName(int e) {
  const char* name = strerrorname_np(e);
  return fmt::format("{} ({})", name != nullptr ? name : "errno", std::strerror(e));
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  static constexpr const char* kNames[] = {
      "OK",           "IO error", "corruption",    "invalid argument", "not found", "already exists",
      "record too large", "unsupported", "fenced", "busy", "out of range"};
  return fmt::format("{}: {}", kNames[static_cast<int>(code_)], message_);
}

}  // namespace topicfs::store
