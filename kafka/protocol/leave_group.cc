#include "kafka/protocol/leave_group.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool LeaveGroupRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 4;
  group_id = in.String(flexible);
  if (version <= 2) {
    members.push_back({in.String(flexible), std::nullopt, std::nullopt});
  } else {
    int32_t n = in.ArrayLength(flexible);
    if (n < 0) in.Fail("null LeaveGroup members");
    for (int32_t i = 0; i < n && in.ok(); ++i) {
      Member& m = members.emplace_back();
      m.member_id = in.String(flexible);
      m.group_instance_id = in.NullableString(flexible);
      if (version >= 5) m.reason = in.NullableString(flexible);
      if (flexible) in.SkipTaggedFields();
    }
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void LeaveGroupResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 4;
  if (version >= 1) w.Int32(throttle_time_ms);
  w.Int16(error_code);
  if (version >= 3) {
    w.ArrayLength(static_cast<int32_t>(members.size()), flexible);
    for (const auto& m : members) {
      w.String(m.member_id, flexible);
      w.NullableString(AsView(m.group_instance_id), flexible);
      w.Int16(m.error_code);
      if (flexible) w.EmptyTaggedFields();
    }
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
