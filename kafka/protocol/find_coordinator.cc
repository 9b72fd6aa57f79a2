#include "kafka/protocol/find_coordinator.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool FindCoordinatorRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 3;
  if (version <= 3) keys.push_back(in.String(flexible));
  if (version >= 1) key_type = in.Int8();
  if (version >= 4) {
    int32_t n = in.ArrayLength(flexible);
    if (n < 0) in.Fail("null CoordinatorKeys");
    for (int32_t i = 0; i < n && in.ok(); ++i) keys.push_back(in.String(flexible));
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void FindCoordinatorResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 3;
  if (version >= 1) w.Int32(throttle_time_ms);
  if (version <= 3) {
    Coordinator none;
    const Coordinator& c = coordinators.empty() ? none : coordinators.front();
    w.Int16(c.error_code);
    if (version >= 1) w.NullableString(AsView(c.error_message), flexible);
    w.Int32(c.node_id);
    w.String(c.host, flexible);
    w.Int32(c.port);
  } else {
    w.ArrayLength(static_cast<int32_t>(coordinators.size()), flexible);
    for (const auto& c : coordinators) {
      w.String(c.key, flexible);
      w.Int32(c.node_id);
      w.String(c.host, flexible);
      w.Int32(c.port);
      w.Int16(c.error_code);
      w.NullableString(AsView(c.error_message), flexible);
      w.EmptyTaggedFields();
    }
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
