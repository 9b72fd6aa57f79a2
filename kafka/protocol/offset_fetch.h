#pragma once
// OffsetFetch (key 9), versions 1-8 (OffsetFetchRequest.json,
// OffsetFetchResponse.json; Kafka 4 dropped v0): a group's committed
// positions, of the partitions asked or (v2+, a null topic array) all of
// them. v2+ has a group-level error, v5+ the leader epoch, v6+ is
// flexible, v7+ RequireStable, v8+ asks for several groups at once and
// answers per group. v9 (KIP-848 member epochs) is not served.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct OffsetFetchRequest {
  struct Topic {
    std::string_view name;
    std::vector<int32_t> partition_indexes;
  };
  struct Group {
    std::string_view group_id;
    std::optional<std::vector<Topic>> topics;  // nullopt: every position
  };
  // v0-7 decode into one group.
  std::vector<Group> groups;
  bool require_stable = false;  // v7+

  bool Decode(ByteReader& in, int16_t version);
};

struct OffsetFetchResponse {
  struct Partition {
    int32_t index = 0;
    int64_t committed_offset = -1;
    int32_t committed_leader_epoch = -1;  // v5+
    std::optional<std::string> metadata;
    int16_t error_code = 0;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  struct Group {
    std::string group_id;  // v8+
    std::vector<Topic> topics;
    int16_t error_code = 0;  // v2+
  };
  int32_t throttle_time_ms = 0;  // v3+
  // v1-7 encode the first group only.
  std::vector<Group> groups;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
