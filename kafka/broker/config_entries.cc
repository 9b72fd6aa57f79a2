#include "kafka/broker/config_entries.h"

#include <string_view>

#include "kafka/protocol/admin_error_codes.h"
#include "kafka/protocol/describe_configs.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

namespace {
constexpr std::string_view kPartitionsConfig = "partitions";

// Kafka's ConfigDef types: 1 boolean, 2 string, 3 int, 5 long, 6 double,
// 7 list; as TopicConfig declares each name.
int8_t ConfigType(std::string_view name) {
  if (name == "cleanup.policy") return 7;
  if (name == "compression.type" || name == "key.separator") return 2;
  if (name == "min.cleanable.dirty.ratio") return 6;
  if (name == "segment.bytes" || name == "segment.index.bytes" || name == "index.interval.bytes" ||
      name == "max.message.bytes" || name == "internal.segment.bytes" ||
      name.starts_with("compression.")) {
    return 3;
  }
  return 5;  // the .ms names, retention.bytes, flush.messages
}
}  // namespace

std::vector<ConfigEntry> DescribeConfigEntries(const store::LogConfig& config,
                                               const store::ConfigOverrides& defaults,
                                               const std::optional<store::ConfigOverrides>& topic_overrides) {
  std::vector<ConfigEntry> entries;
  for (const std::string& name : store::ConfigNames()) {
    // Not a Kafka topic config: a Kafka client learns the count from
    // Metadata and changes it with CreatePartitions, and one that copies a
    // topic's configs to a broker (MirrorMaker 2) would have it refused.
    if (name == kPartitionsConfig) continue;
    const bool on_topic = topic_overrides && topic_overrides->contains(name);
    const bool by_default = defaults.contains(name);
    if (store::IsInternalConfigName(name) && !on_topic && !by_default) continue;
    ConfigEntry& e = entries.emplace_back();
    e.name = name;
    e.value = store::ConfigValueText(config, name);
    if (on_topic) {
      e.source = kSourceTopicConfig;
    } else if (by_default) {
      e.source = kSourceDynamicDefaultBrokerConfig;
    } else {
      e.source = kSourceDefault;
    }
    e.type = ConfigType(name);
  }
  return entries;
}

int16_t KafkaErrorForConfig(const store::Status& status) {
  return status.code() == store::Code::kReadOnly ? error::kKafkaStorageError : error::kInvalidConfig;
}

}  // namespace topicfs::kafka
