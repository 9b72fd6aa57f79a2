#include "kafka/protocol/heartbeat.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool HeartbeatRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 4;
  group_id = in.String(flexible);
  generation_id = in.Int32();
  member_id = in.String(flexible);
  if (version >= 3) group_instance_id = in.NullableString(flexible);
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void HeartbeatResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  if (version >= 1) w.Int32(throttle_time_ms);
  w.Int16(error_code);
  if (version >= 4) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
