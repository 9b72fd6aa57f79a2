#pragma once
// AlterConfigs (key 33), versions 0-2 (AlterConfigsRequest.json,
// AlterConfigsResponse.json): replaces a resource's whole config (a name
// not given returns to its default). v2+ is flexible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct AlterConfigsRequest {
  struct Config {
    std::string_view name;
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

// One error per resource; IncrementalAlterConfigs answers the same shape.
struct AlterConfigsResourceResult {
  int16_t error_code = 0;
  std::optional<std::string> error_message;
  int8_t resource_type = 0;
  std::string resource_name;
};

struct AlterConfigsResponse {
  int32_t throttle_time_ms = 0;
  std::vector<AlterConfigsResourceResult> responses;

  void Encode(std::string* out, int16_t version) const;
};

// The body both AlterConfigs and IncrementalAlterConfigs answer with.
void EncodeAlterConfigsResults(std::string* out, int32_t throttle_time_ms,
                               const std::vector<AlterConfigsResourceResult>& responses, bool flexible);

}  // namespace topicfs::kafka
