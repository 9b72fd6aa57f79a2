#include "store/log/log.h"

#include <algorithm>

#include "store/io/atomic_file.h"
#include "store/format/batch_compression.h"
#include "store/format/topic_name.h"
#include "store/base/format.h"
#include "store/log/log_line_rules.h"
#include "store/base/varint.h"

namespace topicfs::store {
namespace {

// A line split by key.separator as Kafka's console producer splits it
// (parse.key=true): the text before the first separator is the key, the
// text after it the value; a line that is only key + separator is a
// tombstone (null value). A split line keeps its separator in a
// topicfs.sep header, so that it presents as the line written.
struct LineParts {
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  bool split = false;
};

[[gnu::always_inline]] inline LineParts SplitLine(std::string_view line, std::string_view separator) {
  LineParts parts;
  parts.value = line;
  if (separator.empty()) return parts;
  size_t at = line.find(separator);
  if (at == std::string_view::npos) return parts;
  parts.key = line.substr(0, at);
  parts.split = true;
  if (at + separator.size() == line.size()) {
    parts.value.reset();
  } else {
    parts.value = line.substr(at + separator.size());
  }
  return parts;
}

// At least the bytes a record adds to a batch: the fixed worst case
// (length, timestamp and offset deltas, attributes), key and value lengths
// and the header count, plus the bytes themselves.
int64_t RecordSizeBound(const std::optional<std::string_view>& key,
                        const std::optional<std::string_view>& value, size_t headers) {
  return format::kMaxRecordOverhead + 5 + 5 + 1 + static_cast<int64_t>(headers) +
         static_cast<int64_t>(key ? key->size() : 0) + static_cast<int64_t>(value ? value->size() : 0);
}

// Encoded bytes of the header section of a split line's record.
size_t SeparatorHeaderSize(std::string_view separator) {
  std::string_view name = format::kSeparatorHeader;
  return varint::EncodedSize(static_cast<int64_t>(name.size())) + name.size() +
         varint::EncodedSize(static_cast<int64_t>(separator.size())) + separator.size();
}

}  // namespace

// The helpers above, for store/log/log_line_check.cc.
namespace line_rules {

LineRecord DescribeLine(std::string_view line, std::string_view separator) {
  LineParts parts = SplitLine(line, separator);
  return {parts.key, parts.value, parts.split ? SeparatorHeaderSize(separator) : 0};
}

int64_t SizeBound(const LineRecord& record) {
  return RecordSizeBound(record.key, record.value, record.headers_size);
}

}  // namespace line_rules

Log::Log(Options options)
    : dir_(std::move(options.dir)),
      tp_(std::move(options.topic_partition)),
      clock_(options.clock),
      io_(options.io),
      scheduler_(options.scheduler),
      file_cache_(options.file_cache),
      verify_reads_(options.verify_reads),
      had_clean_shutdown_(options.had_clean_shutdown),
      producer_id_expiration_ms_(options.producer_id_expiration_ms),
      config_(std::move(options.config)),
      last_flush_ms_(options.clock->MonotonicMs()),
      log_start_offset_(options.log_start_offset.value),
      recovery_point_(options.recovery_point.value) {}

Log::~Log() = default;

Result<std::unique_ptr<Log>> Log::Open(Options options) {
  std::unique_ptr<Log> log(new Log(std::move(options)));
  Status loaded = log->Load();
  if (!loaded.ok()) {
    // Files already open close without a trim or a final index entry: the
    // segments stay exactly as they were found.
    log->CloseWithoutFlush();
    return loaded;
  }
  return log;
}

std::unique_ptr<Log> Log::Offline(Options options, Status why) {
  std::unique_ptr<Log> log(new Log(std::move(options)));
  MutexLock lock(&log->append_mu_);
  log->fence_reason_ = fmt::format("partition {} is offline: {}", log->tp_.DirName(), why.message());
  // Whatever failed the load (EMFILE, EACCES, ...), what a reader or writer
  // of this partition gets is EIO with the reason.
  log->offline_ = Status::Fenced(log->fence_reason_);
  log->fenced_ = true;
  return log;
}

void Log::SetReadOnly(std::string why) {
  MutexLock lock(&append_mu_);
  read_only_reason_ = fmt::format("partition {} is read-only: {}", tp_.DirName(), why);
  read_only_ = true;
}

LogConfig Log::config() const {
  MutexLock lock(&config_mu_);
  return config_;
}

const LogConfig& Log::appender_config() const NO_THREAD_SAFETY_ANALYSIS { return config_; }

void Log::UpdateConfig(const LogConfig& config) {
  MutexLock append(&append_mu_);
  MutexLock lock(&config_mu_);
  config_ = config;
}

LogSegment::Options Log::SegmentOptions(Offset base) const {
  MutexLock lock(&config_mu_);
  LogSegment::Options o;
  o.dir = dir_;
  o.base_offset = base;
  o.index_interval_bytes = config_.index_interval_bytes;
  o.max_index_bytes = config_.segment_index_bytes;
  o.segment_bytes = config_.segment_bytes;
  o.clock = clock_;
  o.io = io_;
  o.file_cache = file_cache_;
  o.verify_reads = verify_reads_;
  o.aborted = aborted_;
  return o;
}

std::shared_ptr<LogSegment> Log::ActiveSegment() const {
  ReaderLock lock(&segments_mu_);
  return segments_.empty() ? nullptr : segments_.rbegin()->second;
}

std::shared_ptr<LogSegment> Log::FloorSegment(Offset offset) const {
  ReaderLock lock(&segments_mu_);
  auto it = segments_.upper_bound(offset);
  if (it == segments_.begin()) return it == segments_.end() ? nullptr : it->second;
  return std::prev(it)->second;
}

std::shared_ptr<LogSegment> Log::SegmentAfter(Offset base) const {
  ReaderLock lock(&segments_mu_);
  auto it = segments_.upper_bound(base);
  return it == segments_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<LogSegment>> Log::Segments() const {
  ReaderLock lock(&segments_mu_);
  std::vector<std::shared_ptr<LogSegment>> out;
  out.reserve(segments_.size());
  for (const auto& [base, segment] : segments_) out.push_back(segment);
  return out;
}

// One record about to be appended, however the caller described it: a line
// split by key.separator, or an explicit key and value.
struct Log::PendingRecord {
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
  // A split line's separator, kept in a topicfs.sep header.
  std::optional<std::string_view> separator_header;
  size_t headers_size = 0;     // encoded bytes of the header section
  int64_t presented_size = 0;  // how far the record moves the log end
  int64_t input_size = 0;      // the caller's size of it, for messages
};

Result<AppendResult> Log::Append(std::span<const std::string_view> lines,
                                 std::vector<Offset>* offsets) {
  MutexLock lock(&append_mu_);
  return AppendLinesLocked(lines, offsets);
}

// REQUIRES: append_mu_.
Result<AppendResult> Log::AppendLinesLocked(std::span<const std::string_view> lines,
                                            std::vector<Offset>* offsets) {
  const std::string_view separator = appender_config().key_separator;
  const size_t separator_headers = SeparatorHeaderSize(separator);
  auto describe = [&](size_t i) {
    LineParts parts = SplitLine(lines[i], separator);
    PendingRecord r;
    r.key = parts.key;
    r.value = parts.value;
    if (parts.split) {
      r.separator_header = separator;
      r.headers_size = separator_headers;
    }
    r.presented_size = static_cast<int64_t>(lines[i].size()) + 1;
    r.input_size = static_cast<int64_t>(lines[i].size());
    return r;
  };
  auto keyless = [&] {
    return Status::InvalidArgument(
        separator.empty() ? "compacted topic needs key.separator"
                          : fmt::format("compacted topic needs a key: line has no '{}'", separator));
  };
  return AppendLocked(lines.size(), "line", describe, keyless, offsets);
}

Result<AppendResult> Log::AppendRecords(std::span<const KeyValue> records,
                                        std::vector<Offset>* offsets) {
  MutexLock lock(&append_mu_);
  auto describe = [&](size_t i) {
    const KeyValue& kv = records[i];
    PendingRecord r;
    r.key = kv.key;
    r.value = kv.value;
    int64_t key_size = kv.key ? static_cast<int64_t>(kv.key->size()) : 0;
    int64_t value_size = kv.value ? static_cast<int64_t>(kv.value->size()) : 0;
    // presented_record.h: value + "\n"; a tombstone without a separator
    // header presents as key + "\n".
    r.presented_size = (kv.value ? value_size : key_size) + 1;
    r.input_size = key_size + value_size;
    return r;
  };
  auto keyless = [] { return Status::InvalidArgument("compacted topic needs a key: record has a null key"); };
  return AppendLocked(records.size(), "record", describe, keyless, offsets);
}

// REQUIRES: append_mu_. describe(i) gives record i (it is called twice per
// record: validation, then building); keyless() the error for a keyless
// record on a compacted topic.
template <typename Describe, typename Keyless>
Result<AppendResult> Log::AppendLocked(size_t count, const char* noun, const Describe& describe,
                                       const Keyless& keyless, std::vector<Offset>* offsets) {
  if (fenced_) return Status::Fenced(fence_reason_);
  if (read_only_) return Status::ReadOnly(read_only_reason_);
  const Offset start = log_end_offset();
  const Timestamp now = clock_->Now();
  AppendResult result{start, start, 0, 0, now};
  if (count == 0) return result;

  const LogConfig& cfg = appender_config();
  const int64_t batch_limit = std::min(cfg.max_message_bytes, cfg.segment_bytes);

  // Validate every record before writing any: nothing of a refused write lands.
  builder_.Reset(start, now);
  for (size_t i = 0; i < count; ++i) {
    PendingRecord r = describe(i);
    if (cfg.cleanup_compact && !r.key) return keyless();
    if (format::kBatchHeaderSize + RecordSizeBound(r.key, r.value, r.headers_size) <= batch_limit) continue;
    int64_t alone = builder_.SizeWith(start, now, r.key ? r.key->size() : 0, r.key.has_value(),
                                      r.value ? r.value->size() : 0, r.headers_size);
    if (alone > batch_limit) {
      return Status::RecordTooLarge(fmt::format(
          "a {} of {} bytes makes a {}-byte batch, over the limit of {} (max.message.bytes={}, "
          "segment.bytes={})",
          noun, r.input_size, alone, batch_limit, cfg.max_message_bytes, cfg.segment_bytes));
    }
  }

  if (offsets != nullptr) offsets->reserve(offsets->size() + count);
  const int64_t batch_target = BatchTarget();
  // The batches are gathered and written as one: none is visible or
  // survives a crash without the others (WriteBatches).
  multi_batch_.clear();
  std::vector<BatchLocation> locations;
  Offset offset = start;
  size_t i = 0;
  while (i < count) {
    StartBatch(offset, now, /*first=*/locations.empty());
    for (; i < count; ++i) {
      PendingRecord r = describe(i);
      // The exact size is computed only near the limit.
      if (!builder_.empty() &&
          (builder_.size() >= batch_target ||
           (builder_.size() + RecordSizeBound(r.key, r.value, r.headers_size) > batch_limit &&
            builder_.SizeWith(offset, now, r.key ? r.key->size() : 0, r.key.has_value(),
                              r.value ? r.value->size() : 0, r.headers_size) > batch_limit))) {
        break;
      }
      if (r.separator_header) {
        builder_.Add(offset, now, r.key, r.value,
                     {RecordHeader{format::kSeparatorHeader, *r.separator_header}});
      } else {
        builder_.Add(offset, now, r.key, r.value);
      }
      if (offsets != nullptr) offsets->push_back(offset);
      offset += r.presented_size;
    }
    // One end for everyone: the batch's last offset is its presented end - 1
    // (docs/format.md), so Kafka's next offset after it is the log end.
    builder_.SetLastOffset(offset - 1);
    result.records += builder_.records();
    ++result.batches;
    if (i == count && locations.empty()) {
      // One batch, the usual case: written straight from the builder.
      RETURN_IF_ERROR(WriteBuiltBatch(now, offset));
    } else {
      RETURN_IF_ERROR(GatherBuiltBatch(now, &locations));
    }
  }
  if (!locations.empty()) {
    RETURN_IF_ERROR(WriteBatches(GatheredBatches(), std::move(locations), result.records, offset));
  }
  result.end_offset = offset;
  RETURN_IF_ERROR(FinishAppend(result, now));
  return result;
}

bool Log::AppendsPlainBatches() const {
  return appender_config().AppendCodec() == Codec::kNone || IsInternalTopic(tp_.topic);
}

int64_t Log::BatchTarget() const {
  // Uncompressed batches stay small next to a read's size: a read checks
  // each batch's CRC-32C as it copies it, and one with room for only part
  // of a batch must take all of it in, so what it handles beyond its own
  // bytes is at most one small batch (bench/FS_BENCH.md, "Read checks"). A
  // compressed batch is checked before it is inflated, and its ratio wants
  // it large.
  constexpr int64_t kPlainBatchTarget = 64 * 1024;
  return AppendsPlainBatches() ? kPlainBatchTarget : std::numeric_limits<int64_t>::max();
}

void Log::StartBatch(Offset offset, Timestamp now, bool first) {
  if (!first && AppendsPlainBatches()) {
    builder_.ResetAfterFinished(offset, now);
  } else {
    builder_.Reset(offset, now);
  }
}

Status Log::GatherBuiltBatch(Timestamp now, std::vector<BatchLocation>* locations) {
  BatchLocation loc = BuiltBatchLocation(now);
  const int64_t in_builder = builder_.batch_start();
  ASSIGN_OR_RETURN(std::string_view batch, FinishBuiltBatch());
  loc.size = static_cast<int64_t>(batch.size());
  if (AppendsPlainBatches()) {
    loc.position = FilePosition(in_builder);  // the next is built after it
  } else {
    // Compressed bytes live in compressed_batch_ only until the next batch.
    loc.position = FilePosition(static_cast<int64_t>(multi_batch_.size()));
    multi_batch_.append(batch);
  }
  locations->push_back(loc);
  return Status::Ok();
}

std::string_view Log::GatheredBatches() const {
  return AppendsPlainBatches() ? builder_.Finished() : std::string_view(multi_batch_);
}

BatchLocation Log::BuiltBatchLocation(Timestamp now) const {
  BatchLocation loc;
  loc.base_offset = builder_.base_offset();
  loc.last_offset = builder_.last_offset();
  loc.records = builder_.records();
  loc.max_timestamp = now;
  return loc;
}

Result<std::string_view> Log::FinishBuiltBatch() {
  const std::string_view plain = builder_.Finish();
  const LogConfig& cfg = appender_config();
  const Codec codec = cfg.AppendCodec();
  if (codec == Codec::kNone || IsInternalTopic(tp_.topic)) return plain;
  RETURN_IF_ERROR(CompressBatch(plain, codec, cfg.AppendLevel(), &compressed_batch_));
  // Incompressible records near the limit: written as they are rather
  // than refused, since the limit was checked on these bytes.
  const int64_t limit = std::min(cfg.max_message_bytes, cfg.segment_bytes);
  if (static_cast<int64_t>(compressed_batch_.size()) > limit && static_cast<int64_t>(plain.size()) <= limit) {
    return plain;
  }
  return std::string_view(compressed_batch_);
}

Status Log::WriteBuiltBatch(Timestamp now, Offset next_offset) {
  BatchLocation loc = BuiltBatchLocation(now);
  ASSIGN_OR_RETURN(std::string_view batch, FinishBuiltBatch());
  loc.size = static_cast<int64_t>(batch.size());
  return WriteBatches(batch, {loc}, loc.records, next_offset);
}

Status Log::FinishAppend(const AppendResult& result, Timestamp now) {
  last_modified_ms_ = now.value;
  unflushed_records_ += result.records;
  if (unflushed_records_ >= appender_config().flush_messages) return FlushLocked();
  return Status::Ok();
}

// REQUIRES: append_mu_. Rolls first when the active segment cannot take the
// bytes (docs/format.md, "Roll"), then writes and publishes them, all of an
// append's batches into one segment: so a segment may pass segment.bytes
// by at most one append's batches beyond the last that fitted.
Status Log::WriteBatches(std::string_view bytes, std::vector<BatchLocation> locations,
                         int64_t records, Offset next_offset) {
  std::shared_ptr<LogSegment> active = ActiveSegment();
  const Offset last_offset = locations.back().last_offset;
  const Timestamp max_ts = locations.back().max_timestamp;
  if (!active->empty() &&
      active->ShouldRoll(static_cast<int64_t>(bytes.size()), last_offset, max_ts,
                         appender_config().segment_bytes, appender_config().MaxSegmentMs())) {
    RETURN_IF_ERROR(RollLocked(log_end_offset()));
    active = ActiveSegment();
  }
  LogSegment::AppendInfo info;
  info.batches = bytes;
  info.locations = std::move(locations);
  info.next_offset = next_offset;
  info.max_timestamp = max_ts;
  info.offset_of_max_timestamp = last_offset;
  info.records = records;
  Status s = active->Append(info);
  if (!s.ok()) return Fence(s);
  end_offset_.store(next_offset.value, std::memory_order_release);
  return Status::Ok();
}

Status Log::Fence(const Status& cause) {
  fenced_ = true;
  fence_reason_ = fmt::format("partition {} refuses appends until reopened: {}", tp_.DirName(),
                              cause.message());
  return cause.Annotate(fmt::format("partition {} is now read-only until reopened", tp_.DirName()));
}

Status Log::Roll() {
  MutexLock lock(&append_mu_);
  if (ActiveSegment()->empty()) return Status::Ok();
  return RollLocked(log_end_offset());
}

// REQUIRES: append_mu_.
// A roll that fails changes nothing and fences nothing: the append that
// needed it fails with the cause (out of descriptors, a full disk), and the
// next one tries again.
Status Log::RollLocked(Offset new_base) {
  std::shared_ptr<LogSegment> old_active = ActiveSegment();
  auto created = LogSegment::Create(SegmentOptions(new_base));
  if (!created.ok()) {
    return created.status().Annotate(fmt::format("partition {} cannot roll a new segment", tp_.DirName()));
  }
  std::shared_ptr<LogSegment> segment = std::move(created).value();
  if (Status s = old_active->OnBecomeInactive(); !s.ok()) {
    (void)segment->DeleteFiles();
    // Trimmed or not, its indexes grow back: it stays the active segment.
    (void)old_active->ResizeIndexes(appender_config().segment_index_bytes);
    return s.Annotate(fmt::format("partition {} cannot roll a new segment", tp_.DirName()));
  }
  {
    WriterLock lock(&segments_mu_);
    segments_[new_base] = std::move(segment);
  }
  created_segments_since_flush_ = true;
  roll_flush_up_to_ = std::max(roll_flush_up_to_.load(), new_base.value);
  // Kafka's snapshot at each roll, named after the new segment (the log
  // end: the table covers everything before it). Unsynced, as Kafka's
  // roll takes it: FlushRolledSegments syncs it with the segments below,
  // off the append lock. One that cannot be written costs only a longer
  // replay at the next load: the roll stands.
  (void)WriteProducerSnapshot(new_base, false);
  return Status::Ok();
}

Result<ReadResult> Log::Read(Offset offset, char* out, int64_t max, ReadCursor* cursor) const {
  if (!offline_.ok()) return offline_;
  // Offsets below the log start were removed: continue at the first survivor.
  offset = std::max(offset, log_start_offset());
  ReadResult total{0, offset, offset};
  std::shared_ptr<LogSegment> segment = FloorSegment(offset);
  while (segment != nullptr && total.bytes < max) {
    const int64_t size_before = segment->size();
    auto read = segment->Read(offset, out + total.bytes, max - total.bytes, cursor);
    // Damage in a later segment: the bytes before it go first, and the
    // read that starts at it reports it.
    if (!read.ok()) {
      if (total.bytes > 0) return total;
      return read.status();
    }
    const ReadResult& part = *read;
    if (part.bytes > 0) {
      if (total.bytes == 0) total.start = part.start;
      total.bytes += part.bytes;
      total.next = part.next;
      offset = part.next;
    }
    if (part.stopped_at_damage) return total;
    // The segment read stops at the size it saw. If the segment was active
    // and grew meanwhile (and maybe rolled), read on in it: moving to the
    // next segment would skip the bytes appended in between. Look the next
    // segment up first: a roll is published after the old segment's last
    // append, so its size is final by the time the new segment is seen.
    std::shared_ptr<LogSegment> next = SegmentAfter(segment->base_offset());
    if (segment->size() != size_before && offset < segment->next_offset()) continue;
    // The cleaner may have swapped a merged segment in while we read: the
    // records after `offset` may now live in the segment holding it, which
    // starts below the one just read. Continue there rather than skip them.
    std::shared_ptr<LogSegment> holder = FloorSegment(offset);
    if (holder != nullptr && holder != segment && holder->base_offset() <= offset &&
        offset < holder->next_offset()) {
      next = std::move(holder);
    }
    segment = std::move(next);
    if (segment != nullptr) offset = std::max(offset, segment->base_offset());
  }
  return total;
}

Result<std::optional<Offset>> Log::OffsetForTimestamp(Timestamp ts) const {
  if (!offline_.ok()) return offline_;
  const Offset start = log_start_offset();
  for (const auto& segment : Segments()) {
    if (segment->next_offset() <= start || segment->empty()) continue;
    if (segment->MaxTimestampSoFar() < ts && segment->MaxTimestampSoFar() != kNoTimestamp) continue;
    ASSIGN_OR_RETURN(auto found, segment->FindOffsetByTimestamp(ts, start));
    if (found) return found;
  }
  return std::optional<Offset>();
}

Result<Offset> Log::FirstRecordAtOrAfter(Offset offset) const {
  if (!offline_.ok()) return offline_;
  offset = std::max(offset, log_start_offset());
  const Offset end = log_end_offset();
  if (offset >= end) return end;
  for (auto segment = FloorSegment(offset); segment != nullptr; segment = SegmentAfter(segment->base_offset())) {
    ASSIGN_OR_RETURN(auto found, segment->FirstRecordAtOrAfter(offset));
    if (found) return *found;
  }
  return std::max(offset, log_end_offset());
}

Result<Offset> Log::OffsetOfNthRecordFromEnd(int64_t n) const {
  if (!offline_.ok()) return offline_;
  const Offset start = log_start_offset();
  auto segments = Segments();
  int64_t remaining = n;
  for (auto it = segments.rbegin(); it != segments.rend() && remaining > 0; ++it) {
    const LogSegment& segment = **it;
    ASSIGN_OR_RETURN(int64_t count, segment.RecordCount());
    if (count < remaining) {
      remaining -= count;
      continue;
    }
    // Widen the scanned tail one index entry at a time (doubling) until it
    // holds enough records: the last records of a large segment are found
    // without reading its head.
    const OffsetIndex& index = segment.offset_index();
    std::vector<BatchLocation> tail;
    for (int back = 1;; back *= 2) {
      int entry = index.entries() - back;
      FilePosition from = entry > 0 ? index.EntryAt(entry).position : FilePosition(0);
      ASSIGN_OR_RETURN(tail, segment.Batches(from));
      int64_t in_tail = 0;
      for (const auto& b : tail) in_tail += segment.Presents(b) ? b.records : 0;
      if (in_tail >= remaining || entry <= 0) break;
    }
    for (auto b = tail.rbegin(); b != tail.rend(); ++b) {
      if (!segment.Presents(*b)) continue;
      if (b->records < remaining) {
        remaining -= b->records;
        continue;
      }
      std::vector<Offset> offsets;
      RETURN_IF_ERROR(segment.ForEachRecord(*b, [&](const RecordView& r) { offsets.push_back(r.offset); }));
      Offset found = offsets[offsets.size() - static_cast<size_t>(remaining)];
      return std::max(found, start);
    }
    break;
  }
  return start;
}

Offset Log::CheckpointedRecoveryPoint() const {
  const Offset point = recovery_point();
  for (const auto& segment : Segments()) {
    if (segment->needs_repair()) return std::min(point, segment->base_offset());
  }
  return point;
}

LogFigures Log::Figures() const {
  LogFigures f;
  f.log_start_offset = log_start_offset();
  f.log_end_offset = log_end_offset();
  f.recovery_point = recovery_point();
  for (const auto& segment : Segments()) {
    ++f.segments;
    f.size_bytes += segment->size();
    f.presented_bytes += std::max<int64_t>(
        0, segment->next_offset().value - std::max(segment->base_offset(), f.log_start_offset).value);
    f.withheld_batches += segment->withheld_batches();
    auto records = segment->RecordCount();
    if (records.ok()) f.records += *records;
  }
  return f;
}

Status Log::Flush() {
  MutexLock lock(&append_mu_);
  return FlushLocked();
}

Status Log::FlushIfDue() {
  RETURN_IF_ERROR(FlushRolledSegments());
  MutexLock lock(&append_mu_);
  if (clock_->MonotonicMs() - last_flush_ms_ < appender_config().flush_ms) return Status::Ok();
  if (recovery_point() == log_end_offset()) return Status::Ok();
  return FlushLocked();
}

// REQUIRES: append_mu_. Syncs the segments from the one holding the recovery
// point to the active one, then the directory if segments were created.
Status Log::FlushLocked() {
  if (fenced_) return Status::Fenced(fence_reason_);
  const Offset end = log_end_offset();
  for (const auto& segment : Segments()) {
    if (segment->next_offset() <= recovery_point() && segment != ActiveSegment()) continue;
    Status s = segment->Flush();
    if (!s.ok()) return Fence(s);
  }
  if (created_segments_since_flush_ || new_directory_) {
    Status s = SyncDirectory(dir_, *io_);
    if (!s.ok()) return Fence(s);
    created_segments_since_flush_ = false;
  }
  if (new_directory_) {
    // The directory's own name, in the data directory.
    Status s = SyncDirectory(ParentDirectory(dir_), *io_);
    if (!s.ok()) return Fence(s);
    new_directory_ = false;
  }
  recovery_point_ = std::max(recovery_point_.load(), end.value);
  unflushed_records_ = 0;
  last_flush_ms_ = clock_->MonotonicMs();
  return Status::Ok();
}

Status Log::FlushRolledSegments() {
  const Offset up_to(roll_flush_up_to_.load());
  if (up_to <= recovery_point()) return Status::Ok();
  MutexLock files_lock(&files_mu_);
  {
    // A fenced log's files may be closed; its flush reports the fence.
    MutexLock lock(&append_mu_);
    if (fenced_) return Status::Ok();
  }
  Status s;
  for (const auto& segment : Segments()) {
    if (segment->base_offset() >= up_to) break;  // in base offset order
    if (segment->next_offset() <= recovery_point()) continue;
    if (!(s = segment->Flush()).ok()) break;
  }
  if (s.ok()) s = SyncProducerSnapshot(up_to);
  if (s.ok()) s = SyncDirectory(dir_, *io_);
  MutexLock lock(&append_mu_);
  if (!s.ok()) return Fence(s);
  recovery_point_ = std::max(recovery_point_.load(), up_to.value);
  return Status::Ok();
}

Status Log::Close(bool sync_files) {
  // files_mu_ first: a FlushRolledSegments in progress must not see its
  // segments' files closed under it.
  MutexLock files_lock(&files_mu_);
  MutexLock lock(&append_mu_);
  Status flushed = fenced_ || !sync_files ? Status::Ok() : FlushLocked();
  // Kafka's snapshot at a clean close, when the log moved past the newest
  // one: the next load replays nothing. Unsynced when the caller syncs the
  // filesystem afterwards. One that cannot be written costs the next load
  // a replay, not the clean-shutdown marker: the close does not fail.
  const Offset end = log_end_offset();
  if (flushed.ok() && !fenced_ && end > last_snapshot_offset_ && end > log_start_offset()) {
    (void)WriteProducerSnapshot(end, sync_files);
  }
  closed_unsynced_ = !sync_files && !fenced_;
  // Appends after Close would write to closed files.
  fenced_ = true;
  fence_reason_ = fmt::format("partition {} is closed", tp_.DirName());
  Status closed;
  for (const auto& segment : Segments()) {
    Status s = segment->Close();
    if (closed.ok()) closed = s;
  }
  return flushed.ok() ? closed : flushed;
}

void Log::RecordSyncedAtClose() {
  MutexLock lock(&append_mu_);
  if (!closed_unsynced_) return;
  recovery_point_ = std::max(recovery_point_.load(), end_offset_.load());
  closed_unsynced_ = false;
}

void Log::CloseWithoutFlush() {
  MutexLock lock(&append_mu_);
  fenced_ = true;
  fence_reason_ = fmt::format("partition {} was deleted", tp_.DirName());
  WriterLock seg_lock(&segments_mu_);
  segments_.clear();
}

}  // namespace topicfs::store
