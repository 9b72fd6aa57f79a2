// Fetch: whole stored batches from the batch holding the fetch offset,
// sent straight from the segment files with sendfile(2) (FileSlice), as
// Kafka's FileRecords are. The first partition with data gets at least one
// batch however large (KIP-74); after it, max_bytes and each partition's
// max bytes bound the response. A batch may start before the fetch offset:
// clients skip the records below it. Fewer than min_bytes waits up to
// max_wait_ms in DelayedFetches. OFFSET_OUT_OF_RANGE outside
// [log start, log end]. No fetch sessions: session id 0 every time.
// A read_committed fetch lists the aborted transactions of the partition's
// .txnindex files that the batches sent may hold (Kafka's
// collectAbortedTxns), so the consumer drops their records as the file's
// readers never see them. The last stable offset is the high watermark:
// topicfs writes no transactions, and a copied-in log's transaction still
// open at its end is sent as read_uncommitted sees it (Kafka would hold a
// read_committed consumer below its first offset).

#include <algorithm>
#include <chrono>

#include "kafka/broker/broker.h"
#include "kafka/broker/error_map.h"
#include "kafka/protocol/error_codes.h"
#include "kafka/protocol/fetch.h"

namespace topicfs::kafka {

namespace {
struct PendingFetch {
  FetchRequest request;
};
}  // namespace

bool Broker::TryAnswerFetch(Call& call, const FetchRequest& request, bool final) {
  FetchResponse response;
  std::vector<std::vector<std::vector<store::FetchSlice>>> slices;
  int64_t remaining = request.max_bytes;
  int64_t total = 0;
  bool failed = false;
  for (const auto& t : request.topics) {
    FetchResponse::Topic& topic = response.topics.emplace_back();
    topic.name = std::string(t.name);
    auto& topic_slices = slices.emplace_back();
    for (const auto& p : t.partitions) {
      FetchResponse::Partition& part = topic.partitions.emplace_back();
      auto& part_slices = topic_slices.emplace_back();
      part.index = p.index;
      auto log = logs_->GetLog(t.name, p.index);
      if (!log) {
        part.error_code = error::kUnknownTopicOrPartition;
        part.high_watermark = -1;
        failed = true;
        continue;
      }
      part.high_watermark = log->log_end_offset().value;
      part.last_stable_offset = part.high_watermark;
      part.log_start_offset = log->log_start_offset().value;
      if (remaining <= 0 && total > 0) continue;
      int64_t limit = std::min<int64_t>(p.partition_max_bytes, std::max<int64_t>(remaining, 0));
      auto found = log->SlicesForFetch(store::Offset(p.fetch_offset), limit, /*at_least_one=*/total == 0);
      if (!found.ok()) {
        part.error_code = KafkaErrorForRead(found.status());
        failed = true;
        continue;
      }
      // The ends the slices were cut against, so the two agree.
      part.high_watermark = found->high_watermark.value;
      part.last_stable_offset = part.high_watermark;
      part.log_start_offset = found->log_start_offset.value;
      part.records_size = static_cast<int32_t>(found->bytes);
      if (request.isolation_level == 1) {
        part.list_aborted = true;
        for (const store::AbortedTxn& a :
             log->AbortedTransactionsIn(store::Offset(p.fetch_offset), found->high_watermark)) {
          part.aborted_transactions.push_back({a.producer_id, a.first_offset.value});
        }
      }
      part_slices = std::move(found->slices);
      remaining -= found->bytes;
      total += found->bytes;
    }
  }
  if (!final && !failed && total < std::max(request.min_bytes, 1)) return false;

  Response out;
  std::string bytes;
  EncodeResponseHeader(&bytes, call.header.api_key, call.header.api_version,
                       call.header.correlation_id);
  response.Encode(&bytes, call.header.api_version, [&](size_t ti, size_t pi) {
    out.AddBytes(std::move(bytes));
    bytes.clear();
    for (auto& s : slices[ti][pi]) {
      // The response owns the descriptor until the slice is sent.
      auto fd = std::make_shared<store::OwnedFd>(std::move(s.fd));
      const int raw = fd->get();
      out.AddSlice(FileSlice{raw, static_cast<off_t>(s.position.value), s.length, std::move(fd)});
    }
  });
  out.AddBytes(std::move(bytes));
  call.responder.Send(std::move(out));
  return true;
}

void Broker::HandleFetch(std::shared_ptr<Call> call, ByteReader& in) {
  auto pending = std::make_shared<PendingFetch>();
  if (!pending->request.Decode(in, call->header.api_version)) {
    return Refuse(*call, "Fetch request: " + in.error());
  }
  const bool wait = pending->request.max_wait_ms > 0;
  if (TryAnswerFetch(*call, pending->request, /*final=*/!wait)) return;
  auto deadline = DelayedFetches::Clock::now() + std::chrono::milliseconds(pending->request.max_wait_ms);
  delayed_fetches_.Park(deadline, [this, call, pending](bool expired) {
    return TryAnswerFetch(*call, pending->request, expired);
  });
}

}  // namespace topicfs::kafka
