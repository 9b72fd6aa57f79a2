#include "kafka/protocol/describe_groups.h"

#include <climits>

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool DescribeGroupsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 5;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null DescribeGroups groups");
  for (int32_t i = 0; i < n && in.ok(); ++i) groups.push_back(in.String(flexible));
  if (version >= 3) include_authorized_operations = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void DescribeGroupsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 5;
  if (version >= 1) w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(groups.size()), flexible);
  for (const auto& g : groups) {
    w.Int16(g.error_code);
    w.String(g.group_id, flexible);
    w.String(g.group_state, flexible);
    w.String(g.protocol_type, flexible);
    w.String(g.protocol_data, flexible);
    w.ArrayLength(static_cast<int32_t>(g.members.size()), flexible);
    for (const auto& m : g.members) {
      w.String(m.member_id, flexible);
      if (version >= 4) w.NullableString(AsView(m.group_instance_id), flexible);
      w.String(m.client_id, flexible);
      w.String(m.client_host, flexible);
      w.NullableBytes(m.member_metadata, flexible);
      w.NullableBytes(m.member_assignment, flexible);
      if (flexible) w.EmptyTaggedFields();
    }
    if (version >= 3) w.Int32(INT32_MIN);  // authorized operations: not computed
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
