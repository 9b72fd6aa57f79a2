#pragma once
// A partition: an ordered map of segments by base offset, the last of which
// (the active segment) takes appends. Offsets are "one coordinate" offsets:
// a record's offset is the log end offset before it, and each line advances
// the end by its length + 1 (docs/format.md).
//
// Thread safety: one appender at a time (append_mu_ serialises Append, Roll,
// Flush, Close and config changes); any number of readers run concurrently
// with it (Read, OffsetForTimestamp, OffsetOfNthRecordFromEnd, Figures) and
// see only whole batches that were completely appended. segments_mu_ guards
// the segment map; it is held only to look a segment up, never across I/O.
// After a failed write or fsync the log is fenced: appends fail with kFenced
// until it is reopened.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/format/checkpoint_file.h"
#include "store/base/clock.h"
#include "store/io/file_io.h"
#include "store/base/mutex.h"
#include "store/base/owned_fd.h"
#include "store/log/aborted_transactions.h"
#include "store/log/log_config.h"
#include "store/log/log_segment.h"
#include "store/format/batch_builder.h"
#include "store/format/batch_header.h"
#include "store/base/scheduler.h"
#include "store/base/status.h"
#include "store/base/types.h"
#include "store/log/producer_state.h"

namespace topicfs::store {

struct LogFigures {
  Offset log_start_offset;
  Offset log_end_offset;
  Offset recovery_point;
  int64_t size_bytes = 0;  // bytes of all .log files
  // Bytes the segments' records span from the log start to the end: what
  // `cat` prints, less what compaction removed in between. Over
  // size_bytes, the compression ratio.
  int64_t presented_bytes = 0;
  int64_t segments = 0;
  int64_t records = 0;
  int64_t withheld_batches = 0;  // damaged batches found and not served
};

struct AppendResult {
  Offset first_offset;  // offset of the first line
  Offset end_offset;    // log end offset after the append
  int64_t records = 0;
  int64_t batches = 0;
  // The log's clock when it appended (Kafka's log append time; batches
  // keep their CreateTime timestamps).
  Timestamp append_time;
  // An idempotent producer's batch seen before (a retry after a lost
  // answer): nothing was appended, first_offset is the original batch's.
  bool duplicate = false;
};

// Stored batches for a Kafka fetch, as they are in the segment files: each
// slice is whole batches, [position, position + length) of the file `fd`
// reads (the caller's own descriptor: it closes when the slice goes).
struct FetchSlice {
  OwnedFd fd;
  FilePosition position;
  int64_t length = 0;
};
struct FetchSlices {
  std::vector<FetchSlice> slices;  // in offset order, across segments
  int64_t bytes = 0;               // the slices' lengths summed
  Offset high_watermark;           // the log end offset the fetch saw
  Offset log_start_offset;
};

// A record given as bytes rather than as a line. Either may be null; a
// null value is a tombstone.
struct KeyValue {
  std::optional<std::string_view> key;
  std::optional<std::string_view> value;
};

class Log {
 public:
  struct Options {
    std::string dir;  // <data>/<topic>-<partition>
    TopicPartition topic_partition;
    LogConfig config;
    // From the data directory's checkpoints (0 when absent).
    Offset recovery_point;
    Offset log_start_offset;
    bool had_clean_shutdown = false;
    const Clock* clock = &Clock::System();
    FileIo* io = &FileIo::Default();
    // Runs delayed deletion of .deleted files; nullptr deletes at once.
    Scheduler* scheduler = nullptr;
    // Bounds the segment files open at once; nullptr: no bound.
    FileCache* file_cache = nullptr;
    bool verify_reads = true;  // LogSegment::Options::verify_reads
    // Kafka's producer.id.expiration.ms: how long after its last batch's
    // timestamp an idempotent producer is forgotten (at load, and by
    // RemoveExpiredProducers).
    int64_t producer_id_expiration_ms = 86'400'000;
  };

  // Loads (and if needed recovers) the partition directory, creating it if
  // missing. docs/recovery.md lists the steps.
  static Result<std::unique_ptr<Log>> Open(Options options);
  // A partition that could not be loaded (its directory is no directory, a
  // segment cannot be opened, recovery failed): reads and appends fail with
  // `why`, and nothing on disk is touched. The checkpoint values it was
  // given stay what the data directory's checkpoints hold for it.
  static std::unique_ptr<Log> Offline(Options options, Status why);
  ~Log();

  // Why the partition is offline; ok() when it is not.
  const Status& offline() const { return offline_; }
  // Refuses appends from now on (kReadOnly, saying why), and retention and
  // the cleaner leave it alone: its config could not be read, and neither
  // may act on a guess.
  void SetReadOnly(std::string why) EXCLUDES(append_mu_);
  bool read_only() const { return read_only_.load(); }
  // Whether this Open made the partition directory (so discarding a
  // partition whose creation failed may remove it).
  bool created_directory() const { return created_directory_; }

  // Appends lines (values without their "\n") as records, in as few batches
  // as max.message.bytes allows. All-or-nothing validation: a line too large
  // for a batch (kRecordTooLarge), or a keyless line on a compacted topic
  // (kInvalidArgument), appends nothing. offsets, if given, receives each
  // line's offset.
  Result<AppendResult> Append(std::span<const std::string_view> lines,
                              std::vector<Offset>* offsets = nullptr) EXCLUDES(append_mu_);
  // Appends records with explicit binary keys and values (internal topics
  // such as __consumer_offsets), batched and validated as Append does: a
  // record too large (kRecordTooLarge) or with a null key on a compacted
  // topic (kInvalidArgument) appends nothing. A record presents as value +
  // "\n", a tombstone as key + "\n" (presented_record.h); that size is how
  // far it moves the log end.
  Result<AppendResult> AppendRecords(std::span<const KeyValue> records,
                                     std::vector<Offset>* offsets = nullptr) EXCLUDES(append_mu_);
  // Append of the lines of pending + text, which a writer hands over as
  // text: every "\n" in text ends a line, and text ends with one; pending
  // (what earlier writes left unfinished) starts the first line. Same
  // rules, records and batches as Append, in one pass over the text when
  // it fits one batch (store/log/log_text_append.cc).
  Result<AppendResult> AppendText(std::string_view pending, std::string_view text)
      EXCLUDES(append_mu_);

  // Appends what a Kafka producer sent for this partition: `records`, a
  // Produce request's records field (RecordBatch v2 batches back to back),
  // all of it or nothing. First every batch is checked as
  // DecodeProducedBatches (store/format/produced_batches.h) says: magic
  // 0/1, control and transactional batches kUnsupported; truncation, bad
  // lengths, CRC-32C, records that do not parse kCorruption; Kafka's
  // INVALID_RECORD cases and a null key on a compacted topic
  // kInvalidArgument; a batch over min(max.message.bytes, segment.bytes),
  // as sent or as re-encoded, kRecordTooLarge. Then an idempotent
  // producer's batch (producer id >= 0) is judged as Kafka's
  // UnifiedLog.analyzeAndValidateProducerState judges it
  // (store/log/log_producer_state.cc): it must be the only batch of the
  // produce (else kInvalidArgument, Kafka's INVALID_RECORD); one of the
  // producer's last five batches again appends nothing and answers that
  // batch's first offset (duplicate = true, as Kafka answers NONE with the
  // original offsets); a sequence out of turn kOutOfOrderSequence; an
  // epoch below the producer's kInvalidProducerEpoch. Then every batch is re-encoded
  // at its offsets in the one coordinate (each record at the log end
  // before it, advancing it by its presented size, presented_record.h;
  // LastOffsetDelta its presented end - 1) with a new CRC, keeping the
  // records' CreateTime timestamps, keys, values, headers and the batch's
  // producer id, epoch and base sequence; a compressed batch is inflated
  // and compressed again, with its own codec when compression.type is
  // `producer`, else with the topic's (Kafka's rule; a topic has no
  // message.timestamp.type yet, so timestamps are always CreateTime). On
  // a topic with key.separator, a producer's keyed record gets the
  // separator in a topicfs.sep header (unless it has one), so it presents
  // as key + separator + value, as a line written through the mount does;
  // a copied log's records are kept as they are. The
  // batches land as Append's do: one segment, visible and durable all
  // together. AppendResult: first_offset is the first record's offset (a
  // Produce response's base offset), end_offset the log end after it,
  // append_time the log append time. Internal topics are not refused
  // here: the front end decides who may produce to them.
  //
  // `by` says who sent them: a producer's batches are judged as above; a
  // copied Kafka log's (topicfs import) are not, only recorded, since a
  // log holds no retries and Kafka's cleaner leaves gaps in a producer's
  // sequences that a live producer's batch may not have.
  enum class ProducedBy { kProducer, kCopiedLog };
  Result<AppendResult> AppendProducedBatches(std::string_view records, ProducedBy by = ProducedBy::kProducer)
      EXCLUDES(append_mu_);
  // The producer state's snapshot entries as they are now (what a
  // .snapshot written now would hold), for tests and tools.
  std::vector<ProducerSnapshotEntry> ProducerStateEntries() EXCLUDES(append_mu_);
  // Forgets the idempotent producers that expired (Options::
  // producer_id_expiration_ms, ProducerStateTable::RemoveExpired); the
  // next snapshot leaves them out. Returns how many.
  size_t RemoveExpiredProducers() EXCLUDES(append_mu_);
  // Whether Append({line}) would take the line now, judged as Append judges
  // before it writes anything, and appending nothing: kFenced while the log
  // refuses appends, kInvalidArgument for a keyless line on a compacted
  // topic, kRecordTooLarge when its record alone makes a batch over
  // min(max.message.bytes, segment.bytes). Ok is no promise: the disk can
  // still fail the append. The filesystem asks at close, where a line still
  // held would be appended only later (store/log/log_line_check.cc).
  Status CheckLine(std::string_view line) const EXCLUDES(config_mu_);
  // Whether a line that begins with `start` (its newline not written yet)
  // can still become a record: kRecordTooLarge when `start` alone, as a
  // keyless value, already makes a batch over the limit. No line beginning
  // so makes a smaller record, so a line is never refused before its end
  // would be. Only the size is judged: key and fence are judged once the
  // line ends (CheckLine).
  Status CheckUnfinishedLine(std::string_view start) const EXCLUDES(config_mu_);

  // Copies presented bytes from `offset` into out[0, max): the bytes stored
  // there, continuing at the next surviving record where records are gone
  // (below the log start, or removed by compaction). ReadResult says where
  // the copied bytes start and where the read stopped. bytes == 0 at the end.
  // It may write anywhere in out[0, max), not only the bytes it reports.
  // cursor (optional, one per sequential reader) lets a read continue where
  // the previous one stopped without decoding its batch again (ReadCursor).
  Result<ReadResult> Read(Offset offset, char* out, int64_t max,
                          ReadCursor* cursor = nullptr) const;

  // The stored batches a Kafka fetch at `offset` returns, for sending with
  // sendfile(2) (store/log/log_fetch.cc): whole batches from the first
  // whose last offset >= offset (so it may start before offset, and an
  // offset in a compacted gap or inside a record starts at the batch
  // holding the next record), continuing across segments while they fit
  // in max_bytes, the first batch whole even if it does not when
  // at_least_one (KIP-74: a fetch's first partition with data), none
  // past the log end the fetch saw. Each batch passes its CRC-32C first,
  // as reads check them: the slices stop before a damaged batch, and a
  // fetch that would start at one fails with kCorruption. An offset below
  // the log start or above the log end is kOutOfRange (Kafka's
  // OFFSET_OUT_OF_RANGE); at the log end the slices are empty.
  Result<FetchSlices> SlicesForFetch(Offset offset, int64_t max_bytes, bool at_least_one = true) const;

  // The aborted transactions a Kafka fetch of [from, to) lists for a
  // read_committed consumer (Kafka's collectAbortedTxns), from the
  // segments' .txnindex files: those ending at or after `from` and
  // starting before `to`, by first offset. Reads of the file never present
  // their records (store/log/aborted_transactions.h).
  std::vector<AbortedTxn> AbortedTransactionsIn(Offset from, Offset to) const;
  // The offset of the first record whose timestamp >= ts (Kafka's
  // offsetsForTimes), or nullopt when every record is older.
  Result<std::optional<Offset>> OffsetForTimestamp(Timestamp ts) const;
  // The offset of the first surviving record that starts at or after
  // `offset` (the log end if none does): where a fetch at `offset` begins.
  Result<Offset> FirstRecordAtOrAfter(Offset offset) const;
  // The offset of the n-th record from the end (n = 1: the last record); the
  // log start when the log has fewer than n records.
  Result<Offset> OffsetOfNthRecordFromEnd(int64_t n) const;

  LogFigures Figures() const;
  Offset log_start_offset() const { return Offset(log_start_offset_.load()); }
  Offset log_end_offset() const { return Offset(end_offset_.load(std::memory_order_acquire)); }
  Offset recovery_point() const { return Offset(recovery_point_.load()); }
  // What the recovery-point checkpoint keeps for this partition: the
  // recovery point, or the base of the first segment a read found damaged
  // (a withheld batch, an index pointing at no batch) if that is lower, so
  // that the next open validates it, clean shutdown or not.
  Offset CheckpointedRecoveryPoint() const;
  const TopicPartition& topic_partition() const { return tp_; }
  const std::string& dir() const { return dir_; }
  bool fenced() const { return fenced_.load(); }
  LogConfig config() const EXCLUDES(config_mu_);
  // Milliseconds since the epoch of the last append (or the newest segment's
  // mtime after a reopen): the partition file's st_mtime.
  int64_t last_modified_ms() const { return last_modified_ms_.load(); }

  // Makes everything appended so far durable: segments and indexes fsynced,
  // the directory fsynced if segments were created, then the recovery point
  // moves to the log end.
  Status Flush() EXCLUDES(append_mu_);
  // For a scheduler: flushes the segments below the newest roll if they are
  // not yet (FlushRolledSegments), then everything if flush.ms has passed
  // since the last flush.
  Status FlushIfDue() EXCLUDES(files_mu_, append_mu_);
  // Starts a new active segment at the log end (if the active one is not empty).
  Status Roll() EXCLUDES(append_mu_);
  void UpdateConfig(const LogConfig& config) EXCLUDES(append_mu_, config_mu_);
  // Flushes, writes the final index entries and closes every file. With
  // sync_files false nothing is fsynced: the caller syncs the whole
  // filesystem afterwards (one syncfs for thousands of partitions) and then
  // calls RecordSyncedAtClose.
  Status Close(bool sync_files = true) EXCLUDES(files_mu_, append_mu_);
  // After a Close(false) and a successful syncfs: everything the log held
  // is durable, so its recovery point is its end (unless it was fenced).
  void RecordSyncedAtClose() EXCLUDES(append_mu_);
  // Closes files without flushing (for a topic being deleted).
  void CloseWithoutFlush() EXCLUDES(append_mu_, segments_mu_);

  // What loading found and repaired (torn tails cut, indexes rebuilt,
  // segments set aside), for the daemon's log.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // ---- cleanup (store/log/log_cleanup.cc, docs/cleanup.md) ----
  // Deletes old segments as retention decides (PlanRetention): the log
  // start moves first, the segments leave the map (readers holding one
  // finish with it), their files are renamed .deleted and removed after
  // file.delete.delay.ms by the scheduler (at once if the log has none).
  // Appends wait only for the plan and the map change. Returns how many
  // segments went.
  Result<int> DeleteOldSegments() EXCLUDES(files_mu_, append_mu_);
  // Kafka's DeleteRecords (deleteRecordsOnLeader): moves the log start up
  // to `offset`, rounded up to the first surviving record that starts at
  // or after it (a record that starts below it is deleted with those
  // before it, and the file never shows part of a record). Returns the
  // log start after it (Kafka's low watermark); an offset at or below the
  // log start changes nothing. kOutOfRange for an offset below 0 or above
  // the log end (the high watermark). Reads below the new start continue
  // at it at once; the segments wholly below it go at the next retention
  // pass (PlanRetention), and the log start reaches the disk with the next
  // log-start-offset checkpoint (LogManager::DeleteRecords writes it).
  Result<Offset> DeleteRecordsBefore(Offset offset) EXCLUDES(append_mu_);
  // Swaps a finished cleaner output (files suffixed .cleaned) in for the
  // segments it replaces, crash-safely: .cleaned -> .swap, old -> .deleted,
  // .swap -> final name, directory fsynced; the old files are removed as
  // retention's are. kInvalidArgument saying "cleaning aborted" (and the
  // output deleted) if an old segment left the log meanwhile.
  // sync_directory = false leaves the directory fsync to the caller, who
  // swaps several groups and then fsyncs once (renames in one directory
  // reach the disk in order, which recovery relies on anyway).
  Status ReplaceSegments(std::shared_ptr<LogSegment> cleaned,
                         const std::vector<std::shared_ptr<LogSegment>>& old,
                         bool sync_directory = true) EXCLUDES(files_mu_, append_mu_);
  // Options for a segment of this log (the cleaner creates its output so).
  LogSegment::Options SegmentOptions(Offset base) const EXCLUDES(config_mu_);

  // Segments in offset order (a snapshot), for retention, the cleaner, tests.
  std::vector<std::shared_ptr<LogSegment>> Segments() const EXCLUDES(segments_mu_);

 private:
  explicit Log(Options options);
  // Renames the segments' files .deleted.
  Status RenameDeleted(const std::vector<std::shared_ptr<LogSegment>>& segments) REQUIRES(files_mu_);
  // Removes renamed segments' files: after file.delete.delay.ms (0 too) on
  // the scheduler, or at once without one. Takes no lock.
  void DeleteRenamed(std::vector<std::shared_ptr<LogSegment>> segments);
  // Whether every segment is still in the map.
  bool HoldsAll(const std::vector<std::shared_ptr<LogSegment>>& segments) const
      REQUIRES(append_mu_) EXCLUDES(segments_mu_);
  std::shared_ptr<LogSegment> ActiveSegment() const EXCLUDES(segments_mu_);
  std::shared_ptr<LogSegment> FloorSegment(Offset offset) const EXCLUDES(segments_mu_);
  std::shared_ptr<LogSegment> SegmentAfter(Offset base) const EXCLUDES(segments_mu_);
  struct PendingRecord;
  template <typename Describe, typename Keyless>
  Result<AppendResult> AppendLocked(size_t count, const char* noun, const Describe& describe,
                                    const Keyless& keyless, std::vector<Offset>* offsets)
      REQUIRES(append_mu_);
  Result<AppendResult> AppendLinesLocked(std::span<const std::string_view> lines,
                                         std::vector<Offset>* offsets) REQUIRES(append_mu_);
  // AppendText's fast case, plain lines on a topic without keys: nullopt
  // when the general path must judge them line by line.
  Result<std::optional<AppendResult>> AppendPlainText(std::string_view pending, std::string_view text)
      REQUIRES(append_mu_);
  // The size after which an append starts a new batch (below the limit,
  // which still bounds every batch): 64 KiB for uncompressed batches,
  // none for compressed ones (store/log/log.cc).
  int64_t BatchTarget() const REQUIRES(append_mu_);
  // Whether this append's batches are written uncompressed.
  bool AppendsPlainBatches() const REQUIRES(append_mu_);
  // An append's batches, several for one write: StartBatch begins each in
  // builder_ (plain ones right after the one before, so the builder holds
  // them all), GatherBuiltBatch finishes one and notes where it goes, and
  // GatheredBatches are their bytes, for WriteBatches.
  void StartBatch(Offset offset, Timestamp now, bool first) REQUIRES(append_mu_);
  Status GatherBuiltBatch(Timestamp now, std::vector<BatchLocation>* locations) REQUIRES(append_mu_);
  std::string_view GatheredBatches() const REQUIRES(append_mu_);
  // What every append does after its batches landed.
  Status FinishAppend(const AppendResult& result, Timestamp now) REQUIRES(append_mu_);
  Status RollLocked(Offset new_base) REQUIRES(append_mu_);
  Status WriteBatches(std::string_view bytes, std::vector<BatchLocation> locations,
                      int64_t records, Offset next_offset) REQUIRES(append_mu_);
  // Finishes the batch in builder_ (stamped `now`) and writes it;
  // next_offset is the log end after it.
  Status WriteBuiltBatch(Timestamp now, Offset next_offset) REQUIRES(append_mu_);
  // Where the batch in builder_ goes, but for its position and size (known
  // once it is finished).
  BatchLocation BuiltBatchLocation(Timestamp now) const REQUIRES(append_mu_);
  // The batch in builder_, finished, as it is written: compressed with the
  // topic's codec (compression.type), unless it is an internal topic's
  // (Kafka keeps __consumer_offsets uncompressed) or the compressed batch
  // would pass the batch size limit. Valid until the next builder_ use.
  Result<std::string_view> FinishBuiltBatch() REQUIRES(append_mu_);
  Status FlushLocked() REQUIRES(append_mu_);
  // Kafka's flush after a roll (flushUptoOffsetExclusive of the new
  // segment's base): syncs the segments below roll_flushed_up_to_ and the
  // directory, then moves the recovery point there. Without it the recovery
  // point moves only at flush.ms, fsync or close, and a crash makes the next
  // start scan every segment written since. The syncs run without the
  // append lock (files_mu_ keeps retention and swaps away), so appends go on
  // while a full segment is written out.
  Status FlushRolledSegments() EXCLUDES(files_mu_, append_mu_);
  Status Fence(const Status& cause) REQUIRES(append_mu_);
  // config_ as the appender reads it: every write of config_ holds
  // append_mu_ as well as config_mu_, so append_mu_ alone is enough to read
  // it. The analysis knows one lock per field (config_mu_); this accessor is
  // where the other rule is stated.
  const LogConfig& appender_config() const REQUIRES(append_mu_);

  // Loading (store/log/log_loader.cc), holding append_mu_ as the
  // appender (nobody else can reach the log yet).
  Status Load() EXCLUDES(append_mu_);
  Status RemoveTempFilesAndCompleteSwaps() REQUIRES(append_mu_);
  Result<bool> CompleteSwap(const std::vector<std::string>& swap_names,
                            const std::vector<std::string>& deleted_names) REQUIRES(append_mu_);
  Status LoadSegments() REQUIRES(append_mu_);
  Status RecoverSegments() REQUIRES(append_mu_);
  // False when it set the segment aside.
  Result<bool> RecoverSegment(const std::shared_ptr<LogSegment>& segment) REQUIRES(append_mu_);
  // Step 4b (store/log/log_transactions.cc): the .txnindex of every
  // recovered segment rebuilt from the log's transactional batches
  // (TransactionIndexBuilder).
  Status RebuildTransactionIndexes(const std::vector<std::shared_ptr<LogSegment>>& recovered)
      REQUIRES(append_mu_);
  // The segments' .txnindex entries, made the table readers consult;
  // after every change of the segment map.
  void PublishAbortedTransactions() const;
  Status SetSegmentAside(const std::shared_ptr<LogSegment>& segment, std::string_view suffix)
      REQUIRES(append_mu_);

  // Producer state (store/log/log_producer_state.cc, docs/format.md,
  // "Producer snapshots"). Loading's last step: the newest snapshot that
  // parses at or below the log end, then the batches after it replayed.
  Status LoadProducerState() REQUIRES(append_mu_);
  // Records the producer batches of every batch whose last offset >= from.
  void ReplayProducerBatches(Offset from) REQUIRES(append_mu_);
  // Writes <offset>.snapshot of the table (which must cover the log up to
  // offset), atomically; fsynced when `sync`. Then keeps only the newest
  // kSnapshotsKept (an old one that will not go is left for the next).
  Status WriteProducerSnapshot(Offset offset, bool sync) REQUIRES(append_mu_);
  // fsync of <offset>.snapshot if there is one (the roll wrote it unsynced).
  Status SyncProducerSnapshot(Offset offset) const;
  // Removes the snapshots below `offset` (the log start moved).
  void DeleteProducerSnapshotsBelow(Offset offset) REQUIRES(append_mu_);
  // The offsets of the partition's .snapshot files, ascending.
  std::vector<Offset> ProducerSnapshotOffsets() const;
  // The first offset of the batch whose last offset is batch.last_offset
  // (a batch loaded from a snapshot knows only its last).
  Offset DuplicateFirstOffset(const ProducerStateTable::Batch& batch) const;
  // Judges an idempotent producer's batch: ok to append it, the duplicate's
  // result, or the refusal.
  Result<std::optional<AppendResult>> JudgeProducedBatch(const BatchHeader& header, Timestamp now)
      REQUIRES(append_mu_);

  const std::string dir_;
  const TopicPartition tp_;
  const Clock* clock_;
  FileIo* io_;
  Scheduler* scheduler_;
  FileCache* file_cache_;
  const bool verify_reads_;
  const bool had_clean_shutdown_;
  const int64_t producer_id_expiration_ms_;

  // Serialises retention and segment swaps, which hold it across their
  // renames and directory fsync. Lock order: files_mu_, then append_mu_
  // (docs/threading.md). Appends never take it.
  Mutex files_mu_ ACQUIRED_BEFORE(append_mu_);
  Mutex append_mu_ ACQUIRED_BEFORE(config_mu_, segments_mu_);
  // Written under append_mu_ and config_mu_; read under either
  // (appender_config() for the appender).
  LogConfig config_ GUARDED_BY(config_mu_);
  mutable Mutex config_mu_;
  BatchBuilder builder_ GUARDED_BY(append_mu_);
  std::string multi_batch_ GUARDED_BY(append_mu_);  // the batches of one append, gathered
  std::string append_buf_ GUARDED_BY(append_mu_);   // AppendText's first line
  std::string compressed_batch_ GUARDED_BY(append_mu_);  // FinishBuiltBatch's output
  int64_t unflushed_records_ GUARDED_BY(append_mu_) = 0;
  int64_t last_flush_ms_ GUARDED_BY(append_mu_);
  bool created_segments_since_flush_ GUARDED_BY(append_mu_) = false;
  // The partition directory was made by this process and its name in the
  // data directory is not synced yet.
  bool new_directory_ GUARDED_BY(append_mu_) = false;

  mutable SharedMutex segments_mu_;
  std::map<Offset, std::shared_ptr<LogSegment>> segments_ GUARDED_BY(segments_mu_);
  // The aborted transactions of all segments, shared with each segment's
  // reads (LogSegment::Options::aborted).
  const std::shared_ptr<AbortedTransactions> aborted_ = std::make_shared<AbortedTransactions>();

  std::atomic<int64_t> end_offset_{0};
  std::atomic<int64_t> log_start_offset_{0};
  std::atomic<int64_t> recovery_point_{0};
  // The base of the newest segment a roll created: what FlushRolledSegments
  // makes durable up to.
  std::atomic<int64_t> roll_flush_up_to_{0};
  std::atomic<int64_t> last_modified_ms_{0};
  std::atomic<bool> fenced_{false};
  std::string fence_reason_ GUARDED_BY(append_mu_);
  std::atomic<bool> read_only_{false};
  std::string read_only_reason_ GUARDED_BY(append_mu_);
  Status offline_;                // set before the log is shared
  bool created_directory_ = false;  // set while loading
  bool closed_unsynced_ GUARDED_BY(append_mu_) = false;  // Close(false) of a healthy log
  std::vector<std::string> warnings_;  // written only while loading
  // The lowest base of a segment loading cut bytes from or set aside: a
  // snapshot above it may remember batches that are gone.
  std::optional<Offset> recovery_cut_from_;  // written only while loading

  // Kafka's ProducerStateManager table: every idempotent producer's epoch
  // and last five batches, as of the log end.
  ProducerStateTable producer_state_ GUARDED_BY(append_mu_);
  // The newest .snapshot's offset (-1: none): a clean close writes one only
  // when the log moved past it.
  Offset last_snapshot_offset_ GUARDED_BY(append_mu_){-1};
};

}  // namespace topicfs::store
