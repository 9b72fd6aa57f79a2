// Loading a partition directory: Log::Load and its steps. docs/recovery.md
// lists the same steps, numbered; keep the two in step.

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "store/file_names.h"
#include "store/log.h"

namespace topicfs::store {
namespace {

Result<std::vector<std::string>> ListFiles(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return Status::FromErrno("opendir", dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Status::FromErrno("unlink", path);
  return Status::Ok();
}

Status RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return Status::FromErrno("rename", from);
  return Status::Ok();
}

}  // namespace

// Step 0: the directory exists (a new partition starts empty).
Status Log::Load() {
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) return Status::FromErrno("mkdir", dir_);
  RETURN_IF_ERROR(RemoveTempFilesAndCompleteSwaps());
  RETURN_IF_ERROR(LoadSegments());
  if (!had_clean_shutdown_) RETURN_IF_ERROR(RecoverFromRecoveryPoint());

  // Step 5: a log that ends before its start lost files; start over there.
  Offset checkpoint_start = log_start_offset();
  std::shared_ptr<LogSegment> active = ActiveSegment();
  if (active != nullptr && active->next_offset() < checkpoint_start) {
    warnings_.push_back(fmt::format("{}: log end {} is below the log start {}; segments dropped",
                                    dir_, active->next_offset(), checkpoint_start));
    for (const auto& segment : Segments()) RETURN_IF_ERROR(segment->DeleteFiles());
    std::unique_lock lock(segments_mu_);
    segments_.clear();
  }
  if (ActiveSegment() == nullptr) {
    ASSIGN_OR_RETURN(auto segment, LogSegment::Create(SegmentOptions(checkpoint_start)));
    std::unique_lock lock(segments_mu_);
    segments_[checkpoint_start] = std::move(segment);
  }

  // Steps 6 and 7: the end, the recovery point, the start, the active
  // segment's indexes grown back for appends.
  active = ActiveSegment();
  end_offset_ = active->next_offset().value;
  recovery_point_ = had_clean_shutdown_ ? end_offset_.load()
                                        : std::min(recovery_point_.load(), end_offset_.load());
  log_start_offset_ = std::max(checkpoint_start, Segments().front()->base_offset()).value;
  RETURN_IF_ERROR(active->ResizeIndexes(config_.segment_index_bytes));
  struct stat st {};
  if (::stat(active->log_path().c_str(), &st) == 0) {
    last_modified_ms_ = int64_t{st.st_mtim.tv_sec} * 1000 + st.st_mtim.tv_nsec / 1'000'000;
  }
  return Status::Ok();
}

// Steps 1 and 2: leftovers of deletion and of an interrupted cleaner swap.
Status Log::RemoveTempFilesAndCompleteSwaps() {
  ASSIGN_OR_RETURN(auto names, ListFiles(dir_));
  std::optional<Offset> min_cleaned;
  std::vector<std::string> cleaned, swaps;
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed) continue;
    std::string path = dir_ + "/" + name;
    if (parsed->state_suffix == kDeletedSuffix) {
      RETURN_IF_ERROR(RemoveFile(path));
    } else if (parsed->state_suffix == kCleanedSuffix) {
      min_cleaned = std::min(min_cleaned.value_or(Offset::Max()), parsed->base_offset);
      cleaned.push_back(path);
    } else if (parsed->state_suffix == kSwapSuffix) {
      swaps.push_back(name);
    }
  }
  // A .swap at or above the first .cleaned belongs to a swap that had not
  // finished producing its output: the old segments are still whole.
  std::vector<std::string> complete_swaps;
  for (const auto& name : swaps) {
    if (min_cleaned && ParseSegmentFileName(name)->base_offset >= *min_cleaned) {
      RETURN_IF_ERROR(RemoveFile(dir_ + "/" + name));
    } else {
      complete_swaps.push_back(name);
    }
  }
  for (const auto& path : cleaned) RETURN_IF_ERROR(RemoveFile(path));

  // Every new segment reached .swap: finish the swap. Old segments inside
  // the swapped range go, then the .swap files take their final names.
  std::optional<Offset> swap_min, swap_end;
  for (const auto& name : complete_swaps) {
    auto parsed = ParseSegmentFileName(name);
    if (parsed->kind != SegmentFileKind::kLog) continue;
    LogSegment::Options o = SegmentOptions(parsed->base_offset);
    o.file_state_suffix = std::string(kSwapSuffix);
    ASSIGN_OR_RETURN(auto swap, LogSegment::Open(o));
    if (swap->needs_recovery()) (void)swap->Recover();
    swap_min = std::min(swap_min.value_or(Offset::Max()), swap->base_offset());
    swap_end = std::max(swap_end.value_or(Offset(0)), swap->next_offset());
    RETURN_IF_ERROR(swap->Close());
  }
  if (!swap_min) return Status::Ok();
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed || !parsed->state_suffix.empty()) continue;
    if (parsed->base_offset >= *swap_min && parsed->base_offset < *swap_end) {
      RETURN_IF_ERROR(RemoveFile(dir_ + "/" + name));
    }
  }
  // Listed again: opening a swap segment creates the index files it lacked.
  ASSIGN_OR_RETURN(auto now_present, ListFiles(dir_));
  for (const auto& name : now_present) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed || parsed->state_suffix != kSwapSuffix) continue;
    std::string final_name = name.substr(0, name.size() - kSwapSuffix.size());
    RETURN_IF_ERROR(RenameFile(dir_ + "/" + name, dir_ + "/" + final_name));
  }
  return Status::Ok();
}

// Step 3: open every segment; orphan indexes go; a segment with a missing or
// broken index is rebuilt from its log; an unreadable one is set aside.
Status Log::LoadSegments() {
  ASSIGN_OR_RETURN(auto names, ListFiles(dir_));
  std::set<Offset> logs;
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (parsed && parsed->state_suffix.empty() && parsed->kind == SegmentFileKind::kLog) {
      logs.insert(parsed->base_offset);
    }
  }
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed || !parsed->state_suffix.empty()) continue;
    bool index = parsed->kind == SegmentFileKind::kIndex || parsed->kind == SegmentFileKind::kTimeIndex ||
                 parsed->kind == SegmentFileKind::kTxnIndex;
    if (index && !logs.count(parsed->base_offset)) RETURN_IF_ERROR(RemoveFile(dir_ + "/" + name));
  }
  for (Offset base : logs) {
    auto opened = LogSegment::Open(SegmentOptions(base));
    if (!opened.ok()) {
      warnings_.push_back(fmt::format("{}: segment {} cannot be opened: {}", dir_, base,
                                      opened.status().message()));
      continue;
    }
    std::shared_ptr<LogSegment> segment = std::move(opened).value();
    // After an unclean shutdown step 4 validates this segment anyway, and
    // must see the bytes it cuts, to drop the segments written after them.
    auto next = logs.upper_bound(base);
    bool step_4_recovers =
        !had_clean_shutdown_ && (next == logs.end() || *next > recovery_point());
    if (segment->needs_recovery() && !step_4_recovers) {
      auto recovered = segment->Recover();
      if (!recovered.ok()) {
        RETURN_IF_ERROR(QuarantineSegment(segment, recovered.status()));
        continue;
      }
      if (*recovered > 0) {
        warnings_.push_back(fmt::format("{}: rebuilt the indexes of segment {} and cut {} bytes",
                                        dir_, base, *recovered));
      }
    }
    std::unique_lock lock(segments_mu_);
    segments_[base] = std::move(segment);
  }
  return Status::Ok();
}

// Step 4: after an unclean shutdown, validate every batch from the segment
// holding the recovery point on. The first segment that loses bytes is the
// last one kept: later segments were written after the tear.
Status Log::RecoverFromRecoveryPoint() {
  const Offset recovery_point = this->recovery_point();
  auto segments = Segments();
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    bool last = i + 1 == segments.size();
    if (!last && segments[i + 1]->base_offset() <= recovery_point) continue;
    auto recovered = segment->Recover();
    if (!recovered.ok()) {
      if (recovered.status().code() != Code::kUnsupported) return recovered.status();
      RETURN_IF_ERROR(QuarantineSegment(segment, recovered.status()));
      continue;
    }
    if (*recovered == 0) continue;
    warnings_.push_back(fmt::format("{}: recovery cut a torn or corrupt tail of {} bytes from {}",
                                    dir_, *recovered, segment->log_path()));
    for (size_t j = i + 1; j < segments.size(); ++j) {
      RETURN_IF_ERROR(segments[j]->DeleteFiles());
      std::unique_lock lock(segments_mu_);
      segments_.erase(segments[j]->base_offset());
    }
    break;
  }
  return Status::Ok();
}

Status Log::QuarantineSegment(const std::shared_ptr<LogSegment>& segment, const Status& why) {
  warnings_.push_back(fmt::format("{}: segment {} set aside as {}{}: {}", dir_,
                                  segment->base_offset(), segment->log_path(), kUnreadableSuffix,
                                  why.message()));
  RETURN_IF_ERROR(segment->ChangeFileSuffixes("", kUnreadableSuffix));
  std::unique_lock lock(segments_mu_);
  segments_.erase(segment->base_offset());
  return Status::Ok();
}

}  // namespace topicfs::store
