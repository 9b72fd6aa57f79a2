#pragma once
// SyncGroup (key 14), versions 0-5 (SyncGroupRequest.json,
// SyncGroupResponse.json): after a join, the leader hands in every
// member's assignment and each member gets its own. v3+ static members,
// v4+ flexible, v5+ the protocol type and name, checked against the
// group's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct SyncGroupRequest {
  struct Assignment {
    std::string_view member_id;
    std::string_view assignment;
  };
  std::string_view group_id;
  int32_t generation_id = -1;
  std::string_view member_id;
  std::optional<std::string_view> group_instance_id;  // v3+
  std::optional<std::string_view> protocol_type;      // v5+
  std::optional<std::string_view> protocol_name;      // v5+
  std::vector<Assignment> assignments;

  bool Decode(ByteReader& in, int16_t version);
};

struct SyncGroupResponse {
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::optional<std::string> protocol_type;  // v5+
  std::optional<std::string> protocol_name;  // v5+
  std::string assignment;

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
