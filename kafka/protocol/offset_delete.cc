#include "kafka/protocol/offset_delete.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool OffsetDeleteRequest::Decode(ByteReader& in, int16_t /*version*/) {
  group_id = in.String(false);
  int32_t n = in.ArrayLength(false);
  if (n < 0) in.Fail("null OffsetDelete topics");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(false);
    int32_t m = in.ArrayLength(false);
    if (m < 0) in.Fail("null OffsetDelete partitions");
    for (int32_t j = 0; j < m && in.ok(); ++j) t.partitions.push_back(in.Int32());
  }
  return in.ok();
}

void OffsetDeleteResponse::Encode(std::string* out, int16_t /*version*/) const {
  ByteWriter w(out);
  w.Int16(error_code);
  w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(topics.size()), false);
  for (const auto& t : topics) {
    w.String(t.name, false);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), false);
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int16(p.error_code);
    }
  }
}

}  // namespace topicfs::kafka
