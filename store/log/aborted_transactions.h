#pragma once
// The aborted transactions of a whole partition, for its readers: the
// entries of every segment's .txnindex gathered into one table by
// producer. A segment's reads ask it whether a transactional batch belongs
// to an aborted transaction, and present nothing of one that does, as
// Kafka's read_committed consumer shows nothing of it. It is one table for
// the partition, not one per segment, because a transaction's records may
// lie in segments before the one holding its ABORT marker (and its entry).
//
// Open transactions (no marker yet) have no entry: their records are
// presented, as Kafka's default (read_uncommitted) consumer shows them.
//
// Thread safety: Publish is called by the Log's appender (load, retention,
// the cleaner's swap); Covers and Collect by any number of readers at
// once. A reader sees the table before or after a Publish, never a mix.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "store/base/mutex.h"
#include "store/base/types.h"
#include "store/format/aborted_txn.h"

namespace topicfs::store {

class AbortedTransactions {
 public:
  // Replaces the table by these entries (every segment's, in any order).
  void Publish(std::span<const AbortedTxn> entries) EXCLUDES(mu_);
  // Whether producer_id's batch spanning [base, last] is inside one of its
  // aborted transactions: it starts at or after the transaction's first
  // offset and before its ABORT marker.
  bool Covers(int64_t producer_id, Offset base, Offset last) const EXCLUDES(mu_);
  // The entries a Kafka fetch of [from, to) must list (Kafka's
  // collectAbortedTxns): those whose last offset >= from and whose first
  // offset < to, ordered by first offset.
  std::vector<AbortedTxn> Collect(Offset from, Offset to) const EXCLUDES(mu_);
  bool empty() const EXCLUDES(mu_);

 private:
  // producer id -> its aborted transactions, ordered by first offset.
  using Table = std::map<int64_t, std::vector<AbortedTxn>>;
  std::shared_ptr<const Table> Snapshot() const EXCLUDES(mu_);

  mutable Mutex mu_;
  std::shared_ptr<const Table> table_ GUARDED_BY(mu_) = std::make_shared<const Table>();
};

}  // namespace topicfs::store
