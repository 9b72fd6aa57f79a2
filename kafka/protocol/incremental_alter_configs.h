#pragma once
// IncrementalAlterConfigs (key 44), versions 0-1
// (IncrementalAlterConfigsRequest.json, IncrementalAlterConfigsResponse.json):
// sets (0), deletes (1), appends to (2) or subtracts from (3) single
// configs of a resource. v1+ is flexible. The response is AlterConfigs'.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/alter_configs.h"
#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

inline constexpr int8_t kOpSet = 0;
inline constexpr int8_t kOpDelete = 1;
inline constexpr int8_t kOpAppend = 2;
inline constexpr int8_t kOpSubtract = 3;

struct IncrementalAlterConfigsRequest {
  struct Config {
    std::string_view name;
    int8_t config_operation = kOpSet;
    std::optional<std::string_view> value;
  };
  struct Resource {
    int8_t resource_type = 0;
    std::string_view resource_name;
    std::vector<Config> configs;
  };
  std::vector<Resource> resources;
  bool validate_only = false;

  bool Decode(ByteReader& in, int16_t version);
};

struct IncrementalAlterConfigsResponse {
  int32_t throttle_time_ms = 0;
  std::vector<AlterConfigsResourceResult> responses;

  void Encode(std::string* out, int16_t version) const {
    EncodeAlterConfigsResults(out, throttle_time_ms, responses, version >= 1);
  }
};

}  // namespace topicfs::kafka
