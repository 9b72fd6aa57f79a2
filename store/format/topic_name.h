#pragma once
// Kafka's topic name rules: [a-zA-Z0-9._-], 1..249 characters, not "." or
// "..". Names starting with "__" are internal (visible, read-only).

#include <cstdint>
#include <string>
#include <string_view>

#include "store/base/status.h"

namespace topicfs::store {

inline constexpr size_t kMaxTopicNameLength = 249;

// kInvalidArgument with the reason when the name breaks a rule.
Status ValidateTopicName(std::string_view name);
bool IsInternalTopic(std::string_view name);
// Kafka's collision rule: names equal once '.' is replaced by '_'.
bool TopicNamesCollide(std::string_view a, std::string_view b);

// A topic and one of its partitions.
struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
  std::string DirName() const;  // "<topic>-<partition>"
};


}  // namespace topicfs::store
