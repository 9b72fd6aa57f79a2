#include "store/log/producer_state.h"

#include <limits>

namespace topicfs::store {

int32_t ProducerStateTable::LastSequence(int32_t first_sequence, int32_t records) {
  // In 64 bits, then wrapped: first + records - 1 may pass INT32_MAX.
  const int64_t last = static_cast<int64_t>(first_sequence) + records - 1;
  const int64_t wrap = int64_t{std::numeric_limits<int32_t>::max()} + 1;
  return static_cast<int32_t>(last % wrap);
}

namespace {

// Whether `next` is the sequence right after `last` (wrapping).
bool Follows(int32_t last, int32_t next) {
  return last == std::numeric_limits<int32_t>::max() ? next == 0 : next == last + 1;
}

}  // namespace

ProducerStateTable::Judgement ProducerStateTable::Judge(int64_t producer_id, int16_t epoch,
                                                        int32_t first_sequence, int32_t last_sequence) const {
  Judgement j;
  if (producer_id < 0) return j;
  const Entry* entry = Find(producer_id);
  // A producer this partition knows nothing of is taken at any sequence,
  // as Kafka takes it since KIP-360: its state may have gone with the
  // segments retention deleted, and refusing it would wedge the producer.
  if (entry == nullptr || entry->batches.empty()) return j;
  if (epoch < entry->epoch) {
    j.verdict = Verdict::kInvalidEpoch;
    return j;
  }
  if (epoch > entry->epoch) {
    // A new epoch (the producer was reset) starts its sequences again.
    if (first_sequence != 0) j.verdict = Verdict::kOutOfOrderSequence;
    return j;
  }
  for (const Batch& b : entry->batches) {
    if (b.first_sequence == first_sequence && b.last_sequence == last_sequence) {
      j.verdict = Verdict::kDuplicate;
      j.duplicate_of = b;
      return j;
    }
  }
  if (!Follows(entry->batches.back().last_sequence, first_sequence)) j.verdict = Verdict::kOutOfOrderSequence;
  return j;
}

void ProducerStateTable::Record(int64_t producer_id, int16_t epoch, const Batch& batch) {
  if (producer_id < 0) return;
  Entry& entry = producers_[producer_id];
  if (epoch != entry.epoch) entry.batches.clear();  // a new epoch's sequences start again
  entry.epoch = epoch;
  entry.batches.push_back(batch);
  while (entry.batches.size() > kBatchesKept) entry.batches.pop_front();
}

const ProducerStateTable::Entry* ProducerStateTable::Find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

}  // namespace topicfs::store
