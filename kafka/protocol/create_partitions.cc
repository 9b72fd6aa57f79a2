#include "kafka/protocol/create_partitions.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

bool CreatePartitionsRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 2;
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null CreatePartitions topics");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(flexible);
    t.count = in.Int32();
    int32_t a = in.ArrayLength(flexible);
    t.has_assignments = a >= 0;
    for (int32_t j = 0; j < a && in.ok(); ++j) {
      int32_t b = in.ArrayLength(flexible);
      if (b < 0) in.Fail("null CreatePartitions broker ids");
      for (int32_t k = 0; k < b && in.ok(); ++k) in.Int32();
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  timeout_ms = in.Int32();
  validate_only = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void CreatePartitionsResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 2;
  w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(results.size()), flexible);
  for (const auto& r : results) {
    w.String(r.name, flexible);
    w.Int16(r.error_code);
    w.NullableString(AsView(r.error_message), flexible);
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
