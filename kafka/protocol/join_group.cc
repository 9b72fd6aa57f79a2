#include "kafka/protocol/join_group.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool JoinGroupRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 6;
  group_id = in.String(flexible);
  session_timeout_ms = in.Int32();
  if (version >= 1) rebalance_timeout_ms = in.Int32();
  member_id = in.String(flexible);
  if (version >= 5) group_instance_id = in.NullableString(flexible);
  protocol_type = in.String(flexible);
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null JoinGroup protocols");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Protocol& p = protocols.emplace_back();
    p.name = in.String(flexible);
    p.metadata = in.Bytes(flexible);
    if (flexible) in.SkipTaggedFields();
  }
  if (version >= 8) reason = in.NullableString(flexible);
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void JoinGroupResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 6;
  if (version >= 2) w.Int32(throttle_time_ms);
  w.Int16(error_code);
  w.Int32(generation_id);
  if (version >= 7) {
    w.NullableString(AsView(protocol_type), flexible);
    w.NullableString(AsView(protocol_name), flexible);
  } else {
    w.String(protocol_name.value_or(""), flexible);
  }
  w.String(leader, flexible);
  if (version >= 9) w.Bool(skip_assignment);
  w.String(member_id, flexible);
  w.ArrayLength(static_cast<int32_t>(members.size()), flexible);
  for (const auto& m : members) {
    w.String(m.member_id, flexible);
    if (version >= 5) w.NullableString(AsView(m.group_instance_id), flexible);
    w.NullableBytes(m.metadata, flexible);
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
