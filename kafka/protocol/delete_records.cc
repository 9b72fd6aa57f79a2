#include "kafka/protocol/delete_records.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool DeleteRecordsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 2;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null DeleteRecords topics");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(flexible);
    int32_t m = in.ArrayLength(flexible);
    if (m < 0) in.Fail("null DeleteRecords partitions");
    for (int32_t j = 0; j < m && in.ok(); ++j) {
      Partition& p = t.partitions.emplace_back();
      p.index = in.Int32();
      p.offset = in.Int64();
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  timeout_ms = in.Int32();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void DeleteRecordsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 2;
  w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(topics.size()), flexible);
  for (const auto& t : topics) {
    w.String(t.name, flexible);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), flexible);
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int64(p.low_watermark);
      w.Int16(p.error_code);
      if (flexible) w.EmptyTaggedFields();
    }
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
