#include "store/groups/consumer_subscription.h"

#include <cstdint>

#include "store/base/big_endian.h"

namespace topicfs::store {

std::optional<std::vector<std::string>> ConsumerSubscriptionTopics(std::string_view metadata) {
  if (metadata.size() < 6) return std::nullopt;
  if (be::Load<int16_t>(metadata.data()) < 0) return std::nullopt;
  int32_t count = be::Load<int32_t>(metadata.data() + 2);
  metadata.remove_prefix(6);
  if (count < 0 || static_cast<size_t>(count) > metadata.size() / 2) return std::nullopt;
  std::vector<std::string> topics;
  for (int32_t i = 0; i < count; ++i) {
    if (metadata.size() < 2) return std::nullopt;
    int16_t len = be::Load<int16_t>(metadata.data());
    metadata.remove_prefix(2);
    if (len < 0 || metadata.size() < static_cast<size_t>(len)) return std::nullopt;
    topics.emplace_back(metadata.substr(0, static_cast<size_t>(len)));
    metadata.remove_prefix(static_cast<size_t>(len));
  }
  return topics;
}

}  // namespace topicfs::store
