#include "kafka/protocol/list_groups.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool ListGroupsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 3;
  if (version >= 4) {
    int32_t n = in.ArrayLength(flexible);
    if (n < 0) in.Fail("null ListGroups states filter");
    for (int32_t i = 0; i < n && in.ok(); ++i) states_filter.push_back(in.String(flexible));
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void ListGroupsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 3;
  if (version >= 1) w.Int32(throttle_time_ms);
  w.Int16(error_code);
  w.ArrayLength(static_cast<int32_t>(groups.size()), flexible);
  for (const auto& g : groups) {
    w.String(g.group_id, flexible);
    w.String(g.protocol_type, flexible);
    if (version >= 4) w.String(g.group_state, flexible);
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
