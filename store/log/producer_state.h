#pragma once
// What a partition knows of each idempotent producer: its epoch and the
// sequence numbers and offsets of its last five batches, as Kafka's
// ProducerStateManager keeps them, so that a Produce retried after a lost
// answer is recognised (answered with the offsets it got the first time,
// appending nothing) and one that skips or repeats sequences out of turn
// is refused. Judge before appending, Record after the append landed.
//
// Thread safety: none; the log calls it under its append lock.

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "store/base/types.h"
#include "store/format/producer_snapshot.h"

namespace topicfs::store {

class ProducerStateTable {
 public:
  // Kafka keeps the metadata of a producer's last five batches
  // (ProducerStateEntry.NUM_BATCHES_TO_RETAIN): a client has at most five
  // requests in flight per partition with idempotence on.
  static constexpr size_t kBatchesKept = 5;

  // A batch loaded from a snapshot does not know its first offset: Kafka's
  // snapshot keeps the last offset and last - first sequence, whose
  // difference is also the offsets' in Kafka but not in topicfs's byte
  // positions. The log finds it when a duplicate needs it.
  static constexpr Offset kUnknownOffset{-1};

  struct Batch {
    int32_t first_sequence = 0;
    int32_t last_sequence = 0;
    Offset first_offset;  // kUnknownOffset when loaded from a snapshot
    Offset last_offset;
    Timestamp timestamp;
  };

  enum class Verdict {
    kAppend,              // new and in turn (or no producer id): append it
    kDuplicate,           // one of the last five again: answer with its offsets
    kOutOfOrderSequence,  // Kafka's OUT_OF_ORDER_SEQUENCE_NUMBER
    kInvalidEpoch,        // an epoch below the producer's: INVALID_PRODUCER_EPOCH
  };
  struct Judgement {
    Verdict verdict = Verdict::kAppend;
    std::optional<Batch> duplicate_of;  // with kDuplicate
  };

  // The last sequence of a batch of `records` records from first_sequence:
  // sequences wrap from INT32_MAX to 0, as Kafka's do.
  static int32_t LastSequence(int32_t first_sequence, int32_t records);

  // How a batch with these producer fields would be taken, as Kafka's
  // ProducerAppendInfo judges it (epoch first, then duplicates, then the
  // sequence's turn). producer_id < 0 is no producer: always kAppend.
  Judgement Judge(int64_t producer_id, int16_t epoch, int32_t first_sequence, int32_t last_sequence) const;

  // Notes a batch that was appended (after Judge said kAppend).
  void Record(int64_t producer_id, int16_t epoch, const Batch& batch);

  // What the table holds of one producer, for tests and snapshots.
  struct Entry {
    int16_t epoch = -1;
    std::deque<Batch> batches;  // oldest first, at most kBatchesKept
  };
  const Entry* Find(int64_t producer_id) const;
  // Forgets the producers whose last batch's timestamp is expiration_ms or
  // more before now, as Kafka's removeExpiredProducers does
  // (producer.id.expiration.ms): a producer that comes back after that is
  // taken at any sequence, as one this partition never knew. Returns how
  // many were forgotten.
  size_t RemoveExpired(Timestamp now, int64_t expiration_ms);
  size_t size() const { return producers_.size(); }
  bool empty() const { return producers_.empty(); }
  void Clear() { producers_.clear(); }

  // Kafka's snapshot of the table: each producer's epoch and last batch,
  // in producer id order (so the same table gives the same bytes). Only
  // the last batch survives a snapshot, as in Kafka: a duplicate of an
  // older one of the last five is recognised only when the replay after
  // loading the snapshot saw that batch again.
  std::vector<ProducerSnapshotEntry> SnapshotEntries() const;
  // Adds a snapshot's entry (its one batch, first offset unknown).
  void Load(const ProducerSnapshotEntry& entry);

 private:
  std::unordered_map<int64_t, Entry> producers_;
};

}  // namespace topicfs::store
