#pragma once
// CreatePartitions (key 37), versions 0-3 (CreatePartitionsRequest.json,
// CreatePartitionsResponse.json): grows topics to a partition count. v2+
// is flexible. Manual assignments are decoded and refused by the broker.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct CreatePartitionsRequest {
  struct Topic {
    std::string_view name;
    int32_t count = 0;
    bool has_assignments = false;
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;
  bool validate_only = false;

  bool Decode(ByteReader& in, int16_t version);
};

struct CreatePartitionsResponse {
  struct Result {
    std::string name;
    int16_t error_code = 0;
    std::optional<std::string> error_message;
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> results;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
