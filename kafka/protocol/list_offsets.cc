#include "kafka/protocol/list_offsets.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool ListOffsetsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 6;
  replica_id = in.Int32();
  if (version >= 2) isolation_level = in.Int8();
  int32_t n = in.ArrayLength(flexible);
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(flexible);
    int32_t m = in.ArrayLength(flexible);
    for (int32_t j = 0; j < m && in.ok(); ++j) {
      Partition& p = t.partitions.emplace_back();
      p.index = in.Int32();
      if (version >= 4) p.current_leader_epoch = in.Int32();
      p.timestamp = in.Int64();
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void ListOffsetsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 6;
  if (version >= 2) w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(topics.size()), flexible);
  for (const auto& t : topics) {
    w.String(t.name, flexible);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), flexible);
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int16(p.error_code);
      w.Int64(p.timestamp);
      w.Int64(p.offset);
      if (version >= 4) w.Int32(p.leader_epoch);
      if (flexible) w.EmptyTaggedFields();
    }
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
