#pragma once
// DeleteTopics (key 20), versions 1-6 (DeleteTopicsRequest.json,
// DeleteTopicsResponse.json; Kafka 4 dropped v0): deletes topics by name,
// or (v6+) by name or id. v4+ is flexible, v5+ answers an error message.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct DeleteTopicsRequest {
  struct Topic {
    std::optional<std::string_view> name;  // null (v6+): by id only
    Uuid topic_id{};
  };
  std::vector<Topic> topics;
  int32_t timeout_ms = 0;

  bool Decode(ByteReader& in, int16_t version);
};

struct DeleteTopicsResponse {
  struct Result {
    std::optional<std::string> name;
    Uuid topic_id{};  // v6+
    int16_t error_code = 0;
    std::optional<std::string> error_message;  // v5+
  };
  int32_t throttle_time_ms = 0;
  std::vector<Result> responses;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
