// The Log's transactions (docs/format.md, "Transaction index"): the
// segments' .txnindex rebuilt at load (docs/recovery.md, step 4b), their
// entries published to readers, and listed for a Kafka fetch.

#include <set>

#include "store/format/record_reader.h"
#include "store/log/log.h"
#include "store/log/transaction_index_builder.h"

namespace topicfs::store {

// Step 4b, as Kafka's recovery rebuilds a segment's transaction index
// with the producer state: the open transactions come from the batches
// before the segment too, so the log is walked from its start, headers
// only (and the markers' records), up to the last segment rebuilt. Only
// when a recovered segment holds transactional batches: a log without
// transactions costs nothing. A recovered segment without any has no
// entries, and a .txnindex it had goes.
Status Log::RebuildTransactionIndexes(const std::vector<std::shared_ptr<LogSegment>>& recovered) {
  std::set<Offset> rebuilt;
  for (const auto& segment : recovered) {
    if (segment->holds_transactional_batches()) {
      rebuilt.insert(segment->base_offset());
    } else {
      RETURN_IF_ERROR(segment->WriteAbortedTxns({}));
    }
  }
  if (!rebuilt.empty()) {
    TransactionIndexBuilder builder;
    for (const auto& segment : Segments()) {
      if (segment->base_offset() > *rebuilt.rbegin()) break;
      std::vector<AbortedTxn> entries;
      Status record_status;
      RETURN_IF_ERROR(segment->ScanBatches(FilePosition(0), [&](const BatchLocation& loc) {
        if (!loc.transactional) return true;
        std::optional<ControlType> control;
        if (loc.control) {
          record_status = segment->ForEachRecord(loc, [&](const RecordView& rec) {
            if (!control) control = ControlTypeOfKey(rec.key);
          });
          if (!record_status.ok()) return false;
        }
        if (auto entry = builder.Add(loc, control)) entries.push_back(*entry);
        return true;
      }));
      RETURN_IF_ERROR(record_status);
      if (rebuilt.count(segment->base_offset())) RETURN_IF_ERROR(segment->WriteAbortedTxns(std::move(entries)));
    }
  }
  return Status::Ok();
}

void Log::PublishAbortedTransactions() const {
  std::vector<AbortedTxn> all;
  for (const auto& segment : Segments()) {
    std::vector<AbortedTxn> entries = segment->aborted_txns();
    all.insert(all.end(), entries.begin(), entries.end());
  }
  aborted_->Publish(all);
}

std::vector<AbortedTxn> Log::AbortedTransactionsIn(Offset from, Offset to) const {
  return aborted_->Collect(from, to);
}

}  // namespace topicfs::store
