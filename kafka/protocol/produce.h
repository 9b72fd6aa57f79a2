#pragma once
// Produce (key 0), versions 0-9 (ProduceRequest.json,
// ProduceResponse.json): record batches for partitions, answered per
// partition with the base offset given or an error. v3+ carries a
// transactional id; v9 is flexible. The records stay undecoded bytes (a
// view into the request) for the store to validate.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct ProduceRequest {
  struct Partition {
    int32_t index = 0;
    std::optional<std::string_view> records;
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  std::optional<std::string_view> transactional_id;  // v3+
  int16_t acks = 0;
  int32_t timeout_ms = 0;
  std::vector<Topic> topics;

  bool Decode(ByteReader& in, int16_t version);
};

struct ProduceResponse {
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t base_offset = -1;
    int64_t log_append_time_ms = -1;  // v2+
    int64_t log_start_offset = -1;    // v5+
    std::optional<std::string> error_message;  // v8+
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  std::vector<Topic> topics;
  int32_t throttle_time_ms = 0;  // v1+

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
