#pragma once
// DescribeConfigs (key 32), versions 1-4 (DescribeConfigsRequest.json,
// DescribeConfigsResponse.json; Kafka 4 dropped v0): the configs of topics
// (resource type 2) and brokers (4), each with its source (v1+), synonyms
// when asked (v1+), type and documentation (v3+). v4+ is flexible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

// ConfigResource.Type and DescribeConfigsResponse's ConfigSource.
inline constexpr int8_t kResourceTopic = 2;
inline constexpr int8_t kResourceBroker = 4;
inline constexpr int8_t kSourceTopicConfig = 1;
inline constexpr int8_t kSourceDynamicDefaultBrokerConfig = 3;
inline constexpr int8_t kSourceDefault = 5;

struct DescribeConfigsRequest {
  struct Resource {
    int8_t resource_type = 0;
    std::string_view resource_name;
    std::optional<std::vector<std::string_view>> configuration_keys;  // nullopt: all
  };
  std::vector<Resource> resources;
  bool include_synonyms = false;       // v1+
  bool include_documentation = false;  // v3+

  bool Decode(ByteReader& in, int16_t version);
};

struct DescribeConfigsResponse {
  struct Synonym {
    std::string name;
    std::optional<std::string> value;
    int8_t source = 0;
  };
  struct Config {
    std::string name;
    std::optional<std::string> value;
    bool read_only = false;
    int8_t config_source = 0;  // v1+
    bool is_sensitive = false;
    std::vector<Synonym> synonyms;  // v1+
    int8_t config_type = 0;         // v3+: 0 unknown, 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list
    std::optional<std::string> documentation;  // v3+
  };
  struct Result {
    int16_t error_code = 0;
    std::optional<std::string> error_message;
    int8_t resource_type = 0;
    std::string resource_name;
    std::vector<Config> configs;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
