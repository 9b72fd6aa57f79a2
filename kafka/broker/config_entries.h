#pragma once
// A topic's (or the data directory's default) configs as Kafka's admin
// APIs describe them: every name the xattrs list, its value as getfattr
// shows it, its source (set on the topic, set as the data directory's
// default, or Kafka's default) and its type; and store config errors as
// Kafka's INVALID_CONFIG with the store's reason.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/base/status.h"
#include "store/log/log_config.h"

namespace topicfs::kafka {

struct ConfigEntry {
  std::string name;
  std::string value;
  int8_t source = 0;  // DescribeConfigsResponse ConfigSource
  int8_t type = 0;    // DescribeConfigsResponse ConfigType
};

// Every config but "partitions" (not a Kafka topic config). `topic_overrides`
// nullopt: the broker resource (the defaults alone).
std::vector<ConfigEntry> DescribeConfigEntries(const store::LogConfig& config,
                                               const store::ConfigOverrides& defaults,
                                               const std::optional<store::ConfigOverrides>& topic_overrides);

// The error code for a config the store refused: INVALID_CONFIG (an
// unknown name, a bad value, one out of range), KAFKA_STORAGE_ERROR for a
// topic served read-only. Handlers check that the topic exists first.
int16_t KafkaErrorForConfig(const store::Status& status);

}  // namespace topicfs::kafka
