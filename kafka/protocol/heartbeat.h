#pragma once
// Heartbeat (key 12), versions 0-4 (HeartbeatRequest.json,
// HeartbeatResponse.json): a member says it is alive and learns of a
// rebalance (REBALANCE_IN_PROGRESS). v3+ static members, v4+ flexible.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct HeartbeatRequest {
  std::string_view group_id;
  int32_t generation_id = -1;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v3+

  bool Decode(ByteReader& in, int16_t version);
};

struct HeartbeatResponse {
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
