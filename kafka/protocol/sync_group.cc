#include "kafka/protocol/sync_group.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool SyncGroupRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 4;
  group_id = in.String(flexible);
  generation_id = in.Int32();
  member_id = in.String(flexible);
  if (version >= 3) group_instance_id = in.NullableString(flexible);
  if (version >= 5) {
    protocol_type = in.NullableString(flexible);
    protocol_name = in.NullableString(flexible);
  }
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null SyncGroup assignments");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Assignment& a = assignments.emplace_back();
    a.member_id = in.String(flexible);
    a.assignment = in.Bytes(flexible);
    if (flexible) in.SkipTaggedFields();
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void SyncGroupResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 4;
  if (version >= 1) w.Int32(throttle_time_ms);
  w.Int16(error_code);
  if (version >= 5) {
    w.NullableString(AsView(protocol_type), flexible);
    w.NullableString(AsView(protocol_name), flexible);
  }
  w.NullableBytes(assignment, flexible);
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
