#pragma once
// LeaveGroup (key 13), versions 0-5 (LeaveGroupRequest.json,
// LeaveGroupResponse.json): members leave a group, which rebalances.
// v0-2 name one member; v3+ (KIP-345) a batch of members, by member id or
// group instance id, each answered with its own error; v4+ flexible; v5+
// a reason per member.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct LeaveGroupRequest {
  struct Member {
    std::string_view member_id;
    std::optional<std::string_view> group_instance_id;
    std::optional<std::string_view> reason;  // v5+
  };
  std::string_view group_id;
  // v0-2: the one member_id, as a member without instance id.
  std::vector<Member> members;

  bool Decode(ByteReader& in, int16_t version);
};

struct LeaveGroupResponse {
  struct Member {
    std::string member_id;
    std::optional<std::string> group_instance_id;
    int16_t error_code = 0;
  };
  int32_t throttle_time_ms = 0;  // v1+
  int16_t error_code = 0;
  std::vector<Member> members;  // v3+

  void Encode(std::string* out, int16_t version) const;
};

}  // namespace topicfs::kafka
