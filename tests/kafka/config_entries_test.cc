#include "kafka/broker/config_entries.h"

#include <gtest/gtest.h>

#include "kafka/protocol/admin_error_codes.h"
#include "kafka/protocol/describe_configs.h"

namespace topicfs::kafka {
namespace {

const ConfigEntry* Find(const std::vector<ConfigEntry>& entries, std::string_view name) {
  for (const auto& e : entries) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

TEST(ConfigEntriesTest, EachValueNamesWhereItCameFrom) {
  store::ConfigOverrides defaults{{"retention.ms", "3600000"}};
  store::ConfigOverrides topic{{"cleanup.policy", "compact"}};
  auto config = store::ResolveConfig(defaults, topic);
  ASSERT_TRUE(config.ok());
  auto entries = DescribeConfigEntries(*config, defaults, topic);
  const ConfigEntry* policy = Find(entries, "cleanup.policy");
  ASSERT_NE(policy, nullptr);
  EXPECT_EQ(policy->value, "compact");
  EXPECT_EQ(policy->source, kSourceTopicConfig);
  EXPECT_EQ(policy->type, 7);  // LIST
  const ConfigEntry* retention = Find(entries, "retention.ms");
  ASSERT_NE(retention, nullptr);
  EXPECT_EQ(retention->value, "3600000");
  EXPECT_EQ(retention->source, kSourceDynamicDefaultBrokerConfig);
  const ConfigEntry* segment = Find(entries, "segment.bytes");
  ASSERT_NE(segment, nullptr);
  EXPECT_EQ(segment->value, "1073741824");
  EXPECT_EQ(segment->source, kSourceDefault);
  EXPECT_EQ(segment->type, 3);  // INT
}

TEST(ConfigEntriesTest, InternalNamesAreListedOnlyWhileSet) {
  auto config = store::ResolveConfig({}, {});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(Find(DescribeConfigEntries(*config, {}, store::ConfigOverrides{}), "internal.segment.bytes"), nullptr);
  store::ConfigOverrides topic{{"internal.segment.bytes", "1000"}};
  auto small = store::ResolveConfig({}, topic);
  ASSERT_TRUE(small.ok());
  EXPECT_NE(Find(DescribeConfigEntries(*small, {}, topic), "internal.segment.bytes"), nullptr);
}

TEST(ConfigEntriesTest, TheBrokerResourceListsTheDefaults) {
  store::ConfigOverrides defaults{{"retention.ms", "1000"}};
  auto config = store::ResolveConfig(defaults, {});
  ASSERT_TRUE(config.ok());
  auto entries = DescribeConfigEntries(*config, defaults, std::nullopt);
  EXPECT_EQ(Find(entries, "retention.ms")->source, kSourceDynamicDefaultBrokerConfig);
  EXPECT_EQ(Find(entries, "retention.bytes")->source, kSourceDefault);
}

TEST(ConfigEntriesTest, RefusedConfigsAreInvalidConfig) {
  EXPECT_EQ(KafkaErrorForConfig(store::ValidateConfigValue("segment.bytes", "10")), error::kInvalidConfig);
  EXPECT_EQ(KafkaErrorForConfig(store::ValidateConfigValue("no.such.name", "1")), error::kInvalidConfig);
}

}  // namespace
}  // namespace topicfs::kafka
