#include "kafka/protocol/delete_groups.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool DeleteGroupsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 2;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null DeleteGroups names");
  for (int32_t i = 0; i < n && in.ok(); ++i) groups_names.push_back(in.String(flexible));
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void DeleteGroupsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 2;
  w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(results.size()), flexible);
  for (const auto& r : results) {
    w.String(r.group_id, flexible);
    w.Int16(r.error_code);
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
