#include "kafka/protocol/produce.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool ProduceRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 9;
  if (version >= 3) transactional_id = in.NullableString(flexible);
  acks = in.Int16();
  timeout_ms = in.Int32();
  int32_t n = in.ArrayLength(flexible);
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(flexible);
    int32_t m = in.ArrayLength(flexible);
    for (int32_t j = 0; j < m && in.ok(); ++j) {
      Partition& p = t.partitions.emplace_back();
      p.index = in.Int32();
      p.records = in.NullableBytes(flexible);
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void ProduceResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 9;
  w.ArrayLength(static_cast<int32_t>(topics.size()), flexible);
  for (const auto& t : topics) {
    w.String(t.name, flexible);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), flexible);
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int16(p.error_code);
      w.Int64(p.base_offset);
      if (version >= 2) w.Int64(p.log_append_time_ms);
      if (version >= 5) w.Int64(p.log_start_offset);
      if (version >= 8) {
        w.ArrayLength(0, flexible);  // record errors
        w.NullableString(p.error_message ? std::optional<std::string_view>(*p.error_message)
                                         : std::nullopt,
                         flexible);
      }
      if (flexible) w.EmptyTaggedFields();
    }
    if (flexible) w.EmptyTaggedFields();
  }
  if (version >= 1) w.Int32(throttle_time_ms);
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
