#include "store/cleanup/log_cleaner.h"

#include <algorithm>
#include <limits>

#include "store/io/atomic_file.h"
#include "store/format/file_names.h"
#include "store/base/format.h"
#include "store/format/presented_record.h"
#include "store/format/batch_builder.h"
#include "store/format/record_reader.h"
#include "store/format/batch_header.h"

namespace topicfs::store {
namespace {

constexpr int64_t kMaxRelativeOffset = std::numeric_limits<int32_t>::max();
// How many keys ahead the key map's slots are prefetched: enough to cover a
// memory access with the hashing and decoding in between.
constexpr size_t kLookahead = 16;
// A swap window ends after this many groups or output bytes, whichever
// comes first: it bounds the disk the window's outputs take next to the
// segments they replace.
constexpr size_t kWindowGroups = 16;
constexpr int64_t kWindowBytes = int64_t{128} << 20;

// The segment holding offset: the last one whose base is <= offset.
size_t FloorIndex(const std::vector<std::shared_ptr<LogSegment>>& segments, Offset offset) {
  size_t i = 0;
  while (i + 1 < segments.size() && segments[i + 1]->base_offset() <= offset) ++i;
  return i;
}

Timestamp FirstBatchTimestamp(const LogSegment& segment) {
  auto batches = segment.Batches();
  if (!batches.ok() || batches->empty()) return kNoTimestamp;
  return batches->front().max_timestamp;
}

// Consecutive segments merged into one output while it stays within
// segment.bytes, segment.index.bytes and int32 relative offsets.
std::vector<std::vector<std::shared_ptr<LogSegment>>> GroupBySize(
    const std::vector<std::shared_ptr<LogSegment>>& segments, const LogConfig& config) {
  std::vector<std::vector<std::shared_ptr<LogSegment>>> groups;
  for (size_t i = 0; i < segments.size();) {
    std::vector<std::shared_ptr<LogSegment>> group{segments[i]};
    int64_t log_bytes = segments[i]->size();
    int64_t index_bytes = segments[i]->offset_index().valid_bytes();
    int64_t time_bytes = segments[i]->time_index().valid_bytes();
    for (++i; i < segments.size(); ++i) {
      const LogSegment& next = *segments[i];
      if (log_bytes + next.size() > config.segment_bytes ||
          index_bytes + next.offset_index().valid_bytes() > config.segment_index_bytes ||
          time_bytes + next.time_index().valid_bytes() > config.segment_index_bytes ||
          next.next_offset() - group.front()->base_offset() > kMaxRelativeOffset) {
        break;
      }
      log_bytes += next.size();
      index_bytes += next.offset_index().valid_bytes();
      time_bytes += next.time_index().valid_bytes();
      group.push_back(segments[i]);
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace

bool CleanableRange::eligible() const {
  return cleanable_bytes > 0 && (dirty_ratio > min_ratio || needs_compaction_now);
}

LogCleaner::LogCleaner(std::string checkpoint_path, const Clock* clock, CleanerOptions options)
    : checkpoint_path_(std::move(checkpoint_path)),
      clock_(clock),
      options_(options),
      map_(options.dedupe_buffer_bytes, options.load_factor) {}

Status LogCleaner::Load() {
  auto read = ReadCheckpointFile(checkpoint_path_);
  MutexLock lock(&mu_);
  if (read.ok()) checkpoints_ = std::move(read).value();
  return Status::Ok();
}

Offset LogCleaner::CheckpointedOffset(const TopicPartition& tp) const {
  MutexLock lock(&mu_);
  auto it = checkpoints_.find(tp);
  return it == checkpoints_.end() ? Offset(-1) : it->second;
}

void LogCleaner::Forget(const TopicPartition& tp) {
  {
    MutexLock lock(&mu_);
    checkpoints_.erase(tp);
  }
  (void)WriteCheckpoint();
}

Status LogCleaner::WriteCheckpoint() {
  std::map<TopicPartition, Offset> copy;
  {
    MutexLock lock(&mu_);
    copy = checkpoints_;
  }
  return WriteCheckpointFile(checkpoint_path_, copy);
}

CleanableRange LogCleaner::Range(const Log& log) {
  const LogConfig config = log.config();
  const Timestamp now = clock_->Now();
  auto segments = log.Segments();
  CleanableRange range;
  range.min_ratio = config.min_cleanable_dirty_ratio;
  // A checkpoint outside [log start, log end] is stale: start over.
  Offset checkpoint = CheckpointedOffset(log.topic_partition());
  range.first_dirty = checkpoint < log.log_start_offset() || checkpoint > log.log_end_offset()
                          ? log.log_start_offset()
                          : checkpoint;
  range.first_uncleanable = segments.back()->base_offset();  // never the active segment
  size_t dirty_index = FloorIndex(segments, range.first_dirty);
  for (size_t i = dirty_index; i + 1 < segments.size(); ++i) {
    if (config.min_compaction_lag_ms > 0 &&
        now - segments[i]->LargestTimestamp() < config.min_compaction_lag_ms) {
      range.first_uncleanable = std::min(range.first_uncleanable, segments[i]->base_offset());
      break;
    }
  }
  range.first_uncleanable = std::max(range.first_dirty, range.first_uncleanable);
  size_t uncleanable_index = FloorIndex(segments, range.first_uncleanable);
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i]->base_offset() < range.first_dirty) range.clean_bytes += segments[i]->size();
    if (i >= dirty_index && i < uncleanable_index) {
      range.cleanable_bytes += segments[i]->size();
      if (config.max_compaction_lag_ms < std::numeric_limits<int64_t>::max()) {
        Timestamp first = FirstBatchTimestamp(*segments[i]);
        if (first != kNoTimestamp && now - first > config.max_compaction_lag_ms) {
          range.needs_compaction_now = true;
        }
      }
    }
  }
  int64_t total = range.clean_bytes + range.cleanable_bytes;
  range.dirty_ratio = total == 0 ? 0 : static_cast<double>(range.cleanable_bytes) / total;
  return range;
}

Result<std::optional<CleanResult>> LogCleaner::CleanFilthiest(
    const std::vector<std::shared_ptr<Log>>& logs) {
  std::shared_ptr<Log> filthiest;
  double best = -1;
  for (const auto& log : logs) {
    if (!log->config().cleanup_compact || log->fenced() || log->read_only()) continue;
    CleanableRange range = Range(*log);
    if (!range.eligible()) continue;
    double score = range.needs_compaction_now ? 2.0 + range.dirty_ratio : range.dirty_ratio;
    if (score > best) {
      best = score;
      filthiest = log;
    }
  }
  if (filthiest == nullptr) return std::optional<CleanResult>();
  ASSIGN_OR_RETURN(CleanResult result, Clean(*filthiest));
  return std::optional<CleanResult>(result);
}

Result<LogCleaner::MapResult> LogCleaner::BuildOffsetMap(const Log& log, Offset first_dirty,
                                                         Offset first_uncleanable) {
  map_.Clear();
  map_.UpdateLatestOffset(first_dirty - 1);
  auto segments = log.Segments();
  for (size_t i = FloorIndex(segments, first_dirty); i < segments.size(); ++i) {
    const LogSegment& segment = *segments[i];
    if (segment.base_offset() >= first_uncleanable) break;
    FilePosition from = segment.offset_index().Lookup(first_dirty).position;
    ASSIGN_OR_RETURN(auto batches, segment.Batches(from));
    for (const auto& batch : batches) {
      // Markers and aborted transactions' records name no key's latest
      // record: an aborted record must not make an older one of its key go.
      if (batch.last_offset < first_dirty || !segment.Presents(batch)) continue;
      if (batch.base_offset >= first_uncleanable) break;
      ASSIGN_OR_RETURN(auto held, segment.BatchBytes(batch));
      // The whole batch is hashed first, then put with a later key's slot
      // prefetched (store/cleanup/key_offset_map.h).
      hashed_.clear();
      ASSIGN_OR_RETURN(std::string_view records, ReadableBatch(held.second, &twin_));
      RecordReader reader(records);
      RecordView rec;
      while (reader.Next(&rec)) {
        if (rec.offset < first_dirty || rec.offset >= first_uncleanable || !rec.key) continue;
        hashed_.push_back({HashKey(*rec.key), rec.offset});
      }
      RETURN_IF_ERROR(reader.status());
      for (size_t k = 0; k < hashed_.size(); ++k) {
        if (k + kLookahead < hashed_.size()) map_.Prefetch(hashed_[k + kLookahead].first);
        // A full map covers the log up to the last key it took.
        if (!map_.Put(hashed_[k].first, hashed_[k].second)) return MapResult{map_.latest_offset() + 1};
      }
      map_.UpdateLatestOffset(std::min(batch.last_offset, first_uncleanable - 1));
    }
    // Fast-forward over the gap to the next segment (or the dirty range's end).
    Offset next = i + 1 < segments.size() ? segments[i + 1]->base_offset() : log.log_end_offset();
    map_.UpdateLatestOffset(std::max(map_.latest_offset(), std::min(next, first_uncleanable) - 1));
  }
  return MapResult{map_.latest_offset() + 1};
}

Result<CleanResult> LogCleaner::Clean(Log& log) {
  CleanableRange range = Range(log);
  CleanResult result;
  result.first_dirty = result.end_offset = range.first_dirty;
  if (range.first_uncleanable <= range.first_dirty) return result;
  ASSIGN_OR_RETURN(MapResult mapped, BuildOffsetMap(log, range.first_dirty, range.first_uncleanable));
  if (mapped.end_offset <= range.first_dirty) return result;

  // Every segment below the map's end is rewritten: the clean part too, so
  // keys superseded in the dirty part leave it.
  std::vector<std::shared_ptr<LogSegment>> to_clean;
  auto segments = log.Segments();
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    if (segments[i]->base_offset() >= mapped.end_offset) break;
    to_clean.push_back(segments[i]);
  }
  map_.LatestOffsets(&latest_offsets_);
  auto groups = GroupBySize(to_clean, log.config());
  // Outputs are swapped in windows of several groups: fsyncing a window's
  // files one after the other costs one journal commit for all of them,
  // not one per file, and its swaps share one directory fsync.
  std::vector<Output> window;
  int64_t window_bytes = 0;
  for (size_t g = 0; g < groups.size(); ++g) {
    auto output = CleanGroup(log, groups[g], range.first_dirty, g + 1 == groups.size(), &result);
    if (!output.ok()) {
      DiscardOutputs(&window);
      return output.status();
    }
    window_bytes += output->cleaned->size();
    window.push_back(std::move(output).value());
    if (g + 1 == groups.size() || window.size() >= kWindowGroups || window_bytes >= kWindowBytes) {
      RETURN_IF_ERROR(SwapOutputs(log, &window));
      window_bytes = 0;
    }
  }
  result.end_offset = mapped.end_offset;
  {
    MutexLock lock(&mu_);
    checkpoints_[log.topic_partition()] = mapped.end_offset;
  }
  RETURN_IF_ERROR(WriteCheckpoint());
  return result;
}

Status LogCleaner::SwapOutputs(Log& log, std::vector<Output>* window) {
  // 1. Every output durable before any becomes .swap (docs/recovery.md).
  for (const Output& out : *window) {
    if (Status s = out.cleaned->Flush(); !s.ok()) {
      DiscardOutputs(window);
      return s;
    }
  }
  // 2. The swaps, in offset order; a failed one leaves the later outputs
  //    unswapped and removed, the log whole.
  for (size_t i = 0; i < window->size(); ++i) {
    Output& out = (*window)[i];
    Status s = log.ReplaceSegments(out.cleaned, out.sources, /*sync_directory=*/false);
    if (!s.ok()) {
      window->erase(window->begin(), window->begin() + static_cast<long>(i) + 1);
      DiscardOutputs(window);
      (void)SyncDirectory(log.dir());
      return s;
    }
  }
  window->clear();
  return SyncDirectory(log.dir());
}

void LogCleaner::DiscardOutputs(std::vector<Output>* window) {
  for (const Output& out : *window) (void)out.cleaned->DeleteFiles();
  window->clear();
}

// One source batch as the cleaner sees it: where it is, which records the
// map judges, and how.
struct LogCleaner::SourceBatch {
  const BatchLocation& loc;
  // Records at or below `covered` are judged by the map, later ones stay.
  Offset covered;
  // From the first dirty offset on, every keyed record went into the map,
  // so a record there stays exactly when its offset is its key's latest,
  // one of latest_offsets_: no key to decode, hash or look up. Below it
  // (the part earlier passes cleaned) a key the map lacks stays, so each key
  // is looked up.
  bool by_offset;
  // The first of latest_offsets_ at or after the batch's base offset.
  std::vector<int64_t>::const_iterator latest;
  // The round's last batch is kept even empty: it remembers the last offset.
  bool last_of_round;
  // Records of an aborted transaction: dropped, as Kafka's cleaner drops
  // them (its marker stays and keeps the .txnindex entry true).
  bool aborted;
};

Result<LogCleaner::Output> LogCleaner::CleanGroup(Log& log,
                                                  const std::vector<std::shared_ptr<LogSegment>>& group,
                                                  Offset first_dirty, bool last_group,
                                                  CleanResult* result) {
  const LogConfig config = log.config();
  const Timestamp now = clock_->Now();
  LogSegment::Options options = log.SegmentOptions(group.front()->base_offset());
  options.file_state_suffix = std::string(kCleanedSuffix);
  ASSIGN_OR_RETURN(auto output, LogSegment::Create(options));
  std::shared_ptr<LogSegment> cleaned = std::move(output);
  Timestamp newest = kNoTimestamp;

  for (size_t s = 0; s < group.size(); ++s) {
    const LogSegment& source = *group[s];
    result->bytes_read += source.size();
    ++result->segments_cleaned;
    newest = std::max(newest, source.LargestTimestamp());
    ASSIGN_OR_RETURN(auto batches, source.Batches());
    for (size_t b = 0; b < batches.size(); ++b) {
      const BatchLocation& loc = batches[b];
      SourceBatch batch{loc, loc.control ? Offset(-1) : map_.latest_offset(),
                        !loc.control && loc.base_offset >= first_dirty,
                        std::lower_bound(latest_offsets_.cbegin(), latest_offsets_.cend(), loc.base_offset.value),
                        last_group && s + 1 == group.size() && b + 1 == batches.size(),
                        !loc.control && loc.records > 0 && !source.Presents(loc)};
      if (DropsUnread(batch)) {
        result->records_read += loc.records;
        continue;
      }
      ASSIGN_OR_RETURN(auto held, source.BatchBytes(loc));
      RETURN_IF_ERROR(CleanBatch(batch, held.second, config, now, *cleaned, result));
    }
  }
  // The markers stay, so their entries do: the output's .txnindex holds its
  // sources' (Kafka's cleaner copies them too).
  std::vector<AbortedTxn> aborted;
  for (const auto& source : group) {
    std::vector<AbortedTxn> entries = source->aborted_txns();
    aborted.insert(aborted.end(), entries.begin(), entries.end());
  }
  RETURN_IF_ERROR(cleaned->WriteAbortedTxns(std::move(aborted)));
  result->bytes_written += cleaned->size();
  RETURN_IF_ERROR(cleaned->OnBecomeInactive());
  if (newest != kNoTimestamp) RETURN_IF_ERROR(cleaned->SetLastModifiedMs(newest.value));
  return Output{std::move(cleaned), group};
}

// A batch judged by offset, wholly covered by the map, holding none of the
// latest offsets, keeps nothing: it is dropped without being read.
bool LogCleaner::DropsUnread(const SourceBatch& batch) const {
  const BatchLocation& loc = batch.loc;
  if (batch.aborted) return !batch.last_of_round;
  return batch.by_offset && loc.last_offset <= batch.covered && !batch.last_of_round &&
         (batch.latest == latest_offsets_.end() || *batch.latest > loc.last_offset.value);
}

// Decodes a batch, keeps its records as the map decides, and appends what
// is left to the output: the batch's own bytes when it keeps everything,
// otherwise a rewrite.
Status LogCleaner::CleanBatch(SourceBatch& batch, std::string_view bytes, const LogConfig& config,
                              Timestamp now, LogSegment& output, CleanResult* result) {
  const BatchLocation& loc = batch.loc;
  ASSIGN_OR_RETURN(BatchHeader header, ParseBatchHeader(bytes));
  std::optional<Timestamp> horizon;
  if (header.has_delete_horizon()) horizon = header.base_timestamp;

  // Decode (and where keys are looked up, hash) the batch first, then look
  // keys up with a later key's slot prefetched.
  records_.clear();
  hashes_.clear();
  // records_ point into the batch, or into its inflated twin, until the
  // batch is written.
  ASSIGN_OR_RETURN(std::string_view readable, ReadableBatch(bytes, &twin_));
  RecordReader reader(readable);
  RecordView rec;
  while (reader.Next(&rec)) {
    records_.push_back(rec);
    hashes_.push_back(!batch.by_offset && rec.key && rec.offset <= batch.covered ? HashKey(*rec.key)
                                                                                  : KeyHash{});
  }
  RETURN_IF_ERROR(reader.status());
  kept_.clear();
  bool kept_tombstone = false;
  for (size_t k = 0; k < records_.size(); ++k) {
    if (k + kLookahead < records_.size() && hashes_[k + kLookahead] != KeyHash{}) {
      map_.Prefetch(hashes_[k + kLookahead]);
    }
    ++result->records_read;
    if (!Keeps(batch, k, horizon, now)) continue;
    kept_tombstone |= !records_[k].value.has_value();
    kept_.push_back(records_[k]);
  }
  result->records_kept += static_cast<int64_t>(kept_.size());

  // The first cleaning that keeps a tombstone stamps its batch with a
  // delete horizon; a later one past the horizon drops it.
  const bool stamp_horizon = kept_tombstone && !horizon && !loc.control;
  std::string_view out;
  if (kept_.size() == static_cast<size_t>(loc.records) && !stamp_horizon) {
    out = bytes;  // unchanged: copied byte for byte
  } else if (kept_.empty() && !batch.last_of_round) {
    return Status::Ok();
  } else {
    std::optional<Timestamp> new_horizon = horizon;
    if (stamp_horizon) new_horizon = now + config.delete_retention_ms;
    ASSIGN_OR_RETURN(out, Rewrite(loc, header, new_horizon));
  }
  BatchLocation placed = loc;
  placed.position = FilePosition(0);
  placed.size = static_cast<int64_t>(out.size());
  placed.records = static_cast<int32_t>(kept_.size());
  LogSegment::AppendInfo info;
  info.batches = out;
  info.locations = {placed};
  info.next_offset = kept_.empty() ? loc.last_offset + 1 : kept_.back().offset + PresentedSize(kept_.back());
  info.max_timestamp = loc.max_timestamp;
  info.offset_of_max_timestamp = loc.last_offset;
  info.records = static_cast<int64_t>(kept_.size());
  return output.Append(info);
}

// Whether record k of the batch stays.
bool LogCleaner::Keeps(SourceBatch& batch, size_t k, std::optional<Timestamp> horizon, Timestamp now) {
  const RecordView& r = records_[k];
  if (batch.aborted) return false;            // hidden now, and gone once cleaned
  if (r.offset > batch.covered) return true;  // not covered by this pass (or a control batch)
  if (!r.key) return false;                   // a compacted log keeps keyed records only
  const bool live = r.value.has_value() || !horizon || now < *horizon;
  if (batch.by_offset) {
    while (batch.latest != latest_offsets_.end() && *batch.latest < r.offset.value) ++batch.latest;
    return batch.latest != latest_offsets_.end() && *batch.latest == r.offset.value && live;
  }
  if (auto newest_of_key = map_.Get(hashes_[k]); newest_of_key && r.offset < *newest_of_key) {
    return false;  // a newer record has this key
  }
  return live;
}

// The batch again with only the kept records, keeping BaseOffset and
// LastOffsetDelta (an empty batch remembers the round's last offset), its
// partition leader epoch and producer fields, and the delete horizon it has
// or now gets. As Kafka's cleaner does, kept records are compressed again
// with the batch's own codec at that codec's default level; an empty batch
// is uncompressed.
Result<std::string_view> LogCleaner::Rewrite(const BatchLocation& loc, const BatchHeader& header,
                                             std::optional<Timestamp> horizon) {
  const Timestamp base_ts = horizon ? *horizon : (kept_.empty() ? header.base_timestamp : kept_.front().timestamp);
  builder_.Reset(loc.base_offset, base_ts);
  int16_t attributes =
      static_cast<int16_t>(header.attributes & ~format::kDeleteHorizonBit & ~format::kCompressionMask);
  if (horizon) attributes = static_cast<int16_t>(attributes | format::kDeleteHorizonBit);
  builder_.SetAttributes(attributes);
  builder_.SetProducer(header.producer_id, header.producer_epoch, header.base_sequence);
  builder_.SetPartitionLeaderEpoch(header.partition_leader_epoch);
  builder_.SetLastOffset(loc.last_offset);
  for (const RecordView& r : kept_) builder_.AddCopy(r);
  const std::string_view plain = builder_.Finish();
  const auto codec = static_cast<Codec>(header.attributes & format::kCompressionMask);
  if (codec == Codec::kNone || kept_.empty()) return plain;
  RETURN_IF_ERROR(CompressBatch(plain, codec, DefaultLevel(codec), &compressed_));
  return std::string_view(compressed_);
}

}  // namespace topicfs::store
