#include "store/manager/kafka_import.h"

#include <algorithm>
#include <span>
#include <vector>

#include "store/base/big_endian.h"
#include "store/base/format.h"
#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"
#include "store/format/consumer_offsets_format.h"
#include "store/format/file_names.h"
#include "store/format/presented_record.h"
#include "store/io/atomic_file.h"
#include "store/manager/group_offsets.h"
#include "store/manager/kafka_partition_reader.h"

namespace topicfs::store {
namespace {

constexpr std::string_view kMapFile = "kafka-offsets.map";
constexpr int64_t kProgressEvery = int64_t{4} << 20;

// How each producer's transactions ended: [first, marker] offset ranges.
struct Transaction {
  int64_t first = 0;
  int64_t marker = INT64_MAX;  // no marker by the end: still open
  bool committed = false;
};
using Transactions = std::map<int64_t, std::vector<Transaction>>;

// A control record's key: int16 version, int16 type (0 abort, 1 commit).
std::optional<bool> CommitOfMarker(const KafkaPartitionReader::Batch& batch) {
  if (batch.records.empty() || !batch.records[0].key || batch.records[0].key->size() < 4) return std::nullopt;
  const int16_t type = be::Load<int16_t>(batch.records[0].key->data() + 2);
  if (type != 0 && type != 1) return std::nullopt;
  return type == 1;
}

// The first pass: headers only (and the markers' records).
Result<Transactions> ScanTransactions(const std::string& dir) {
  ASSIGN_OR_RETURN(auto reader, KafkaPartitionReader::Open(dir));
  Transactions txns;
  std::map<int64_t, size_t> open;  // producer id -> its open transaction
  for (;;) {
    ASSIGN_OR_RETURN(const KafkaPartitionReader::Batch* b, reader->Next(false));
    if (!b) break;
    const BatchHeader& h = b->header;
    if (!(h.attributes & format::kTransactionalBit)) continue;
    auto& list = txns[h.producer_id];
    auto it = open.find(h.producer_id);
    if (h.is_control()) {
      if (it == open.end()) continue;  // a marker for records retention removed
      list[it->second].marker = h.base_offset.value;
      list[it->second].committed = CommitOfMarker(*b).value_or(false);
      open.erase(it);
    } else if (it == open.end()) {
      open[h.producer_id] = list.size();
      list.push_back({h.base_offset.value});
    }
  }
  return txns;
}

enum class Outcome { kCommitted, kAborted, kUnfinished };

// How the transaction a transactional batch belongs to ended: only a
// committed one's records are copied.
Outcome OutcomeOf(const Transactions& txns, const BatchHeader& h) {
  auto it = txns.find(h.producer_id);
  if (it == txns.end()) return Outcome::kAborted;
  const int64_t o = h.base_offset.value;
  auto t = std::upper_bound(it->second.begin(), it->second.end(), o,
                            [](int64_t v, const Transaction& x) { return v < x.first; });
  if (t == it->second.begin()) return Outcome::kAborted;
  --t;
  if (o > t->marker) return Outcome::kAborted;
  if (t->marker == INT64_MAX) return Outcome::kUnfinished;
  return t->committed ? Outcome::kCommitted : Outcome::kAborted;
}

// The groups' committed positions in tp, from a Kafka log directory's
// __consumer_offsets (the latest record per key wins, a tombstone forgets;
// transactional commits are not read).
Result<std::map<std::string, int64_t>> ReadGroupPositions(const std::string& log_dir, const TopicPartition& tp) {
  std::map<std::string, int64_t> positions;
  for (int32_t p = 0;; ++p) {
    const std::string dir = fmt::format("{}/{}-{}", log_dir, consumer_offsets::kTopic, p);
    if (::access(dir.c_str(), F_OK) != 0) {
      if (p == 0) return Status::NotFound(fmt::format("{}: no {}-0 (not a Kafka log directory?)", log_dir,
                                                      consumer_offsets::kTopic));
      break;
    }
    auto reader = KafkaPartitionReader::Open(dir);
    if (reader.status().code() == Code::kNotFound) continue;
    RETURN_IF_ERROR(reader.status());
    for (;;) {
      ASSIGN_OR_RETURN(const KafkaPartitionReader::Batch* b, (*reader)->Next(true));
      if (!b) break;
      if (b->header.is_control() || (b->header.attributes & format::kTransactionalBit)) continue;
      for (const RecordView& r : b->records) {
        if (!r.key) continue;
        auto key = consumer_offsets::DecodeKey(*r.key);
        if (!key.ok() || !*key || (*key)->topic != tp.topic || (*key)->partition != tp.partition) continue;
        if (!r.value) {
          positions.erase((*key)->group);
          continue;
        }
        auto value = consumer_offsets::DecodeValue(*r.value);
        if (value.ok()) positions[(*key)->group] = value->offset;
      }
    }
  }
  return positions;
}

class Importer {
 public:
  Importer(Log& log, const LogConfig& config, std::map<std::string, int64_t> wanted)
      : log_(log), config_(config) {
    for (auto& [group, offset] : wanted) wanted_.emplace_back(offset, group);
    std::sort(wanted_.begin(), wanted_.end());
  }

  // Copies one batch's records (all of them, in order) as one produced
  // batch: at offsets 0, 1, 2, ... as a producer sends them, compressed
  // with the batch's codec; halves of it when it does not fit the topic's
  // max.message.bytes re-encoded.
  Status Copy(const KafkaPartitionReader::Batch& b, std::span<const RecordView> records, int32_t base_sequence) {
    builder_.Reset(Offset(0), b.header.base_timestamp);
    builder_.SetProducer(b.header.producer_id, b.header.producer_epoch, base_sequence);
    int32_t i = 0;
    for (RecordView r : records) {
      r.offset = Offset(i++);
      // Under LogAppendTime a consumer sees the batch's time for every record.
      if (b.header.log_append_time()) r.timestamp = b.header.max_timestamp;
      builder_.AddCopy(r);
    }
    std::string_view batch = builder_.Finish();
    if (b.codec != Codec::kNone) {
      RETURN_IF_ERROR(CompressBatch(batch, b.codec, config_.LevelFor(b.codec), &compressed_));
      batch = compressed_;
    }
    auto appended = log_.AppendProducedBatches(batch, Log::ProducedBy::kCopiedLog);
    if (appended.status().code() == Code::kRecordTooLarge && records.size() > 1) {
      const size_t half = records.size() / 2;
      RETURN_IF_ERROR(Copy(b, records.first(half), base_sequence));
      const int32_t next = base_sequence < 0 ? base_sequence
                                             : static_cast<int32_t>((int64_t{base_sequence} + half) % (int64_t{1} << 31));
      return Copy(b, records.subspan(half), next);
    }
    RETURN_IF_ERROR(appended.status());
    ++batches_;
    Offset at = appended->first_offset;
    for (const RecordView& r : records) {
      Resolve(r.offset.value, at);
      at += PresentedSize(r);
    }
    if (at != appended->end_offset) {
      return Status::Corruption(fmt::format("imported records end at {}, the log at {}: presented sizes disagree",
                                            at.value, appended->end_offset.value));
    }
    map_ += fmt::format("{} {} {} {}\n", records.front().offset.value, records.back().offset.value,
                        appended->first_offset.value, appended->end_offset.value);
    return Status::Ok();
  }

  // Positions at or below a Kafka offset about to be copied resolve to its
  // record's topicfs offset: a committed offset names the next record to read.
  void Resolve(int64_t kafka_offset, Offset topicfs_offset) {
    while (next_wanted_ < wanted_.size() && wanted_[next_wanted_].first <= kafka_offset) {
      resolved_[wanted_[next_wanted_++].second] = topicfs_offset;
    }
  }
  // Positions past every copied record: the end.
  std::map<std::string, Offset> Finish(Offset end) {
    Resolve(INT64_MAX, end);
    return resolved_;
  }

  const std::string& map() const { return map_; }
  int64_t batches() const { return batches_; }

 private:
  Log& log_;
  const LogConfig& config_;
  BatchBuilder builder_;
  std::string compressed_;
  std::string map_;
  int64_t batches_ = 0;
  std::vector<std::pair<int64_t, std::string>> wanted_;  // sorted by Kafka offset
  size_t next_wanted_ = 0;
  std::map<std::string, Offset> resolved_;
};

}  // namespace

Result<KafkaImport::Summary> KafkaImport::Run(LogManager& manager, const Options& options) {
  std::string source = options.source_dir;
  while (source.size() > 1 && source.back() == '/') source.pop_back();
  const std::string base = source.substr(source.find_last_of('/') + 1);
  auto source_tp = ParsePartitionDirName(base);
  if (!source_tp) {
    return Status::InvalidArgument(fmt::format("{}: not a Kafka partition directory name (<topic>-<partition>)", source));
  }
  Summary summary;
  summary.topic = options.topic.empty() ? source_tp->topic : options.topic;
  summary.partition = options.partition < 0 ? source_tp->partition : options.partition;
  if (summary.topic.starts_with("__")) {
    return Status::InvalidArgument(fmt::format("topic '{}': internal topics are not imported", summary.topic));
  }

  // Everything that can refuse the import, before anything is written.
  ASSIGN_OR_RETURN(Transactions txns, ScanTransactions(source));
  std::map<std::string, int64_t> wanted;
  if (!options.groups_from.empty()) {
    ASSIGN_OR_RETURN(wanted, ReadGroupPositions(options.groups_from, *source_tp));
    for (const auto& [group, offset] : wanted) RETURN_IF_ERROR(GroupOffsets::ValidateGroupName(group));
  }
  if (!manager.TopicExists(summary.topic)) {
    RETURN_IF_ERROR(manager.CreateTopic(summary.topic, {{"partitions", std::to_string(summary.partition + 1)}}));
  }
  std::shared_ptr<Log> log = manager.GetLog(summary.topic, summary.partition);
  if (!log) return Status::NotFound(fmt::format("topic '{}' has no partition {}", summary.topic, summary.partition));
  if (log->log_end_offset() != Offset(0)) {
    return Status::AlreadyExists(fmt::format("{}-{} is not empty (it ends at {}): import into an empty partition",
                                             summary.topic, summary.partition, log->log_end_offset().value));
  }
  ASSIGN_OR_RETURN(LogConfig config, manager.TopicConfig(summary.topic));
  summary.map_path = log->dir() + "/" + std::string(kMapFile);

  ASSIGN_OR_RETURN(auto reader, KafkaPartitionReader::Open(source));
  Importer importer(*log, config, std::move(wanted));
  int64_t reported = 0;
  Status copied;
  for (;;) {
    auto next = reader->Next(true);
    if (!next.ok()) {
      copied = next.status();
      break;
    }
    const KafkaPartitionReader::Batch* b = *next;
    if (!b) break;
    if (options.progress && reader->bytes_read() - reported >= kProgressEvery) {
      reported = reader->bytes_read();
      options.progress(reported, reader->bytes_total());
    }
    const BatchHeader& h = b->header;
    if (h.is_control()) {
      ++summary.control_batches;
      continue;
    }
    if (b->records.empty()) {
      ++summary.empty_batches;
      continue;
    }
    if (h.attributes & format::kTransactionalBit) {
      const Outcome outcome = OutcomeOf(txns, h);
      if (outcome != Outcome::kCommitted) {
        (outcome == Outcome::kUnfinished ? summary.unfinished_records : summary.aborted_records) +=
            static_cast<int64_t>(b->records.size());
        continue;
      }
    }
    copied = importer.Copy(*b, b->records, h.base_sequence);
    if (!copied.ok()) break;
    summary.records += static_cast<int64_t>(b->records.size());
    if (summary.kafka_first < 0) summary.kafka_first = b->records.front().offset.value;
    summary.kafka_last = b->records.back().offset.value;
  }
  if (options.progress) options.progress(reader->bytes_read(), reader->bytes_total());
  summary.batches = importer.batches();
  summary.end = log->log_end_offset();
  summary.torn_tails = reader->torn_tails();
  // The map of what was copied, also when an error stopped the copy.
  const std::string map = fmt::format("# topicfs import of {}: kafka_first kafka_last topicfs_first topicfs_end, per batch\n{}",
                                      source, importer.map());
  RETURN_IF_ERROR(WriteFileAtomically(summary.map_path, map));
  RETURN_IF_ERROR(copied);
  RETURN_IF_ERROR(log->Flush());

  summary.groups = importer.Finish(summary.end);
  if (!summary.groups.empty()) {
    ASSIGN_OR_RETURN(auto groups, GroupOffsets::Open(manager, manager.clock()));
    for (const auto& [group, offset] : summary.groups) {
      RETURN_IF_ERROR(groups->Commit(group, TopicPartition{summary.topic, summary.partition}, offset));
    }
  }
  return summary;
}

}  // namespace topicfs::store
