#include "kafka/protocol/offset_fetch.h"

#include "kafka/protocol/byte_writer.h"
#include "kafka/protocol/nullable.h"

namespace topicfs::kafka {

namespace {

// A topic array: null (every position) only where `nullable`.
std::optional<std::vector<OffsetFetchRequest::Topic>> DecodeTopics(ByteReader& in, bool flexible,
                                                                   bool nullable) {
  int32_t n = in.ArrayLength(flexible);
  if (n < 0) {
    if (!nullable) in.Fail("null OffsetFetch topics before v2");
    return std::nullopt;
  }
  std::vector<OffsetFetchRequest::Topic> topics;
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    auto& t = topics.emplace_back();
    t.name = in.String(flexible);
    int32_t m = in.ArrayLength(flexible);
    if (m < 0) in.Fail("null OffsetFetch partition indexes");
    for (int32_t j = 0; j < m && in.ok(); ++j) t.partition_indexes.push_back(in.Int32());
    if (flexible) in.SkipTaggedFields();
  }
  return topics;
}

void EncodeTopics(ByteWriter& w, const std::vector<OffsetFetchResponse::Topic>& topics, int16_t version,
                  bool flexible) {
  w.ArrayLength(static_cast<int32_t>(topics.size()), flexible);
  for (const auto& t : topics) {
    w.String(t.name, flexible);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), flexible);
    for (const auto& p : t.partitions) {
      w.Int32(p.index);
      w.Int64(p.committed_offset);
      if (version >= 5) w.Int32(p.committed_leader_epoch);
      w.NullableString(AsView(p.metadata), flexible);
      w.Int16(p.error_code);
      if (flexible) w.EmptyTaggedFields();
    }
    if (flexible) w.EmptyTaggedFields();
  }
}

}  // namespace

bool OffsetFetchRequest::Decode(ByteReader& in, int16_t version) {
  const bool flexible = version >= 6;
  if (version <= 7) {
    Group& g = groups.emplace_back();
    g.group_id = in.String(flexible);
    g.topics = DecodeTopics(in, flexible, version >= 2);
  } else {
    int32_t n = in.ArrayLength(flexible);
    if (n < 0) in.Fail("null OffsetFetch groups");
    for (int32_t i = 0; i < n && in.ok(); ++i) {
      Group& g = groups.emplace_back();
      g.group_id = in.String(flexible);
      g.topics = DecodeTopics(in, flexible, true);
      if (flexible) in.SkipTaggedFields();
    }
  }
  if (version >= 7) require_stable = in.Bool();
  if (flexible) in.SkipTaggedFields();
  return in.ok();
}

void OffsetFetchResponse::Encode(std::string* out, int16_t version) const {
  ByteWriter w(out);
  const bool flexible = version >= 6;
  if (version >= 3) w.Int32(throttle_time_ms);
  if (version <= 7) {
    Group none;
    const Group& g = groups.empty() ? none : groups.front();
    EncodeTopics(w, g.topics, version, flexible);
    if (version >= 2) w.Int16(g.error_code);
  } else {
    w.ArrayLength(static_cast<int32_t>(groups.size()), flexible);
    for (const auto& g : groups) {
      w.String(g.group_id, flexible);
      EncodeTopics(w, g.topics, version, flexible);
      w.Int16(g.error_code);
      w.EmptyTaggedFields();
    }
  }
  if (flexible) w.EmptyTaggedFields();
}

}  // namespace topicfs::kafka
