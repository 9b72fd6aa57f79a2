#pragma once
// OffsetDelete (key 47), version 0 (OffsetDeleteRequest.json,
// OffsetDeleteResponse.json): forgets a group's positions of some
// partitions, refused (GROUP_SUBSCRIBED_TO_TOPIC) for topics an active
// member consumes. Not flexible.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct OffsetDeleteRequest {
  struct Topic {
    std::string_view name;
    std::vector<int32_t> partitions;
  };
  std::string_view group_id;
  std::vector<Topic> topics;

  bool Decode(ByteReader& in, int16_t version);
};

struct OffsetDeleteResponse {
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int16_t error_code = 0;
  int32_t throttle_time_ms = 0;
  std::vector<Topic> topics;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
