#include "kafka/protocol/offset_commit.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool OffsetCommitRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 8;
  group_id = in.String(flexible);
  if (version >= 1) {
    generation_id = in.Int32();
    member_id = in.String(flexible);
  }
  if (version >= 7) group_instance_id = in.NullableString(flexible);
  if (version >= 2 && version <= 4) in.Int64();  // RetentionTimeMs
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) in.Fail("null OffsetCommit topics");
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(flexible);
    int32_t m = in.ArrayLength(flexible);
    if (m < 0) in.Fail("null OffsetCommit partitions");
    for (int32_t j = 0; j < m && in.ok(); ++j) {
      Partition& p = t.partitions.emplace_back();
      p.index = in.Int32();
      p.committed_offset = in.Int64();
      if (version >= 6) p.committed_leader_epoch = in.Int32();
      if (version == 1) in.Int64();  // CommitTimestamp
      p.committed_metadata = in.NullableString(flexible);
      if (flexible) in.SkipTaggedFields();
    }
    if (flexible) in.SkipTaggedFields();
  }
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void OffsetCommitResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 8;
  if (version >= 3) w.Int32(throttle_time_ms);
  w.ArrayLength(static_cast<int32_t>(topics.size()), flexible);
  for (const auto& t : topics) {
    w.String(t.name, flexible);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), flexible);
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int16(p.error_code);
      if (flexible) w.EmptyTaggedFields();
    }
    if (flexible) w.EmptyTaggedFields();
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
