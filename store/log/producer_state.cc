#include "store/log/producer_state.h"

#include <algorithm>
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

size_t ProducerStateTable::RemoveExpired(Timestamp now, int64_t expiration_ms) {
  return std::erase_if(producers_, [&](const auto& item) {
    const Entry& entry = item.second;
    return entry.batches.empty() || now.value - entry.batches.back().timestamp.value >= expiration_ms;
  });
}

std::vector<ProducerSnapshotEntry> ProducerStateTable::SnapshotEntries() const {
  std::vector<ProducerSnapshotEntry> out;
  out.reserve(producers_.size());
  for (const auto& [id, entry] : producers_) {
    if (entry.batches.empty()) continue;
    const Batch& last = entry.batches.back();
    ProducerSnapshotEntry e;
    e.producer_id = id;
    e.producer_epoch = entry.epoch;
    e.last_sequence = last.last_sequence;
    e.last_offset = last.last_offset.value;
    // Wrapped sequences: the distance from first to last, mod 2^31.
    const int64_t wrap = int64_t{std::numeric_limits<int32_t>::max()} + 1;
    e.offset_delta = static_cast<int32_t>(
        ((int64_t{last.last_sequence} - last.first_sequence) % wrap + wrap) % wrap);
    e.timestamp = last.timestamp.value;
    out.push_back(e);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.producer_id < b.producer_id; });
  return out;
}

void ProducerStateTable::Load(const ProducerSnapshotEntry& e) {
  if (e.producer_id < 0 || e.last_offset < 0) return;  // Kafka's "no batch" entry
  const int64_t wrap = int64_t{std::numeric_limits<int32_t>::max()} + 1;
  Batch b;
  b.last_sequence = e.last_sequence;
  b.first_sequence = static_cast<int32_t>(((int64_t{e.last_sequence} - e.offset_delta) % wrap + wrap) % wrap);
  b.first_offset = kUnknownOffset;
  b.last_offset = Offset(e.last_offset);
  b.timestamp = Timestamp(e.timestamp);
  Entry& entry = producers_[e.producer_id];
  entry.epoch = e.producer_epoch;
  entry.batches.assign(1, b);
}

const ProducerStateTable::Entry* ProducerStateTable::Find(int64_t producer_id) const {
  auto it = producers_.find(producer_id);
  return it == producers_.end() ? nullptr : &it->second;
}

}  // namespace topicfs::store
