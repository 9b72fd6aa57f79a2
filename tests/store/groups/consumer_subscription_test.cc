// The topics of a ConsumerProtocolSubscription, the prefix every version
// shares, against bytes built from ConsumerProtocolSubscription.json.

#include "store/groups/consumer_subscription.h"

#include <gtest/gtest.h>

#include "tests/store/groups/coordinator_fixture.h"

namespace topicfs::store {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string out;
  for (int b : bytes) out.push_back(static_cast<char>(b));
  return out;
}

TEST(ConsumerSubscriptionTest, VersionZeroListsItsTopics) {
  auto topics = ConsumerSubscriptionTopics(Subscription({"orders", "audit"}));
  ASSERT_TRUE(topics.has_value());
  EXPECT_EQ(*topics, (std::vector<std::string>{"orders", "audit"}));
}

TEST(ConsumerSubscriptionTest, LaterVersionsAreReadByTheirCommonPrefix) {
  // Version 3: topics, user data, owned partitions, generation, rack.
  std::string v3 = Bytes({0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't', 0xff, 0xff, 0xff, 0xff,
                          0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xff});
  auto topics = ConsumerSubscriptionTopics(v3);
  ASSERT_TRUE(topics.has_value());
  EXPECT_EQ(*topics, std::vector<std::string>{"t"});
}

TEST(ConsumerSubscriptionTest, BytesThatAreNotASubscriptionAreNotRead) {
  EXPECT_FALSE(ConsumerSubscriptionTopics("").has_value());
  EXPECT_FALSE(ConsumerSubscriptionTopics(Bytes({0xff, 0xff, 0, 0, 0, 0})).has_value());  // negative version
  EXPECT_FALSE(ConsumerSubscriptionTopics(Bytes({0, 0, 0x7f, 0, 0, 0})).has_value());     // count past the end
  EXPECT_FALSE(ConsumerSubscriptionTopics(Bytes({0, 0, 0, 0, 0, 1, 0, 5, 'a'})).has_value());  // short topic
}

}  // namespace
}  // namespace topicfs::store
