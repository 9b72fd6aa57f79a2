#pragma once
// One segment of a partition log: <base>.log with its sparse <base>.index
// and <base>.timeindex, and the <base>.txnindex of the ABORT markers it
// holds, if any (docs/format.md). It answers reads of presented bytes
// at an offset, timestamp lookups, and rebuilds its indexes from the log.
//
// Offsets here are "one coordinate" offsets: a record's offset is the
// position of its first presented byte, and next_offset() is the position
// after the last record's presented bytes ("\n" included).
//
// Thread safety: one appender (the owning Log's append lock) calls Append,
// Recover, TruncateTo, OnBecomeInactive, ChangeFileSuffixes and the other
// mutators. Readers may call Read, FindOffsetByTimestamp, the getters and
// Batches concurrently; they see whole appended batches only.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/format/batch_check.h"
#include "store/base/byte_buffer.h"
#include "store/base/clock.h"
#include "store/base/mutex.h"
#include "store/io/file_cache.h"
#include "store/io/file_io.h"
#include "store/io/log_file.h"
#include "store/index/offset_index.h"
#include "store/base/status.h"
#include "store/index/time_index.h"
#include "store/format/aborted_txn.h"
#include "store/log/aborted_transactions.h"
#include "store/log/read_cursor.h"
#include "store/base/types.h"

namespace topicfs::store {

// The result of copying presented bytes out of the log.
struct ReadResult {
  int64_t bytes = 0;  // bytes copied
  Offset start;       // offset of the first byte copied (>= the requested one
                      // when the requested offset was removed)
  Offset next;        // offset just after the last byte copied
  // The read stopped before a damaged batch (withheld): what follows it in
  // the same request would skip that batch's bytes unseen.
  bool stopped_at_damage = false;
};

class LogSegment {
 public:
  struct Options {
    std::string dir;
    Offset base_offset;
    int32_t index_interval_bytes = 4096;
    int32_t max_index_bytes = 10'485'760;
    int32_t segment_bytes = 1'073'741'824;  // read-mapping capacity hint
    std::string file_state_suffix;          // "" normally, ".cleaned" for cleaner output
    const Clock* clock = &Clock::System();
    FileIo* io = &FileIo::Default();
    FileCache* file_cache = nullptr;  // parks idle files; null: never
    // Reads check each batch's CRC-32C before serving it (Read). Off only
    // to measure what the check costs (bench/).
    bool verify_reads = true;
    // The partition's aborted transactions, whose records reads do not
    // present; null: none.
    std::shared_ptr<const AbortedTransactions> aborted;
  };

  // What Recover cut out of the .log, and where the bytes went.
  struct RecoveryResult {
    int64_t cut_bytes = 0;
    std::vector<std::string> side_files;  // <base>.log.<position>.corrupt
  };

  // Creates a new, empty segment. A .log of that name left empty (a crash
  // right after a roll) is taken over; one holding bytes is refused
  // (kAlreadyExists) and left as it is. Index files of that name are caches
  // of nothing and are emptied. Cleaner output (a .cleaned suffix) is
  // created or emptied.
  static Result<std::unique_ptr<LogSegment>> Create(const Options& options);
  // Opens an existing segment. Missing index files are created empty and
  // reported through needs_recovery(); indexes failing their sanity check too,
  // and a .txnindex that does not decode or names offsets past the end. A
  // missing .txnindex is no damage: as in Kafka, it exists only for a
  // segment holding ABORT markers.
  static Result<std::unique_ptr<LogSegment>> Open(const Options& options);
  ~LogSegment();

  Offset base_offset() const { return base_offset_; }
  // Position after the last record's presented bytes; base when empty.
  Offset next_offset() const { return Offset(next_offset_.load(std::memory_order_acquire)); }
  int64_t size() const { return log_->size(); }
  bool empty() const { return size() == 0; }
  // Set at Open when an index was missing or failed its sanity check.
  bool needs_recovery() const { return needs_recovery_; }
  std::string log_path() const { return log_->path(); }
  const OffsetIndex& offset_index() const { return *offset_index_; }
  const TimeIndex& time_index() const { return *time_index_; }

  // Appends whole, verified batches. largest_offset is the offset of the
  // last record of `batches`, next_offset the position after its presented
  // bytes; max_timestamp / offset_of_max_timestamp describe the newest record.
  struct AppendInfo {
    std::string_view batches;
    std::vector<BatchLocation> locations;  // relative positions: 0 = first batch
    Offset next_offset;
    Timestamp max_timestamp;
    Offset offset_of_max_timestamp;
    int64_t records = 0;
  };
  Status Append(const AppendInfo& info);

  // Copies presented bytes starting at `offset` (or at the next surviving
  // record if nothing is stored there) into out[0, max). Stops at the end of
  // the segment. bytes == 0 when nothing at or after offset is in this
  // segment. It may write anywhere in out[0, max), not only the bytes it
  // reports. cursor (optional) resumes a sequential reader and is moved on.
  //
  // Every batch whose bytes it returns passed its CRC-32C, checked by this
  // read or, for the batch a cursor resumes in, by the read before (a plain
  // batch is checked right after its records are copied, while they are in
  // the cache; the others before). At a batch that does not pass, the read
  // stops: the bytes before it are returned, and a read that starts at it
  // fails with kCorruption (the batch is withheld, counted in
  // withheld_batches(), and needs_repair() says so). Reads that start after
  // it are served.
  //
  // A read fills `max` unless it reaches the segment's end or a damaged
  // batch, as a file's read does: a batch of which only a part fits is
  // checked whole (the part copied, the rest read for the CRC), and a
  // cursor then remembers it as checked for the reads that go on in it.
  Result<ReadResult> Read(Offset offset, char* out, int64_t max,
                          ReadCursor* cursor = nullptr) const;
  // Whole batches for a Kafka fetch at `offset`: from the first batch
  // whose last offset >= offset (Kafka's rule: it may start before offset)
  // while they fit in max_bytes, the first one whether it fits or not when
  // at_least_one (KIP-74), and none at or past `end` (the log end the
  // fetch saw). Every batch passes its CRC-32C first (VerifyServed): the
  // range stops before one that does not, and a range that would start at
  // it fails with kCorruption. length 0 when no batch qualifies.
  struct FetchRange {
    FilePosition position;
    int64_t length = 0;
    Offset next_offset;  // the last batch's last offset + 1
    bool stopped_at_damage = false;
    bool stopped_at_limit = false;  // the next batch did not fit max_bytes
  };
  Result<FetchRange> RangeForFetch(Offset offset, int64_t max_bytes, bool at_least_one, Offset end) const;
  // A descriptor of the .log the caller owns (LogFile::Duplicate).
  Result<int> DuplicateLogDescriptor() const { return log_->Duplicate(); }

  // Unique per LogSegment object in this process and never reused (unlike
  // an address): a cursor cannot outlive a segment the cleaner replaced.
  uint64_t id() const { return id_; }

  // The offset of the first record with timestamp >= ts and offset >=
  // starting_offset, if this segment has one.
  Result<std::optional<Offset>> FindOffsetByTimestamp(Timestamp ts, Offset starting_offset) const;

  // The offset of the first record starting at or after `offset`, if this
  // segment has one (a position inside a record moves to the next record).
  Result<std::optional<Offset>> FirstRecordAtOrAfter(Offset offset) const;

  // Whether a reader sees the records of this batch: not a control batch,
  // not empty, not of an aborted transaction (Options::aborted).
  bool Presents(const BatchLocation& loc) const;

  // The entries of the .txnindex (none without one).
  std::vector<AbortedTxn> aborted_txns() const EXCLUDES(txn_mu_);
  // Replaces the .txnindex by these entries: written atomically, or
  // removed when there are none. The caller publishes them to readers
  // (AbortedTransactions) afterwards.
  Status WriteAbortedTxns(std::vector<AbortedTxn> entries) EXCLUDES(txn_mu_);
  // Set by Recover: the segment holds transactional batches, so its
  // .txnindex must be rebuilt (Log::RebuildTransactionIndexes).
  bool holds_transactional_batches() const { return holds_transactional_; }

  // Batch headers from `from` to the end of the segment.
  Result<std::vector<BatchLocation>> Batches(FilePosition from = FilePosition(0)) const;
  // Calls fn for each batch header from `from` on, until it returns false.
  Status ScanBatches(FilePosition from, const std::function<bool(const BatchLocation&)>& fn) const;
  // Calls fn(record) for each record of the batch at loc, in order.
  Status ForEachRecord(const BatchLocation& loc,
                       const std::function<void(const struct RecordView&)>& fn) const;
  // The bytes of the batch at loc, valid while the returned mapping lives;
  // kCorruption (and the batch withheld) if they fail their CRC-32C.
  Result<std::pair<std::shared_ptr<const LogFile::Mapping>, std::string_view>> BatchBytes(
      const BatchLocation& loc) const;

  // Rebuilds both indexes from the log, validating every batch: size,
  // CRC-32C, records, and offsets that follow the byte-position rule (every
  // record at or after the end of the one before). Bytes that are not such
  // batches are moved into side files (docs/recovery.md): a torn, zeroed or
  // garbage tail is cut off; a damaged batch with valid ones after it is cut
  // out and the walk resumes at the next valid batch. Nothing else changes.
  // kUnsupported, with the .log untouched, when the segment holds a valid
  // batch topicfs does not decode (magic 0/1, compressed) or valid batches
  // whose offsets do not follow the rule (a Kafka broker's data).
  Result<RecoveryResult> Recover();
  // Removes every batch whose last offset >= offset (Kafka's truncateTo),
  // and the .txnindex entries of the markers removed.
  Result<int64_t> TruncateTo(Offset offset);

  // The newest record timestamp in the segment (kNoTimestamp if none):
  // Kafka's largestTimestamp, falling back to the file's mtime.
  Timestamp LargestTimestamp() const;
  Timestamp MaxTimestampSoFar() const;
  // Records in the segment, counted from batch headers (cached).
  Result<int64_t> RecordCount() const;
  // Batches found damaged while serving (withheld from readers) since the
  // segment was opened.
  int64_t withheld_batches() const EXCLUDES(withheld_mu_);
  // A read found damage (a withheld batch, an index entry pointing at no
  // batch): the next open must validate this segment and rebuild its indexes.
  bool needs_repair() const { return index_broken_.load() || withheld_batches() > 0; }

  // Whether an append of `size` bytes ending at `last_offset` with newest
  // timestamp max_ts must go to a new segment (docs/format.md, "Roll").
  bool ShouldRoll(int64_t append_size, Offset last_offset, Timestamp max_ts,
                  int32_t segment_bytes, int64_t max_segment_ms) const;

  // Called when a newer segment becomes active: writes the final time index
  // entry and trims both indexes.
  Status OnBecomeInactive();
  // Grows the indexes back to the max size (the active segment after load).
  Status ResizeIndexes(int32_t max_index_bytes);
  Status Flush();
  // Renames all its files from <name><old> to <name><new> (state suffixes).
  Status ChangeFileSuffixes(std::string_view old_suffix, std::string_view new_suffix);
  Status SetLastModifiedMs(int64_t ms) { return log_->SetLastModifiedMs(ms); }
  int64_t LastModifiedMs() const { return log_->LastModifiedMs(); }
  // Closes (trims indexes) without deleting.
  Status Close();
  // Deletes all files.
  Status DeleteFiles();

 private:
  LogSegment(const Options& options, std::unique_ptr<LogFile> log,
             std::unique_ptr<OffsetIndex> offset_index, std::unique_ptr<TimeIndex> time_index);
  static Result<std::unique_ptr<LogSegment>> OpenFiles(const Options& options, bool create);
  // store/log/log_segment_recovery.cc: one validating walk over the .log,
  // rebuilding the indexes; the ranges to cut, or kUnsupported.
  struct Walk;
  Result<Walk> ValidateAndIndex();
  // Moves [from, to) of the .log into a side file, then out of the .log.
  Result<std::string> CutRange(int64_t from, int64_t to);
  // Recomputes next_offset and the max timestamp from the last batches.
  Status LoadTail();
  // Reads the .txnindex, if there is one; kCorruption if it is damaged.
  Status LoadAbortedTxns() EXCLUDES(txn_mu_);
  std::string TxnIndexPath() const;
  Status IndexBatch(const BatchLocation& loc, int64_t* bytes_since_last_entry);
  // LocateBatch, its failure naming this segment's .log.
  Result<BatchLocation> BatchAt(const char* data, int64_t size, int64_t pos) const;
  // Where a scan for `offset` starts: the offset index's entry, if it names
  // the batch it says it does; otherwise the segment start, and the index is
  // not used again (it is rebuilt at the next open).
  int64_t StartPosition(Offset offset, const char* data, int64_t size) const;
  Result<FilePosition> IndexedPosition(Offset offset) const;
  // VerifyBatch, remembering a batch that fails as withheld.
  Status VerifyServed(std::string_view batch, int64_t pos) const;
  // The inflated twin of the compressed batch `batch` at pos (shared by all
  // readers, InflatedBatchCache); one that does not inflate is withheld
  // like a failed CRC.
  Result<std::shared_ptr<const ByteBuffer>> InflatedTwin(std::string_view batch, int64_t pos) const;
  // Starts inflating the compressed batches that follow the one ending at
  // `from` (a sequential reader's next), in the background, so that its
  // next requests find them inflated.
  void InflateAhead(const char* data, int64_t size, int64_t from) const;
  // Remembers the batch at pos as withheld (so the segment needs repair);
  // the kCorruption that says why.
  Status Withhold(int64_t pos, const Status& why) const;

  const Offset base_offset_;
  const uint64_t id_;
  const int32_t index_interval_bytes_;
  const bool verify_reads_;
  int32_t max_index_bytes_;
  const Clock* clock_;
  FileIo* io_;
  std::string dir_;
  std::string file_state_suffix_;
  std::unique_ptr<LogFile> log_;
  std::unique_ptr<OffsetIndex> offset_index_;
  std::unique_ptr<TimeIndex> time_index_;
  const std::shared_ptr<const AbortedTransactions> aborted_;
  bool needs_recovery_ = false;
  bool holds_transactional_ = false;
  // The .txnindex as it is on disk; txn_file_ says whether there is one.
  mutable Mutex txn_mu_;
  std::vector<AbortedTxn> aborted_txns_ GUARDED_BY(txn_mu_);
  bool txn_file_ GUARDED_BY(txn_mu_) = false;

  std::atomic<int64_t> next_offset_;
  // Appender state.
  int64_t bytes_since_last_index_entry_ = 0;
  std::atomic<int64_t> max_timestamp_so_far_{-1};
  std::atomic<int64_t> offset_of_max_timestamp_;
  std::optional<Timestamp> rolling_based_timestamp_;
  int64_t created_ms_;
  mutable std::atomic<int64_t> record_count_{-1};  // -1: not counted yet
  mutable std::atomic<bool> index_broken_{false};
  mutable Mutex withheld_mu_;
  mutable std::set<int64_t> withheld_ GUARDED_BY(withheld_mu_);  // positions of damaged batches
};

}  // namespace topicfs::store
