#include "kafka/protocol/delete_topics.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool DeleteTopicsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 4;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null DeleteTopics topics");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    if (version >= 6) {
      t.name = in.NullableString(flexible);
      t.topic_id = in.ReadUuid();
      in.SkipTaggedFields();
    } else {
      t.name = in.String(flexible);
    }
  }
  timeout_ms = in.Int32();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void DeleteTopicsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 4;
  if (version >= 1) w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(responses.size()), flexible);
  for (const auto& r : responses) {
    if (version >= 6) {
      w.NullableString(AsView(r.name), flexible);
      w.WriteUuid(r.topic_id);
    } else {
      w.String(r.name.value_or(""), flexible);
    }
    w.Int16(r.error_code);
    if (version >= 5) w.NullableString(AsView(r.error_message), flexible);
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
