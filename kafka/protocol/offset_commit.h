#pragma once
// OffsetCommit (key 8), versions 2-8 (OffsetCommitRequest.json,
// OffsetCommitResponse.json; Kafka 4 dropped v0-1): a group's positions.
// v2-4 carry a retention time (ignored, as Kafka 4 ignores it), v6+ the
// leader epoch, v7+ static members, v8+ flexible. v9 (the KIP-848
// consumer protocol's member epochs) is not served.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct OffsetCommitRequest {
  struct Partition {
    int32_t index = 0;
    int64_t committed_offset = 0;
    int32_t committed_leader_epoch = -1;  // v6+
    std::optional<std::string_view> committed_metadata;
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  std::string_view group_id;
  int32_t generation_id = -1;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v7+
  std::vector<Topic> topics;

  bool Decode(ByteReader& in, int16_t version);
};

struct OffsetCommitResponse {
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;  // v3+
  std::vector<Topic> topics;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
