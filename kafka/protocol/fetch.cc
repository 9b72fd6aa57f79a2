#include "kafka/protocol/fetch.h"

#include "kafka/protocol/byte_writer.h"

namespace topicfs::kafka {

bool FetchRequest::Decode(ByteReader& in, int16_t version) {
  replica_id = in.Int32();
  max_wait_ms = in.Int32();
  min_bytes = in.Int32();
  max_bytes = in.Int32();
  isolation_level = in.Int8();
  if (version >= 7) {
    session_id = in.Int32();
    session_epoch = in.Int32();
  }
  int32_t n = in.ArrayLength(false);
  for (int32_t i = 0; i < n && in.ok(); ++i) {
    Topic& t = topics.emplace_back();
    t.name = in.String(false);
    int32_t m = in.ArrayLength(false);
    for (int32_t j = 0; j < m && in.ok(); ++j) {
      Partition& p = t.partitions.emplace_back();
      p.index = in.Int32();
      if (version >= 9) p.current_leader_epoch = in.Int32();
      p.fetch_offset = in.Int64();
      if (version >= 5) in.Int64();  // a follower's log start offset
      p.partition_max_bytes = in.Int32();
    }
  }
  if (version >= 7) {
    // Forgotten topics: only meaningful in a fetch session, which we never open.
    int32_t forgotten = in.ArrayLength(false);
    for (int32_t i = 0; i < forgotten && in.ok(); ++i) {
      in.String(false);
      int32_t m = in.ArrayLength(false);
      for (int32_t j = 0; j < m && in.ok(); ++j) in.Int32();
    }
  }
  if (version >= 11) in.String(false);  // rack id
  return in.ok();
}

void FetchResponse::Encode(std::string* out, int16_t version, const RecordsSink& sink) const {
  ByteWriter w(out);
  w.Int32(throttle_time_ms);
  if (version >= 7) {
    w.Int16(error_code);
    w.Int32(session_id);
  }
  w.ArrayLength(static_cast<int32_t>(topics.size()), false);
  for (size_t ti = 0; ti < topics.size(); ++ti) {
    const Topic& t = topics[ti];
    w.String(t.name, false);
    w.ArrayLength(static_cast<int32_t>(t.partitions.size()), false);
    for (size_t pi = 0; pi < t.partitions.size(); ++pi) {
      const Partition& p = t.partitions[pi];
      w.Int32(p.index);
      w.Int16(p.error_code);
      w.Int64(p.high_watermark);
      w.Int64(p.last_stable_offset);
      if (version >= 5) w.Int64(p.log_start_offset);
      if (p.list_aborted) {
        w.ArrayLength(static_cast<int32_t>(p.aborted_transactions.size()), false);
        for (const auto& a : p.aborted_transactions) {
          w.Int64(a.producer_id);
          w.Int64(a.first_offset);
        }
      } else {
        w.ArrayLength(-1, false);  // null: read_uncommitted
      }
      if (version >= 11) w.Int32(-1);  // preferred read replica
      w.Int32(p.records_size);
      if (p.records_size > 0) sink(ti, pi);
    }
  }
}

}  // namespace topicfs::kafka
