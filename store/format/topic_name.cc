#include "store/format/topic_name.h"

#include <fmt/format.h>

#include <algorithm>

namespace topicfs::store {
namespace {

bool IsLegalChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// Names come from users and may hold control bytes or broken UTF-8; the
// message goes to a log line, so anything unprintable is shown as \xNN.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out.push_back(c);
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

}  // namespace

Status ValidateTopicName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("topic name is empty");
  if (name == "." || name == "..") {
    return Status::InvalidArgument(fmt::format("topic name '{}' is not allowed", name));
  }
  if (name.size() > kMaxTopicNameLength) {
    return Status::InvalidArgument(fmt::format("topic name is {} characters long, at most {} allowed",
                                               name.size(), kMaxTopicNameLength));
  }
  auto bad = std::find_if_not(name.begin(), name.end(), IsLegalChar);
  if (bad != name.end()) {
    return Status::InvalidArgument(fmt::format("topic name '{}' contains '{}', allowed are [a-zA-Z0-9._-]",
                                               Printable(name), Printable(std::string_view(&*bad, 1))));
  }
  return Status::Ok();
}

bool IsInternalTopic(std::string_view name) { return name.starts_with("__"); }

bool TopicNamesCollide(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // '.' and '_' map to the same metric name, so they count as equal.
  auto fold = [](char c) { return c == '.' ? '_' : c; };
  return std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return fold(x) == fold(y); });
}

std::string TopicPartition::DirName() const { return fmt::format("{}-{}", topic, partition); }

}  // namespace topicfs::store
