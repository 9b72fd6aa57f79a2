#pragma once
// Kafka's log cleaner for compacted topics (docs/cleanup.md). One pass over
// a log:
//   1. the dirty range is [first dirty offset, first uncleanable offset):
//      the first dirty offset comes from cleaner-offset-checkpoint (or the
//      log start), the first uncleanable is the active segment's base, or an
//      earlier segment still inside min.compaction.lag.ms;
//   2. a bounded key map takes the latest offset of every key in the dirty
//      range (stopping early when full: the pass then covers less);
//   3. every segment below the map's end is rewritten, in groups that fit
//      segment.bytes, keeping a record only if no newer record has its key;
//      tombstones get a delete horizon (now + delete.retention.ms) on the
//      first cleaning that keeps them and go on a cleaning after it;
//   4. each group's output is written as .cleaned and swapped in through
//      .swap (Log::ReplaceSegments), a window of groups at a time (fsyncs
//      first, then the swaps, then one directory fsync), and the checkpoint
//      moves to the end.
//
// Thread safety: one thread cleans at a time (the scheduler's cleaner task);
// appends and reads go on meanwhile: only inactive segments are touched.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/format/checkpoint_file.h"
#include "store/base/clock.h"
#include "store/cleanup/key_offset_map.h"
#include "store/log/log.h"
#include "store/base/mutex.h"
#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"
#include "store/format/batch_header.h"
#include "store/format/record_reader.h"

namespace topicfs::store {

struct CleanerOptions {
  int64_t dedupe_buffer_bytes = 32 << 20;  // the key map's memory
  double load_factor = 0.9;
};

struct CleanResult {
  Offset first_dirty;        // where the pass started
  Offset end_offset;         // the new first dirty offset
  int64_t bytes_read = 0;    // .log bytes of the segments rewritten
  int64_t bytes_written = 0;
  int64_t records_read = 0;
  int64_t records_kept = 0;
  int segments_cleaned = 0;  // source segments
};

// Where a log's dirty and cleanable parts lie, and whether it needs cleaning.
struct CleanableRange {
  Offset first_dirty;
  Offset first_uncleanable;
  int64_t clean_bytes = 0;
  int64_t cleanable_bytes = 0;
  double dirty_ratio = 0;
  bool needs_compaction_now = false;  // dirty data older than max.compaction.lag.ms
  bool eligible() const;
  double min_ratio = 0.5;
};

class LogCleaner {
 public:
  LogCleaner(std::string checkpoint_path, const Clock* clock, CleanerOptions options = {});

  // Reads cleaner-offset-checkpoint (unreadable = empty, as Kafka).
  Status Load() EXCLUDES(mu_);
  // The range a pass over `log` would clean now.
  CleanableRange Range(const Log& log);
  // Cleans the eligible log with the highest dirty ratio; nullopt if none is.
  Result<std::optional<CleanResult>> CleanFilthiest(const std::vector<std::shared_ptr<Log>>& logs);
  // One pass over a compacted log, eligible or not (tests, and CleanFilthiest).
  Result<CleanResult> Clean(Log& log);
  // Forgets a deleted partition.
  void Forget(const TopicPartition& tp) EXCLUDES(mu_);
  Offset CheckpointedOffset(const TopicPartition& tp) const EXCLUDES(mu_);

 private:
  struct MapResult {
    Offset end_offset;  // first offset the map does not cover
  };
  Result<MapResult> BuildOffsetMap(const Log& log, Offset first_dirty, Offset first_uncleanable);
  // A group's output, written as .cleaned and not yet fsynced or swapped.
  struct Output {
    std::shared_ptr<LogSegment> cleaned;
    std::vector<std::shared_ptr<LogSegment>> sources;
  };
  Result<Output> CleanGroup(Log& log, const std::vector<std::shared_ptr<LogSegment>>& group,
                            Offset first_dirty, bool last_group, CleanResult* result);
  // CleanGroup's steps, per source batch (log_cleaner.cc).
  struct SourceBatch;
  bool DropsUnread(const SourceBatch& batch) const;
  Status CleanBatch(SourceBatch& batch, std::string_view bytes, const LogConfig& config, Timestamp now,
                    LogSegment& output, CleanResult* result);
  bool Keeps(SourceBatch& batch, size_t k, std::optional<Timestamp> horizon, Timestamp now);
  Result<std::string_view> Rewrite(const BatchLocation& loc, const BatchHeader& header,
                                   std::optional<Timestamp> horizon);
  // Fsyncs every output of the window, then swaps each in for its sources
  // and fsyncs the directory once. Empties the window.
  Status SwapOutputs(Log& log, std::vector<Output>* window);
  // Deletes the files of outputs that will not be swapped in.
  void DiscardOutputs(std::vector<Output>* window);
  Status WriteCheckpoint() EXCLUDES(mu_);

  const std::string checkpoint_path_;
  const Clock* clock_;
  const CleanerOptions options_;
  KeyOffsetMap map_;
  // Per-batch scratch, kept to reuse their capacity.
  std::vector<std::pair<KeyHash, Offset>> hashed_;  // BuildOffsetMap
  std::vector<RecordView> records_;                  // CleanGroup
  std::vector<KeyHash> hashes_;
  std::vector<RecordView> kept_;
  BatchBuilder builder_;
  std::string twin_;        // a compressed batch's records, inflated
  std::string compressed_;  // a rewrite compressed again
  // The map's latest offsets, sorted, for the pass (at most a third of the
  // map's memory: 8 of each 24-byte slot).
  std::vector<int64_t> latest_offsets_;
  mutable Mutex mu_;
  std::map<TopicPartition, Offset> checkpoints_ GUARDED_BY(mu_);
};

}  // namespace topicfs::store
