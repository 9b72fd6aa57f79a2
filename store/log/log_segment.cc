#include "store/log/log_segment.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <string>

#include "store/base/big_endian.h"
#include "store/io/atomic_file.h"
#include "store/base/crc32c.h"
#include "store/format/file_names.h"
#include "store/base/format.h"
#include "store/format/legacy_batch.h"
#include "store/log/inflated_batch_cache.h"
#include "store/format/presented_record.h"
#include "store/format/record_reader.h"
#include "store/format/batch_crc_walk.h"
#include "store/format/batch_header.h"

namespace topicfs::store {
namespace {

constexpr int64_t kMaxRelativeOffset = std::numeric_limits<int32_t>::max();

// How much of a batch still to be checked a read copies before checking
// what it copied, so the check reads those bytes from L1. Measured with a
// 512 KiB-read scan of 577 KB batches (bench/FS_BENCH.md, "Read checks"):
// 16 KiB cost the least; 4-8 KiB pieces lose on per-call overhead, 32-64
// KiB ones on reading from L2.
constexpr int64_t kCheckedPiece = 16 * 1024;

uint64_t NextSegmentId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

}  // namespace

LogSegment::LogSegment(const Options& options, std::unique_ptr<LogFile> log,
                       std::unique_ptr<OffsetIndex> offset_index,
                       std::unique_ptr<TimeIndex> time_index)
    : base_offset_(options.base_offset),
      id_(NextSegmentId()),
      index_interval_bytes_(options.index_interval_bytes),
      verify_reads_(options.verify_reads),
      max_index_bytes_(options.max_index_bytes),
      clock_(options.clock),
      io_(options.io),
      dir_(options.dir),
      file_state_suffix_(options.file_state_suffix),
      log_(std::move(log)),
      offset_index_(std::move(offset_index)),
      time_index_(std::move(time_index)),
      aborted_(options.aborted),
      next_offset_(options.base_offset.value),
      offset_of_max_timestamp_(options.base_offset.value),
      created_ms_(options.clock->MonotonicMs()) {}

LogSegment::~LogSegment() = default;

Result<std::unique_ptr<LogSegment>> LogSegment::OpenFiles(const Options& options, bool create) {
  const std::string& suffix = options.file_state_suffix;
  std::string log_path = SegmentFilePath(options.dir, options.base_offset, kLogSuffix, suffix);
  std::string index_path = SegmentFilePath(options.dir, options.base_offset, kIndexSuffix, suffix);
  std::string time_path = SegmentFilePath(options.dir, options.base_offset, kTimeIndexSuffix, suffix);
  bool indexes_missing = !FileExists(index_path) || !FileExists(time_path);
  // The .log first: a new segment must not be made over one holding bytes,
  // and nothing else may be touched before that is known.
  using Mode = LogFile::OpenMode;
  const Mode mode = !create ? Mode::kExisting : suffix == kCleanedSuffix ? Mode::kScratch : Mode::kNew;
  ASSIGN_OR_RETURN(auto log, LogFile::Open(log_path, mode, options.segment_bytes, options.io,
                                           options.file_cache));
  ASSIGN_OR_RETURN(auto offset_index,
                   OffsetIndex::Open(index_path, options.base_offset, options.max_index_bytes,
                                     options.io, options.file_cache, /*fresh=*/create));
  ASSIGN_OR_RETURN(auto time_index,
                   TimeIndex::Open(time_path, options.base_offset, options.max_index_bytes,
                                   options.io, options.file_cache, /*fresh=*/create));
  auto segment = std::unique_ptr<LogSegment>(new LogSegment(
      options, std::move(log), std::move(offset_index), std::move(time_index)));
  segment->needs_recovery_ = !create && indexes_missing;
  return segment;
}

Result<std::unique_ptr<LogSegment>> LogSegment::Create(const Options& options) {
  ASSIGN_OR_RETURN(auto segment, OpenFiles(options, /*create=*/true));
  // Like the other indexes, a .txnindex of that name is a cache of nothing.
  if (FileExists(segment->TxnIndexPath())) RETURN_IF_ERROR(segment->io_->Remove(segment->TxnIndexPath()));
  return segment;
}

Result<std::unique_ptr<LogSegment>> LogSegment::Open(const Options& options) {
  ASSIGN_OR_RETURN(auto segment, OpenFiles(options, /*create=*/false));
  {
    // Known whatever else is found: recovery rebuilds the entries, and the
    // file is what it replaces or removes.
    MutexLock lock(&segment->txn_mu_);
    segment->txn_file_ = FileExists(segment->TxnIndexPath());
  }
  if (segment->needs_recovery_) return segment;
  if (!segment->offset_index_->SanityCheck().ok() || !segment->time_index_->SanityCheck().ok() ||
      !segment->LoadTail().ok() || !segment->LoadAbortedTxns().ok()) {
    segment->needs_recovery_ = true;
    return segment;
  }
  // A time index entry names a record of the segment: one at or past its
  // end is damage (and would make the final entry at close fail).
  const TimeIndex::Entry last_time = segment->time_index_->LastEntry();
  if (last_time.timestamp.value >= 0 && last_time.offset >= segment->next_offset()) {
    segment->needs_recovery_ = true;
  }
  return segment;
}

std::string LogSegment::TxnIndexPath() const {
  return SegmentFilePath(dir_, base_offset_, kTxnIndexSuffix, file_state_suffix_);
}

Status LogSegment::LoadAbortedTxns() {
  MutexLock lock(&txn_mu_);
  if (!txn_file_) return Status::Ok();
  auto bytes = ReadSmallFile(TxnIndexPath(), *io_);
  if (bytes.status().code() == Code::kNotFound) {
    txn_file_ = false;
    return Status::Ok();
  }
  RETURN_IF_ERROR(bytes.status());
  ASSIGN_OR_RETURN(aborted_txns_, DecodeAbortedTxns(*bytes, base_offset_));
  // An entry names a marker of this segment: one at or past its end is
  // damage, as a time index entry there is.
  for (const AbortedTxn& e : aborted_txns_) {
    if (e.last_offset >= next_offset()) {
      aborted_txns_.clear();
      return Status::Corruption(fmt::format("{}: an aborted transaction ends at {}, past the segment's end {}",
                                            TxnIndexPath(), e.last_offset, next_offset()));
    }
  }
  return Status::Ok();
}

std::vector<AbortedTxn> LogSegment::aborted_txns() const {
  MutexLock lock(&txn_mu_);
  return aborted_txns_;
}

Status LogSegment::WriteAbortedTxns(std::vector<AbortedTxn> entries) {
  MutexLock lock(&txn_mu_);
  if (entries == aborted_txns_ && txn_file_ == !entries.empty()) return Status::Ok();
  if (entries.empty()) {
    RETURN_IF_ERROR(io_->Remove(TxnIndexPath()));
  } else {
    RETURN_IF_ERROR(WriteFileAtomically(TxnIndexPath(), EncodeAbortedTxns(entries), *io_));
  }
  txn_file_ = !entries.empty();
  aborted_txns_ = std::move(entries);
  return Status::Ok();
}

bool LogSegment::Presents(const BatchLocation& loc) const {
  if (loc.control || loc.records == 0) return false;
  return !(loc.transactional && aborted_ != nullptr &&
           aborted_->Covers(loc.producer_id, loc.base_offset, loc.last_offset));
}

Status LogSegment::LoadTail() {
  // Scan from the last indexed batch: everything after it is unindexed and
  // holds the segment's last record and (with the time index's last entry)
  // its newest timestamp.
  OffsetIndex::Entry last_entry = offset_index_->Lookup(Offset::Max());
  TimeIndex::Entry last_time = time_index_->LastEntry();
  max_timestamp_so_far_ = last_time.timestamp.value;
  offset_of_max_timestamp_ = last_time.offset.value;
  ASSIGN_OR_RETURN(auto batches, Batches(last_entry.position));
  int64_t next = base_offset_.value;
  for (const auto& loc : batches) {
    if (loc.max_timestamp.value > max_timestamp_so_far_) {
      max_timestamp_so_far_ = loc.max_timestamp.value;
      offset_of_max_timestamp_ = loc.last_offset.value;
    }
  }
  bytes_since_last_index_entry_ = size() - last_entry.position.value;
  if (!batches.empty()) {
    ASSIGN_OR_RETURN(auto bytes, BatchBytes(batches.back()));
    ASSIGN_OR_RETURN(Offset end, BatchPresentedEnd(bytes.second, batches.back()));
    next = end.value;
  } else if (last_entry.position.value > 0) {
    return Status::Corruption(log_path() + ": offset index points past the last batch");
  }
  next_offset_.store(next, std::memory_order_release);
  // Only the first batch's header: listing every batch would read the
  // headers of the whole segment, a page per batch, at every open.
  if (!empty()) {
    RETURN_IF_ERROR(ScanBatches(FilePosition(0), [this](const BatchLocation& first) {
      rolling_based_timestamp_ = first.max_timestamp;
      return false;
    }));
  }
  return Status::Ok();
}

// The batches are written, then indexed, and only then published, so that
// a failure at any step leaves the segment as it was and no reader has seen
// them: on a full disk the index write can fail after the batch's.
Status LogSegment::Append(const AppendInfo& info) {
  const int64_t physical = size();
  // With several batches the first is written last (LogFile::Write): one
  // append's batches are recovered all together or not at all.
  const int64_t first_size = info.locations.size() > 1 ? info.locations.front().size : 0;
  RETURN_IF_ERROR(log_->Write(info.batches, first_size));
  const int64_t max_timestamp = max_timestamp_so_far_, offset_of_max = offset_of_max_timestamp_;
  const std::optional<Timestamp> rolling_based = rolling_based_timestamp_;
  const int64_t since_last_entry = bytes_since_last_index_entry_;
  if (!rolling_based_timestamp_ && !info.locations.empty()) {
    rolling_based_timestamp_ = info.locations.front().max_timestamp;
  }
  for (const auto& loc : info.locations) {
    if (loc.max_timestamp.value > max_timestamp_so_far_) {
      max_timestamp_so_far_ = loc.max_timestamp.value;
      offset_of_max_timestamp_ = loc.last_offset.value;
    }
    BatchLocation placed = loc;
    placed.position = FilePosition(physical + loc.position.value);
    Status indexed = IndexBatch(placed, &bytes_since_last_index_entry_);
    if (!indexed.ok()) {
      // Entries of this append are keyed at or after its first offset.
      (void)offset_index_->TruncateTo(info.locations.front().base_offset);
      (void)time_index_->TruncateTo(info.locations.front().base_offset);
      max_timestamp_so_far_ = max_timestamp;
      offset_of_max_timestamp_ = offset_of_max;
      rolling_based_timestamp_ = rolling_based;
      bytes_since_last_index_entry_ = since_last_entry;
      (void)log_->DropUnpublished();
      return indexed;
    }
  }
  log_->Publish(static_cast<int64_t>(info.batches.size()));
  if (record_count_.load() >= 0) record_count_ += info.records;
  next_offset_.store(info.next_offset.value, std::memory_order_release);
  return Status::Ok();
}

// Kafka's rule: a batch gets an index entry when more than
// index.interval.bytes were appended since the last entry, counted before it.
Status LogSegment::IndexBatch(const BatchLocation& loc, int64_t* bytes_since_last_entry) {
  // A full index only means longer scans. It happens when Recover rebuilds a
  // segment written under a larger segment.index.bytes or index.interval.bytes;
  // appends roll before it happens.
  const bool full = offset_index_->IsFull() || time_index_->IsFull();
  if (*bytes_since_last_entry > index_interval_bytes_ && !full) {
    RETURN_IF_ERROR(offset_index_->Append(loc.last_offset, loc.position));
    RETURN_IF_ERROR(time_index_->MaybeAppend(Timestamp(max_timestamp_so_far_.load()),
                                             Offset(offset_of_max_timestamp_.load())));
    *bytes_since_last_entry = 0;
  }
  *bytes_since_last_entry += loc.size;
  return Status::Ok();
}

Result<BatchLocation> LogSegment::BatchAt(const char* data, int64_t size, int64_t pos) const {
  auto loc = LocateBatch(data, size, pos);
  if (!loc.ok()) return loc.status().Annotate(log_path());
  return loc;
}

int64_t LogSegment::StartPosition(Offset offset, const char* data, int64_t size) const {
  if (offset < base_offset_ || index_broken_.load(std::memory_order_relaxed)) return 0;
  const OffsetIndex::Entry entry = offset_index_->Lookup(offset);
  if (entry.position.value == 0) return 0;
  // An entry (o, p) says the batch at p has last offset o. Positions come
  // from a file that may hold anything: one that does not say so is never
  // followed.
  auto loc = LocateBatch(data, size, entry.position.value);
  if (loc.ok() && loc->last_offset == entry.offset) return entry.position.value;
  index_broken_ = true;
  return 0;
}

Result<FilePosition> LogSegment::IndexedPosition(Offset offset) const {
  const int64_t size = this->size();
  if (size == 0) return FilePosition(0);
  ASSIGN_OR_RETURN(auto map, log_->Map());
  return FilePosition(StartPosition(offset, map->data(), size));
}

Status LogSegment::VerifyServed(std::string_view batch, int64_t pos) const {
  Status verified = VerifyBatch(batch);
  return verified.ok() ? verified : Withhold(pos, verified);
}

Result<std::shared_ptr<const ByteBuffer>> LogSegment::InflatedTwin(std::string_view batch, int64_t pos) const {
  auto twin = InflatedBatchCache::Shared().Get(id_, pos, batch);
  if (!twin.ok()) return Withhold(pos, twin.status());
  return twin;
}

void LogSegment::InflateAhead(const char* data, int64_t size, int64_t from) const {
  // As many as the cache takes ahead; each request of a reader in a batch
  // asks again, and a batch queued or inflated already is not queued again.
  constexpr int kBatchesAhead = 2;
  int64_t pos = from;
  for (int i = 0; i < kBatchesAhead && pos < size; ++i) {
    auto loc = LocateBatch(data, size, pos);
    if (!loc.ok()) return;
    if (loc->compressed && Presents(*loc)) {
      InflatedBatchCache::Shared().Prefetch(id_, pos, std::string_view(data + pos, static_cast<size_t>(loc->size)));
    }
    pos += loc->size;
  }
}

Status LogSegment::Withhold(int64_t pos, const Status& why) const {
  {
    MutexLock lock(&withheld_mu_);
    withheld_.insert(pos);
  }
  // Whatever the format check said (unsupported magic or codec included):
  // bytes this segment's load accepted are damaged now.
  return Status::Corruption(fmt::format("{}: the batch at position {} is damaged and withheld: {}",
                                        log_path(), pos, why.message()));
}

int64_t LogSegment::withheld_batches() const {
  MutexLock lock(&withheld_mu_);
  return static_cast<int64_t>(withheld_.size());
}

namespace {

// A record a read stopped inside: the bytes of its presentation from
// `from` on are still to be served.
struct PartialRecord {
  RecordView rec;
  int64_t from = -1;  // -1: none
  int64_t presented = 0;
};

// Copies the rest of a batch's presented bytes, from the record the read
// stopped inside (`partial`) or the reader's next, into `spill`, covering
// the CRC walk as it goes. False (the spill unusable, the walk still
// covered as far as it got) where the rest is not one run of offsets from
// `next`: compaction's gaps would leave bytes the spill cannot name.
bool SpillRest(RecordReader& reader, const PartialRecord& partial, Offset next, BatchCrcWalk* crc_walk,
               ByteBuffer* spill) {
  spill->clear();
  Offset end = next;
  if (partial.from >= 0) {
    const int64_t n = partial.presented - partial.from;
    const size_t at = spill->size();
    spill->ResizeUninitialized(at + static_cast<size_t>(n));
    CopyPresented(partial.rec, partial.from, n, spill->data() + at);
    end = end + n;
  }
  RecordView rec;
  for (;;) {
    // Plain values never present more bytes than they take in the batch.
    const int64_t room = std::max<int64_t>(reader.bytes_left(), 0) + 1;
    const size_t at = spill->size();
    spill->ResizeUninitialized(at + static_cast<size_t>(std::min(room, kCheckedPiece)));
    Offset plain_end = end;
    const int64_t copied = reader.CopyPlainValues(spill->data() + at, std::min(room, kCheckedPiece), &plain_end);
    spill->ResizeUninitialized(at + static_cast<size_t>(copied));
    if (copied > 0) {
      if (plain_end - end != copied) return false;  // a gap: offsets the spill cannot name
      end = plain_end;
      crc_walk->CoverTo(reader.position());
      continue;
    }
    if (!reader.Next(&rec)) break;
    const int64_t presented = PresentedSize(rec);
    if (presented == 0) continue;
    if (rec.offset != end) return false;
    const size_t before = spill->size();
    spill->ResizeUninitialized(before + static_cast<size_t>(presented));
    CopyPresented(rec, 0, presented, spill->data() + before);
    end = end + presented;
    crc_walk->CoverTo(reader.position());
  }
  return reader.status().ok();
}

}  // namespace

Result<ReadResult> LogSegment::Read(Offset offset, char* out, int64_t max,
                                    ReadCursor* cursor) const {
  ReadResult result{0, offset, offset};
  const int64_t size = this->size();
  if (size == 0 || max <= 0) return result;
  ASSIGN_OR_RETURN(auto map, log_->Map());
  const char* data = map->data();
  // Bytes the last read spilled (checked with their batch) come first.
  bool started = false;
  if (cursor != nullptr) {
    if (std::string_view spilled = cursor->SpillAt(id_, offset); !spilled.empty()) {
      const int64_t n = std::min<int64_t>(max, static_cast<int64_t>(spilled.size()));
      std::memcpy(out, spilled.data(), static_cast<size_t>(n));
      cursor->ConsumeSpill(n);
      result = ReadResult{n, offset, offset + n};
      if (n == max) return result;
      offset = result.next;
      started = true;
    }
  }
  // A matching cursor names the batch, and maybe the record, holding offset.
  ReadCursor::Position from;
  bool resume = false;
  if (cursor != nullptr) {
    if (auto at = cursor->ResumeAt(id_, offset, size)) {
      from = *at;
      resume = true;
    }
  }
  // After a spill only the batch after it follows (at the segment's end,
  // none does).
  if (started && !resume) return result;
  int64_t pos = resume ? from.batch : StartPosition(offset, data, size);
  bool resume_record = resume && from.record >= 0;
  bool verified = !verify_reads_ || (resume && from.verified);
  // Where the record holding result.next starts, for the cursor.
  struct {
    int64_t batch = -1, batch_size = 0, record = -1;
    int32_t left = 0;
  } stop;
  // The batch whose rest went to the cursor's spill, if one did.
  int64_t spill_batch = -1, spill_batch_size = 0;
  while (pos < size && result.bytes < max) {
    auto located = BatchAt(data, size, pos);
    if (!located.ok()) {
      // A header that does not frame a batch (a length past the end, a
      // flipped magic) is damage like a failed CRC: withheld, after the good
      // bytes before it.
      Status withheld = Withhold(pos, located.status());
      if (result.bytes == 0) return withheld;
      result.stopped_at_damage = true;
      break;
    }
    const BatchLocation loc = *located;
    const int64_t next_pos = pos + loc.size;
    // Skip whole batches that end before the offset: the next batch starts
    // at or before it. Only the batch holding the offset is decoded. The
    // next batch's base offset is not covered by any CRC, so it is believed
    // only where it follows this batch's last offset.
    if (!started && !resume && next_pos + format::kHeaderSizeUpToMagic <= size) {
      const Offset next_base = PeekFrame(std::string_view(data + next_pos, size - next_pos)).base_offset;
      if (next_base <= offset && next_base > loc.last_offset) {
        pos = next_pos;
        continue;
      }
    }
    std::string_view batch(data + pos, static_cast<size_t>(loc.size));
    // A plain data batch is checked right after its records are copied,
    // while its bytes are still in the CPU's cache: checking first would
    // read it from memory twice, and that second pass was most of what the
    // check cost (bench/FS_BENCH.md, "Read checks"). Its bytes count as
    // served only once it passes. Any other batch is checked first: a
    // flipped attribute or record count must not hide the lines of a batch
    // (passed over as control, empty or aborted), nor feed a damaged one
    // to a codec.
    const bool check = !verified;
    const bool presents = Presents(loc);
    const bool check_after_copy = check && presents && !loc.compressed;
    if (check && !check_after_copy) {
      Status v = VerifyServed(batch, pos);
      if (!v.ok()) {
        if (result.bytes == 0) return v;
        result.stopped_at_damage = true;  // the good bytes before it first
        break;
      }
    }
    verified = !verify_reads_;  // the next batch is checked anew
    if (!presents) {
      pos = next_pos;
      continue;
    }
    // What the read had before this batch, for a batch that fails its check
    // after its records were copied.
    const ReadResult before = result;
    const auto stop_before = stop;
    const bool started_before = started;
    BatchCrcWalk crc_walk(batch);
    // A compressed batch is read through its inflated twin, decompressed
    // once for all the requests (and readers) that go through it. One that
    // does not inflate is damage like a failed CRC.
    std::shared_ptr<const ByteBuffer> twin;
    if (loc.compressed) {
      auto inflated = InflatedTwin(batch, pos);
      if (!inflated.ok()) {
        if (result.bytes == 0) return inflated.status();
        result.stopped_at_damage = true;
        break;
      }
      twin = std::move(inflated).value();
      InflateAhead(data, size, next_pos);
    }
    const std::string_view records = twin ? std::string_view(*twin) : batch;
    RecordReader reader =
        resume_record ? RecordReader(records, from.record, from.records_left) : RecordReader(records);
    if (!started && !resume_record) reader.SkipBefore(offset);
    resume_record = false;
    RecordView rec;
    PartialRecord partial;
    for (;;) {
      if (started) {
        // Whole plain records in one pass each; the record that ends the
        // run (partial, or of another shape) goes the general way below.
        // A batch still to be checked is copied in pieces small enough for
        // the cache, each checked right after it is copied.
        const int64_t room = std::min(max - result.bytes, check_after_copy ? kCheckedPiece : max);
        const int64_t n = reader.CopyPlainValues(out + result.bytes, room, &result.next);
        if (n > 0) {
          result.bytes += n;
          stop = {pos, loc.size, reader.position(), reader.remaining()};
          if (check_after_copy) crc_walk.CoverTo(reader.position());
        }
      }
      const int64_t rec_position = reader.position();
      const int32_t rec_left = reader.remaining();
      if (result.bytes >= max || !reader.Next(&rec)) break;
      int64_t presented = PresentedSize(rec);
      int64_t skip = 0;
      if (!started) {
        if (rec.offset + presented <= offset) continue;
        started = true;
        skip = std::max<int64_t>(0, offset - rec.offset);
        result.start = rec.offset + skip;
      }
      int64_t n = std::min(presented - skip, max - result.bytes);
      CopyPresented(rec, skip, n, out + result.bytes);
      result.bytes += n;
      result.next = rec.offset + (skip + n);
      const bool inside = skip + n < presented;  // stopped inside this record
      stop = {pos, loc.size, inside ? rec_position : reader.position(), inside ? rec_left : reader.remaining()};
      if (inside) partial = {rec, skip + n, presented};
      if (check_after_copy) crc_walk.CoverTo(reader.position());
    }
    // Full inside a batch still to be checked: the rest of it goes to the
    // cursor's spill, checked piece by piece as it is copied, instead of a
    // second pass over bytes that come from memory.
    const bool spilled = check_after_copy && cursor != nullptr && result.bytes >= max &&
                         (partial.from >= 0 || reader.remaining() > 0) &&
                         SpillRest(reader, partial, result.next, &crc_walk, &cursor->spill_buffer());
    if (check_after_copy) {
      // Records that did not parse may be damage too: the CRC says which.
      Status v = crc_walk.Finish();
      if (!v.ok()) {
        v = Withhold(pos, v);
        result = before;
        stop = stop_before;
        started = started_before;
        if (result.bytes == 0) return v;
        result.stopped_at_damage = true;
        break;
      }
      if (spilled) {
        spill_batch = pos;
        spill_batch_size = loc.size;
      }
    }
    if (!reader.status().ok()) {
      return reader.status().Annotate(fmt::format("{} batch at position {}", log_path(), pos));
    }
    pos = next_pos;
  }
  if (cursor != nullptr && result.bytes > 0) {
    if (spill_batch >= 0) {
      cursor->KeepSpill(id_, result.next, spill_batch, spill_batch_size);
    } else if (stop.batch >= 0) {
      cursor->StopAt(id_, result.next, stop.batch, stop.batch_size, stop.record, stop.left);
    }
  }
  return result;
}


Result<std::optional<Offset>> LogSegment::FindOffsetByTimestamp(Timestamp ts,
                                                                Offset starting_offset) const {
  TimeIndex::Entry entry = time_index_->Lookup(ts);
  Offset target = std::max(entry.offset, starting_offset);
  // A time index entry past the segment's end is damage: scan from the start.
  if (target >= next_offset()) target = std::max(base_offset_, starting_offset);
  ASSIGN_OR_RETURN(FilePosition from, IndexedPosition(target));
  // Batches are visited lazily: the answer is usually within an index
  // interval of `from`, and a large segment must not be walked to its end.
  std::optional<Offset> found;
  Status record_status;
  RETURN_IF_ERROR(ScanBatches(from, [&](const BatchLocation& loc) {
    if (loc.max_timestamp < ts || !Presents(loc) || loc.last_offset < starting_offset) return true;
    record_status = ForEachRecord(loc, [&](const RecordView& rec) {
      if (!found && rec.timestamp >= ts && rec.offset >= starting_offset) found = rec.offset;
    });
    return record_status.ok() && !found;
  }));
  RETURN_IF_ERROR(record_status);
  return found;
}

Result<std::optional<Offset>> LogSegment::FirstRecordAtOrAfter(Offset offset) const {
  ASSIGN_OR_RETURN(FilePosition from, IndexedPosition(offset));
  std::optional<Offset> found;
  Status record_status;
  RETURN_IF_ERROR(ScanBatches(from, [&](const BatchLocation& loc) {
    if (!Presents(loc) || loc.last_offset < offset) return true;
    record_status = ForEachRecord(loc, [&](const RecordView& rec) {
      if (!found && rec.offset >= offset) found = rec.offset;
    });
    return record_status.ok() && !found;
  }));
  RETURN_IF_ERROR(record_status);
  return found;
}

Status LogSegment::ScanBatches(FilePosition from,
                               const std::function<bool(const BatchLocation&)>& fn) const {
  const int64_t size = this->size();
  if (from.value >= size) return Status::Ok();
  ASSIGN_OR_RETURN(auto map, log_->Map());
  for (int64_t pos = from.value; pos < size;) {
    ASSIGN_OR_RETURN(BatchLocation loc, BatchAt(map->data(), size, pos));
    if (!fn(loc)) break;
    pos += loc.size;
  }
  return Status::Ok();
}

Result<std::vector<BatchLocation>> LogSegment::Batches(FilePosition from) const {
  std::vector<BatchLocation> out;
  RETURN_IF_ERROR(ScanBatches(from, [&](const BatchLocation& loc) {
    out.push_back(loc);
    return true;
  }));
  return out;
}

Result<std::pair<std::shared_ptr<const LogFile::Mapping>, std::string_view>> LogSegment::BatchBytes(
    const BatchLocation& loc) const {
  if (loc.position.value + loc.size > size()) {
    return Status::InvalidArgument(fmt::format("{}: no batch at {}", log_path(), loc.position));
  }
  ASSIGN_OR_RETURN(auto map, log_->Map());
  std::string_view bytes(map->data() + loc.position.value, static_cast<size_t>(loc.size));
  // Whoever decodes it (views, the cleaner, group positions) gets only
  // what was written: a copy of a damaged batch would carry a fresh CRC.
  RETURN_IF_ERROR(VerifyServed(bytes, loc.position.value));
  return std::make_pair(std::move(map), bytes);
}

Status LogSegment::ForEachRecord(const BatchLocation& loc,
                                 const std::function<void(const RecordView&)>& fn) const {
  ASSIGN_OR_RETURN(auto bytes, BatchBytes(loc));
  std::shared_ptr<const ByteBuffer> twin;
  if (loc.compressed) {
    ASSIGN_OR_RETURN(twin, InflatedTwin(bytes.second, loc.position.value));
  }
  RecordReader reader(twin ? std::string_view(*twin) : bytes.second);
  RecordView rec;
  while (reader.Next(&rec)) fn(rec);
  return reader.status();
}

Result<int64_t> LogSegment::TruncateTo(Offset offset) {
  FilePosition from = offset_index_->Lookup(offset).position;
  ASSIGN_OR_RETURN(auto batches, Batches(from));
  auto first_gone = std::find_if(batches.begin(), batches.end(),
                                 [&](const BatchLocation& b) { return b.last_offset >= offset; });
  if (first_gone == batches.end()) return int64_t{0};
  int64_t cut_at = first_gone->position.value;
  int64_t truncated = size() - cut_at;
  RETURN_IF_ERROR(offset_index_->TruncateTo(offset));
  RETURN_IF_ERROR(time_index_->TruncateTo(offset));
  RETURN_IF_ERROR(log_->TruncateTo(cut_at));
  RETURN_IF_ERROR(ResizeIndexes(max_index_bytes_));
  if (cut_at == 0) {
    created_ms_ = clock_->MonotonicMs();
    rolling_based_timestamp_.reset();
  }
  record_count_ = -1;
  RETURN_IF_ERROR(LoadTail());
  std::vector<AbortedTxn> kept = aborted_txns();
  std::erase_if(kept, [&](const AbortedTxn& e) { return e.last_offset >= offset; });
  RETURN_IF_ERROR(WriteAbortedTxns(std::move(kept)));
  return truncated;
}

Timestamp LogSegment::MaxTimestampSoFar() const { return Timestamp(max_timestamp_so_far_.load()); }

Timestamp LogSegment::LargestTimestamp() const {
  int64_t ts = max_timestamp_so_far_.load();
  return ts >= 0 ? Timestamp(ts) : Timestamp(log_->LastModifiedMs());
}

Result<int64_t> LogSegment::RecordCount() const {
  int64_t cached = record_count_.load();
  if (cached >= 0) return cached;
  ASSIGN_OR_RETURN(auto batches, Batches());
  int64_t count = 0;
  for (const auto& loc : batches) count += Presents(loc) ? loc.records : 0;
  // An append may have raced the count; the appender only adds once a count
  // exists, so publish ours only if nobody else did.
  int64_t expected = -1;
  record_count_.compare_exchange_strong(expected, count);
  return record_count_.load();
}

bool LogSegment::ShouldRoll(int64_t append_size, Offset last_offset, Timestamp max_ts,
                            int32_t segment_bytes, int64_t max_segment_ms) const {
  int64_t size = this->size();
  if (size > int64_t{segment_bytes} - append_size) return true;
  if (size > 0) {
    // As in Kafka, the first batch decides: with a timestamp, record time
    // counts; without one (-1), the wall clock since the segment was created.
    const bool record_time = rolling_based_timestamp_ && rolling_based_timestamp_->value >= 0;
    int64_t waited = record_time ? max_ts - *rolling_based_timestamp_
                                 : clock_->MonotonicMs() - created_ms_;
    if (waited > max_segment_ms) return true;
  }
  if (offset_index_->IsFull() || time_index_->IsFull()) return true;
  return last_offset - base_offset_ > kMaxRelativeOffset;
}

Status LogSegment::OnBecomeInactive() {
  // The final entry records the newest timestamp; closing twice adds nothing.
  // A time index below 12 bytes (segment.index.bytes may be as low as 4) has
  // no slot for it.
  if (max_timestamp_so_far_.load() > time_index_->LastEntry().timestamp.value &&
      time_index_->entries() < time_index_->max_entries()) {
    RETURN_IF_ERROR(time_index_->MaybeAppend(Timestamp(max_timestamp_so_far_.load()),
                                             Offset(offset_of_max_timestamp_.load()),
                                             /*skip_full_check=*/true));
  }
  log_->ReleaseReserved();
  RETURN_IF_ERROR(offset_index_->TrimToValidSize());
  return time_index_->TrimToValidSize();
}

Status LogSegment::ResizeIndexes(int32_t max_index_bytes) {
  max_index_bytes_ = max_index_bytes;
  RETURN_IF_ERROR(offset_index_->Resize(max_index_bytes));
  return time_index_->Resize(max_index_bytes);
}

Status LogSegment::Flush() {
  RETURN_IF_ERROR(log_->Flush());
  RETURN_IF_ERROR(offset_index_->Flush());
  return time_index_->Flush();
}

Status LogSegment::ChangeFileSuffixes(std::string_view old_suffix, std::string_view new_suffix) {
  auto renamed = [&](const std::string& path) {
    std::string base = path.substr(0, path.size() - old_suffix.size());
    return base + std::string(new_suffix);
  };
  RETURN_IF_ERROR(log_->Rename(renamed(log_->path())));
  RETURN_IF_ERROR(offset_index_->Rename(renamed(offset_index_->path())));
  RETURN_IF_ERROR(time_index_->Rename(renamed(time_index_->path())));
  {
    // Kafka's rule: an index never written is renamed only in memory.
    MutexLock lock(&txn_mu_);
    if (txn_file_) RETURN_IF_ERROR(io_->Rename(TxnIndexPath(), renamed(TxnIndexPath())));
  }
  file_state_suffix_ = std::string(new_suffix);
  return Status::Ok();
}

Status LogSegment::Close() {
  Status s = OnBecomeInactive();
  Status oi = offset_index_->Close();
  Status ti = time_index_->Close();
  log_->Close();
  if (!s.ok()) return s;
  return oi.ok() ? ti : oi;
}

Status LogSegment::DeleteFiles() {
  Status a = offset_index_->Delete();
  Status b = time_index_->Delete();
  Status c = log_->Delete();
  // Written or not: no other .txnindex goes by this segment's name.
  Status d = io_->Remove(TxnIndexPath());
  if (!a.ok()) return a;
  if (!b.ok()) return b;
  return c.ok() ? d : c;
}

}  // namespace topicfs::store
