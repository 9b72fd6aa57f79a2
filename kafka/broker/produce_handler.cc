// Produce: each partition's batches appended through the store, which
// checks them and gives their records byte-position offsets (the base
// offset answered is the first record's position in the partition file).
// acks 0 answers nothing; 1 and -1 answer once appended (on one node
// every replica is in sync). A partition's failure is its own error code;
// the others still append. An idempotent producer's batch is judged by
// the log (Log::AppendProducedBatches): a retry of one of its last five
// batches is answered NONE with the base offset it got the first time,
// appending nothing, as Kafka answers it; a sequence out of turn is
// OUT_OF_ORDER_SEQUENCE_NUMBER, a fenced epoch INVALID_PRODUCER_EPOCH, a
// second batch beside it INVALID_RECORD. Transactional producers are
// refused (no transactions yet), and so are produces to internal ("__")
// topics.

#include <spdlog/spdlog.h>

#include "kafka/broker/broker.h"
#include "kafka/broker/error_map.h"
#include "kafka/protocol/error_codes.h"
#include "kafka/protocol/produce.h"

namespace topicfs::kafka {

void Broker::HandleProduce(Call& call, ByteReader& in) {
  const int16_t version = call.header.api_version;
  ProduceRequest request;
  if (!request.Decode(in, version)) return Refuse(call, "Produce request: " + in.error());

  ProduceResponse response;
  bool appended = false;
  for (const auto& t : request.topics) {
    ProduceResponse::Topic& topic = response.topics.emplace_back();
    topic.name = std::string(t.name);
    for (const auto& p : t.partitions) {
      ProduceResponse::Partition& part = topic.partitions.emplace_back();
      part.index = p.index;
      auto log = logs_->GetLog(t.name, p.index);
      if (request.acks != 0 && request.acks != 1 && request.acks != -1) {
        part.error_code = error::kInvalidRequiredAcks;
      } else if (request.transactional_id) {
        part.error_code = error::kTransactionalIdAuthorizationFailed;
      } else if (!log) {
        part.error_code = error::kUnknownTopicOrPartition;
      } else if (t.name.rfind("__", 0) == 0) {
        // Internal topics (__consumer_offsets) are the store's to write, as on a broker.
        part.error_code = error::kInvalidTopicException;
      } else if (version < 3) {
        // v0-2 carry magic 0/1 message sets, which topicfs does not store.
        part.error_code = error::kUnsupportedForMessageFormat;
      } else if (!p.records || p.records->empty()) {
        part.error_code = error::kInvalidRecord;
      } else {
        auto result = log->AppendProducedBatches(*p.records);
        if (result.ok()) {
          part.base_offset = result->first_offset.value;
          if (!result->duplicate) {
            appended = true;
            if (options_.on_append) options_.on_append(*log);
          }
        } else {
          part.error_code = KafkaErrorForAppend(result.status());
          part.error_message = result.status().message();
          spdlog::debug("kafka: produce to {}-{} refused: {}", t.name, p.index,
                        result.status().message());
        }
      }
      if (log) part.log_start_offset = log->log_start_offset().value;
    }
  }
  if (appended) delayed_fetches_.Poke();
  if (request.acks == 0) return call.responder.SendNothing();
  std::string body;
  response.Encode(&body, version);
  Reply(call, std::move(body));
}

}  // namespace topicfs::kafka
