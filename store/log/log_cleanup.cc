// Retention and the cleaner's segment swap: the Log methods that remove or
// replace whole segments. docs/cleanup.md describes both.
//
// Locking: files_mu_ is held for the whole of either method, so retention
// and swaps change the segment map and rename files one at a time, in the
// same order. append_mu_ is taken inside it only for the decision and the
// segment-map change (the plan, a roll, the log start, the erase or switch):
// appends wait microseconds, not for renames or fsyncs. Unlinks, and the
// last close of a removed segment's files (where the filesystem frees, and
// with -o discard discards, the blocks), come after both locks, on the
// scheduler when the log has one (Kafka's asyncDelete).

#include <algorithm>

#include "store/io/atomic_file.h"
#include "store/format/file_names.h"
#include "store/log/log.h"
#include "store/log/retention.h"

namespace topicfs::store {

Result<int> Log::DeleteOldSegments() {
  std::vector<std::shared_ptr<LogSegment>> doomed;
  MutexLock files_lock(&files_mu_);
  {
    MutexLock lock(&append_mu_);
    if (fenced_ || read_only_) return 0;
    auto segments = Segments();
    std::vector<SegmentSummary> summaries;
    summaries.reserve(segments.size());
    for (size_t i = 0; i < segments.size(); ++i) {
      Offset next = i + 1 < segments.size() ? segments[i + 1]->base_offset() : log_end_offset();
      summaries.push_back({segments[i]->base_offset(), next, segments[i]->size(),
                           segments[i]->LargestTimestamp()});
    }
    RetentionPlan plan = PlanRetention(summaries, appender_config(), clock_->Now(), log_start_offset());
    if (plan.delete_count == 0) return 0;
    if (plan.roll_first) {
      // Every segment expired: roll, so the log keeps one (empty) segment.
      RETURN_IF_ERROR(RollLocked(log_end_offset()));
      segments = Segments();
    }
    doomed.assign(segments.begin(), segments.begin() + static_cast<long>(plan.delete_count));
    // The start moves before the segments go, so a reader never sees a hole
    // below a start that still points into it.
    Offset new_start = segments[plan.delete_count]->base_offset();
    log_start_offset_ = std::max(log_start_offset_.load(), new_start.value);
    DeleteProducerSnapshotsBelow(log_start_offset());
    WriterLock seg_lock(&segments_mu_);
    for (const auto& segment : doomed) segments_.erase(segment->base_offset());
  }
  // Their markers' entries go with them (they hide only records before them).
  PublishAbortedTransactions();
  // Out of the map, the segments are reachable only by readers already
  // holding them, who finish with the open files.
  const int count = static_cast<int>(doomed.size());
  RETURN_IF_ERROR(RenameDeleted(doomed));
  files_lock.Unlock();
  DeleteRenamed(std::move(doomed));
  return count;
}

Result<Offset> Log::DeleteRecordsBefore(Offset offset) {
  if (!offline_.ok()) return offline_;
  MutexLock lock(&append_mu_);
  if (read_only_) return Status::ReadOnly(read_only_reason_);
  const Offset end = log_end_offset();
  if (offset < Offset(0) || offset > end) {
    return Status::OutOfRange(fmt::format("partition {}: cannot delete records before {}: the log ends at {}",
                                          tp_.DirName(), offset, end));
  }
  if (offset <= log_start_offset()) return log_start_offset();
  // Under the append lock the end cannot move, so the record found is
  // below it or is the end itself.
  ASSIGN_OR_RETURN(Offset start, FirstRecordAtOrAfter(offset));
  // Retention may raise the start meanwhile (it holds files_mu_, not this).
  int64_t current = log_start_offset_.load();
  while (current < start.value && !log_start_offset_.compare_exchange_weak(current, start.value)) {
  }
  DeleteProducerSnapshotsBelow(log_start_offset());
  return log_start_offset();
}

Status Log::RenameDeleted(const std::vector<std::shared_ptr<LogSegment>>& segments) {
  for (const auto& segment : segments) {
    RETURN_IF_ERROR(segment->ChangeFileSuffixes("", kDeletedSuffix));
  }
  return Status::Ok();
}

void Log::DeleteRenamed(std::vector<std::shared_ptr<LogSegment>> segments) {
  if (segments.empty()) return;
  if (scheduler_ == nullptr) {
    for (const auto& segment : segments) (void)segment->DeleteFiles();
    return;
  }
  // One task per pass, not per segment; with a delay of 0 too, so that no
  // caller waits for the unlinks.
  const int64_t delay = std::max<int64_t>(0, config().file_delete_delay_ms);
  std::string name = fmt::format("delete {} segments of {}", segments.size(), dir_);
  scheduler_->Schedule(std::move(name), delay, [segments = std::move(segments)] {
    for (const auto& segment : segments) (void)segment->DeleteFiles();
  });
}

bool Log::HoldsAll(const std::vector<std::shared_ptr<LogSegment>>& segments) const {
  ReaderLock seg_lock(&segments_mu_);
  for (const auto& segment : segments) {
    auto it = segments_.find(segment->base_offset());
    if (it == segments_.end() || it->second != segment) return false;
  }
  return true;
}

Status Log::ReplaceSegments(std::shared_ptr<LogSegment> cleaned,
                            const std::vector<std::shared_ptr<LogSegment>>& old,
                            bool sync_directory) {
  MutexLock files_lock(&files_mu_);
  // With files_mu_ held retention cannot take a segment; only closing the
  // log (a deleted topic) can still empty the map.
  auto abort = [&] {
    (void)cleaned->DeleteFiles();
    return Status::InvalidArgument(
        fmt::format("{}: a segment left the log while it was cleaned; cleaning aborted", dir_));
  };
  {
    MutexLock lock(&append_mu_);
    if (!HoldsAll(old)) return abort();
  }
  // 1. The output is complete: .cleaned -> .swap. From here a crash
  //    completes the swap (docs/recovery.md, step 2).
  RETURN_IF_ERROR(cleaned->ChangeFileSuffixes(kCleanedSuffix, kSwapSuffix));
  // 2. Readers switch to the new segment; those holding an old one finish with it.
  {
    MutexLock lock(&append_mu_);
    if (!HoldsAll(old)) return abort();
    WriterLock seg_lock(&segments_mu_);
    for (const auto& segment : old) segments_.erase(segment->base_offset());
    segments_[cleaned->base_offset()] = cleaned;
  }
  // The output carries its sources' .txnindex entries (the cleaner copies them).
  PublishAbortedTransactions();
  // 3. The old segments go (.deleted, removed after the delay).
  RETURN_IF_ERROR(RenameDeleted(old));
  // 4. The new segment takes its final name.
  RETURN_IF_ERROR(cleaned->ChangeFileSuffixes(kSwapSuffix, ""));
  if (sync_directory) RETURN_IF_ERROR(SyncDirectory(dir_));
  files_lock.Unlock();
  DeleteRenamed(old);
  return Status::Ok();
}

}  // namespace topicfs::store
