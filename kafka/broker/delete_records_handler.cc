// DeleteRecords: moves each partition's log start up to the offset asked
// (-1: the high watermark, the log end), through LogManager::DeleteRecords
// (Log::DeleteRecordsBefore, then the log-start checkpoint), rounded up to
// the first record at or after it; the answer's low watermark is the new
// log start, also shown by the partition's log_start_offset xattr.
// OFFSET_OUT_OF_RANGE above the log end, as Kafka answers.

#include "kafka/broker/admin_apis.h"
#include "kafka/protocol/delete_records.h"
#include "kafka/protocol/error_codes.h"

namespace topicfs::kafka {

void AdminApis::HandleDeleteRecords(Answer& answer, ByteReader& in) {
  DeleteRecordsRequest request;
  if (!request.Decode(in, answer.version())) return answer.Refuse(in.error());
  DeleteRecordsResponse response;
  for (const auto& t : request.topics) {
    DeleteRecordsResponse::Topic& topic = response.topics.emplace_back();
    topic.name = std::string(t.name);
    for (const auto& p : t.partitions) {
      DeleteRecordsResponse::Partition& part = topic.partitions.emplace_back();
      part.index = p.index;
      auto log = logs_.GetLog(t.name, p.index);
      if (!log) {
        part.error_code = error::kUnknownTopicOrPartition;
        continue;
      }
      if (t.name.starts_with("__")) {
        part.error_code = error::kInvalidRequest;  // the store's own topics
        continue;
      }
      int64_t offset = p.offset == -1 ? log->log_end_offset().value : p.offset;
      auto start = logs_.DeleteRecords(t.name, p.index, store::Offset(offset));
      if (start.ok()) {
        part.low_watermark = start->value;
      } else if (start.status().code() == store::Code::kOutOfRange) {
        part.error_code = error::kOffsetOutOfRange;
      } else if (start.status().code() == store::Code::kNotFound) {
        part.error_code = error::kUnknownTopicOrPartition;
      } else {
        part.error_code = error::kKafkaStorageError;
      }
    }
  }
  std::string body;
  response.Encode(&body, answer.version());
  answer.Send(std::move(body));
}

}  // namespace topicfs::kafka
