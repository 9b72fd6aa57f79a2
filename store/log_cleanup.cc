// Retention and the cleaner's segment swap: the Log methods that remove or
// replace whole segments. docs/cleanup.md describes both.

#include <algorithm>

#include "store/atomic_file.h"
#include "store/file_names.h"
#include "store/log.h"
#include "store/retention.h"

namespace topicfs::store {

Result<int> Log::DeleteOldSegments() {
  std::lock_guard lock(append_mu_);
  if (fenced_) return 0;
  auto segments = Segments();
  std::vector<SegmentSummary> summaries;
  summaries.reserve(segments.size());
  for (size_t i = 0; i < segments.size(); ++i) {
    Offset next = i + 1 < segments.size() ? segments[i + 1]->base_offset() : log_end_offset();
    summaries.push_back({segments[i]->base_offset(), next, segments[i]->size(),
                         segments[i]->LargestTimestamp()});
  }
  RetentionPlan plan = PlanRetention(summaries, config_, clock_->Now(), log_start_offset());
  if (plan.delete_count == 0) return 0;
  if (plan.roll_first) {
    // Every segment expired: roll, so the log keeps one (empty) segment.
    RETURN_IF_ERROR(RollLocked(log_end_offset()));
    segments = Segments();
  }
  std::vector<std::shared_ptr<LogSegment>> doomed(segments.begin(),
                                                   segments.begin() + static_cast<long>(plan.delete_count));
  // The start moves before the segments go, so a reader never sees a hole
  // below a start that still points into it.
  Offset new_start = segments[plan.delete_count]->base_offset();
  log_start_offset_ = std::max(log_start_offset_.load(), new_start.value);
  {
    std::unique_lock seg_lock(segments_mu_);
    for (const auto& segment : doomed) segments_.erase(segment->base_offset());
  }
  for (const auto& segment : doomed) RETURN_IF_ERROR(ScheduleSegmentDeletion(segment));
  return static_cast<int>(doomed.size());
}

Status Log::ScheduleSegmentDeletion(const std::shared_ptr<LogSegment>& segment) {
  RETURN_IF_ERROR(segment->ChangeFileSuffixes("", kDeletedSuffix));
  int64_t delay = config().file_delete_delay_ms;
  if (scheduler_ == nullptr || delay <= 0) return segment->DeleteFiles();
  scheduler_->Schedule("delete " + segment->log_path(), delay,
                       [segment] { (void)segment->DeleteFiles(); });
  return Status::Ok();
}

Status Log::ReplaceSegments(std::shared_ptr<LogSegment> cleaned,
                            const std::vector<std::shared_ptr<LogSegment>>& old) {
  std::lock_guard lock(append_mu_);
  {
    std::shared_lock seg_lock(segments_mu_);
    for (const auto& segment : old) {
      auto it = segments_.find(segment->base_offset());
      if (it == segments_.end() || it->second != segment) {
        (void)cleaned->DeleteFiles();
        return Status::InvalidArgument(fmt::format(
            "{}: segment {} left the log while it was cleaned; cleaning aborted", dir_,
            segment->base_offset()));
      }
    }
  }
  // 1. The output is complete: .cleaned -> .swap. From here a crash
  //    completes the swap (docs/recovery.md, step 2).
  RETURN_IF_ERROR(cleaned->ChangeFileSuffixes(kCleanedSuffix, kSwapSuffix));
  // 2. Readers switch to the new segment; those holding an old one finish with it.
  {
    std::unique_lock seg_lock(segments_mu_);
    for (const auto& segment : old) segments_.erase(segment->base_offset());
    segments_[cleaned->base_offset()] = cleaned;
  }
  // 3. The old segments go (.deleted, removed after the delay).
  for (const auto& segment : old) RETURN_IF_ERROR(ScheduleSegmentDeletion(segment));
  // 4. The new segment takes its final name.
  RETURN_IF_ERROR(cleaned->ChangeFileSuffixes(kSwapSuffix, ""));
  return SyncDirectory(dir_);
}

}  // namespace topicfs::store
