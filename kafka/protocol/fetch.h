#pragma once
// Fetch (key 1), versions 4-11 (FetchRequest.json, FetchResponse.json):
// records from partitions at given offsets, waiting up to max_wait_ms for
// min_bytes. v7+ has fetch sessions (we answer session id 0: none);
// v10 tells that the client reads zstd. Versions below 4 need the old
// message formats and are not served (Kafka 4 dropped them too).
//
// A response's records are not part of the encoded bytes: the encoder
// writes each partition's records size and then calls the records sink,
// which appends the records in its own way (the broker: file slices sent
// with sendfile), so the response is the bytes and the slices interleaved.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

struct FetchRequest {
  struct Partition {
    int32_t index = 0;
    int32_t current_leader_epoch = -1;  // v9+
    int64_t fetch_offset = 0;
    int32_t partition_max_bytes = 0;
  };
  struct Topic {
    std::string_view name;
    std::vector<Partition> partitions;
  };
  int32_t replica_id = -1;
  int32_t max_wait_ms = 0;
  int32_t min_bytes = 0;
  int32_t max_bytes = INT32_MAX;  // v3+
  int8_t isolation_level = 0;   // 0 read_uncommitted, 1 read_committed
  int32_t session_id = 0;       // v7+
  int32_t session_epoch = -1;   // v7+
  std::vector<Topic> topics;

  bool Decode(ByteReader& in, int16_t version);
};

struct FetchResponse {
  struct Partition {
    int32_t index = 0;
    int16_t error_code = 0;
    int64_t high_watermark = 0;
    int64_t last_stable_offset = -1;
    int64_t log_start_offset = -1;  // v5+
    int32_t records_size = 0;       // bytes the sink appends
    // A read_committed fetch's aborted transactions in the records sent
    // (producer id, first offset), by first offset: the consumer drops
    // their batches. Null (not listed) for read_uncommitted.
    struct AbortedTransaction {
      int64_t producer_id = 0;
      int64_t first_offset = 0;
    };
    bool list_aborted = false;
    std::vector<AbortedTransaction> aborted_transactions;
  };
  struct Topic {
    std::string name;
    std::vector<Partition> partitions;
  };
  int32_t throttle_time_ms = 0;
  int16_t error_code = 0;  // v7+
  int32_t session_id = 0;  // v7+
  std::vector<Topic> topics;

  // sink(topic, partition) is called where partition's records go, after
  // their size was written to out.
  using RecordsSink = std::function<void(size_t topic, size_t partition)>;
  void Encode(std::string* out, int16_t version, const RecordsSink& sink) const;
};

}  // namespace topicfs::kafka
