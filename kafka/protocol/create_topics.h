#pragma once
// CreateTopics (key 19), versions 2-7 (CreateTopicsRequest.json,
// CreateTopicsResponse.json; Kafka 4 dropped v0-1): topics with a number
// of partitions, a replication factor and configs. v5+ is flexible and
// answers each topic's partitions, replication factor and configs; v7+
// its topic id. Manual assignments are decoded and refused by the broker.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct CreateTopicsRequest {
  struct Config {
    std::string_view name;
    std::optional<std::string_view> value;
  };
  struct Topic {
    std::string_view name;
    int32_t num_partitions = -1;      // -1: the broker's default
    int16_t replication_factor = -1;  // -1: the broker's default
    int32_t assignments = 0;          // how many manual assignments
    std::vector<Config> configs;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  bool Decode(ByteReader& in, int16_t version);
};

struct CreateTopicsResponse {
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    int8_t config_source = -1;
    bool is_sensitive = false;
  };
  struct Topic {
    std::string name;
    Uuid topic_id{};  // v7+
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int32_t num_partitions = -1;      // v5+
    int16_t replication_factor = -1;  // v5+
    std::optional<std::vector<Config>> configs;  // v5+
  };
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
