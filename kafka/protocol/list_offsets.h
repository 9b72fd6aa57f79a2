#pragma once
// ListOffsets (key 2), versions 1-7 (ListOffsetsRequest.json,
// ListOffsetsResponse.json): a partition's offset for a timestamp, or for
// the special timestamps -2 (earliest), -1 (latest) and, v7+, -3 (the
// record with the largest timestamp). v6+ is flexible. v0 (several old
// style offsets) is gone from Kafka 4 and not served.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;
inline constexpr int64_t kMaxTimestamp = -3;

struct ListOffsetsRequest {
  struct Partition {
    int32_t index = 0;
    int32_t current_leader_epoch = -1;  // v4+
    int64_t timestamp = 0;
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  int32_t replica_id = -1;
  int8_t isolation_level = 0;  // v2+
  std::vector<Topic> topics;

  bool Decode(ByteReader& in, int16_t version);
};

struct ListOffsetsResponse {
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t timestamp = -1;
    int64_t offset = -1;
    int32_t leader_epoch = -1;  // v4+
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;  // v2+
  std::vector<Topic> topics;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
