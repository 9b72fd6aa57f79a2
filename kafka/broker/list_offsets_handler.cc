// ListOffsets: earliest (-2) is the log start, latest (-1) the log end
// (the partition file's size, and Kafka's high watermark), a time the
// first record at or after it, through the time index. The timestamp
// answered for a time is the one asked (a lower bound of the record's own:
// the store's lookup returns the offset only).

#include "kafka/broker/broker.h"
#include "kafka/broker/error_map.h"
#include "kafka/protocol/error_codes.h"
#include "kafka/protocol/list_offsets.h"
#include "store/base/types.h"

namespace topicfs::kafka {

void Broker::HandleListOffsets(Call& call, ByteReader& in) {
  const int16_t version = call.header.api_version;
  ListOffsetsRequest request;
  if (!request.Decode(in, version)) return Refuse(call, "ListOffsets request: " + in.error());

  ListOffsetsResponse response;
  for (const auto& t : request.topics) {
    ListOffsetsResponse::Topic& topic = response.topics.emplace_back();
    topic.name = std::string(t.name);
    for (const auto& p : t.partitions) {
      ListOffsetsResponse::Partition& part = topic.partitions.emplace_back();
      part.index = p.index;
      auto log = logs_->GetLog(t.name, p.index);
      if (!log) {
        part.error_code = error::kUnknownTopicOrPartition;
        continue;
      }
      part.leader_epoch = store::kTopicfsLeaderEpoch;  // every batch's
      if (p.timestamp == kEarliestTimestamp) {
        part.offset = log->log_start_offset().value;
      } else if (p.timestamp == kLatestTimestamp) {
        part.offset = log->log_end_offset().value;
      } else if (p.timestamp >= 0) {
        auto found = log->OffsetForTimestamp(store::Timestamp(p.timestamp));
        if (!found.ok()) {
          part.error_code = KafkaErrorForRead(found.status());
        } else if (*found) {
          part.offset = (*found)->value;
          part.timestamp = p.timestamp;
        }
      } else {
        part.error_code = error::kInvalidRequest;
      }
    }
  }
  std::string body;
  response.Encode(&body, version);
  Reply(call, std::move(body));
}

}  // namespace topicfs::kafka
