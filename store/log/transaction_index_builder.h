#pragma once
// Kafka's rebuild of a transaction index (LogSegment.recover with the
// ProducerStateManager): the log's transactional batches fed in log order,
// each producer's open transaction remembered from its first batch, and
// for each ABORT marker the .txnindex entry Kafka appends: first offset =
// that first batch's base offset (the marker's own offset when no
// transaction was open: its records were removed), last offset = the
// marker's, last stable offset = the first offset of the earliest
// transaction still open of another producer, else the marker's + 1.
//
// Because transactions span segments, the builder is fed every
// transactional batch from the log start, also of segments whose index is
// not being rebuilt. Not thread-safe: one loader uses it.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "store/base/types.h"
#include "store/format/aborted_txn.h"
#include "store/format/batch_check.h"

namespace topicfs::store {

class TransactionIndexBuilder {
 public:
  // One transactional batch; `control` says what a control batch's marker
  // is (nullopt for a data batch, or a control type that ends nothing).
  // Returns the entry an ABORT marker adds to its segment's index.
  std::optional<AbortedTxn> Add(const BatchLocation& batch, std::optional<ControlType> control);

 private:
  std::map<int64_t, Offset> open_;              // producer -> its transaction's first offset
  std::set<std::pair<Offset, int64_t>> by_first_;  // the same, ordered by first offset
};

}  // namespace topicfs::store
