#pragma once
// The topics in a Java consumer's group metadata (ConsumerProtocolSubscription,
// clients/src/main/resources/common/message/ConsumerProtocolSubscription.json):
// `int16 version | int32 count | count x (int16 length + topic) | ...`.
// Every version starts so (version 0 is the prefix of all), which is all
// the coordinator reads, as Kafka's does, to know what a group consumes.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace topicfs::store {

// The subscribed topics, nullopt when the bytes are not a subscription.
std::optional<std::vector<std::string>> ConsumerSubscriptionTopics(std::string_view metadata);

}  // namespace topicfs::store
