// Loading a partition directory: Log::Load and its steps. docs/recovery.md
// lists the same steps, numbered; keep the two in step.
//
// The rule throughout: loading changes only what it has positively
// identified as left over by the store itself (staging files, an
// interrupted swap) or as damaged (bytes that are not valid batches, which
// go to side files). A call that fails (no descriptor, EIO, a full disk)
// fails the load and leaves every segment as it was: nothing is cut, set
// aside or deleted because some other step went wrong.

#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "store/format/file_names.h"
#include "store/io/atomic_file.h"
#include "store/log/log.h"

namespace topicfs::store {

// Step 0: the directory exists (a new partition starts empty).
Status Log::Load() {
  MutexLock lock(&append_mu_);
  ASSIGN_OR_RETURN(bool created, io_->MakeDir(dir_));
  // Its name in the data directory is not durable until that is synced:
  // the first flush does it (FlushLocked).
  new_directory_ = created_directory_ = created;
  RETURN_IF_ERROR(RemoveTempFilesAndCompleteSwaps());
  RETURN_IF_ERROR(LoadSegments());
  RETURN_IF_ERROR(RecoverSegments());

  // Step 5: a log that ends below its checkpointed start lost files: it
  // starts over at the checkpoint, as Kafka's does, and what is left is set
  // aside rather than deleted.
  Offset checkpoint_start = log_start_offset();
  std::shared_ptr<LogSegment> active = ActiveSegment();
  if (active != nullptr && active->next_offset() < checkpoint_start) {
    warnings_.push_back(fmt::format("{}: log end {} is below the log start {} in the checkpoint",
                                    dir_, active->next_offset(), checkpoint_start));
    for (const auto& segment : Segments()) RETURN_IF_ERROR(SetSegmentAside(segment, kCorruptSuffix));
  }
  if (ActiveSegment() == nullptr) {
    ASSIGN_OR_RETURN(auto segment, LogSegment::Create(SegmentOptions(checkpoint_start)));
    WriterLock seg_lock(&segments_mu_);
    segments_[checkpoint_start] = std::move(segment);
    created_segments_since_flush_ = true;
  }

  // Steps 6 and 7: the end, the recovery point, the start, the active
  // segment's indexes grown back for appends.
  active = ActiveSegment();
  end_offset_ = active->next_offset().value;
  // After a clean shutdown everything was flushed, and what was below the
  // recovery point has now been validated: all of it is recovered.
  recovery_point_ = had_clean_shutdown_ ? end_offset_.load()
                                        : std::min(recovery_point_.load(), end_offset_.load());
  log_start_offset_ = std::max(checkpoint_start, Segments().front()->base_offset()).value;
  RETURN_IF_ERROR(active->ResizeIndexes(appender_config().segment_index_bytes));
  last_modified_ms_ = active->LastModifiedMs();

  // The segments' aborted transactions, which reads hide from now on.
  PublishAbortedTransactions();

  // Step 8: the idempotent producers' state, from the newest snapshot at
  // or below the end that parses, then the batches after it.
  return LoadProducerState();
}

// Steps 1 and 2: leftovers of deletion, of repairs and of an interrupted
// cleaner swap.
Status Log::RemoveTempFilesAndCompleteSwaps() {
  ASSIGN_OR_RETURN(auto names, io_->List(dir_));
  std::optional<Offset> min_cleaned;
  std::vector<std::string> deleted, swaps;
  for (const auto& name : names) {
    // A .txnindex or .snapshot being written (WriteFileAtomically's
    // <name>.tmp) when the process died: the file itself is whole or absent.
    if (name.size() > kStagingSuffix.size() && name.ends_with(kStagingSuffix)) {
      auto staged = ParseSegmentFileName(std::string_view(name).substr(0, name.size() - kStagingSuffix.size()));
      if (staged && (staged->kind == SegmentFileKind::kTxnIndex || staged->kind == SegmentFileKind::kSnapshot)) {
        RETURN_IF_ERROR(io_->Remove(dir_ + "/" + name));
      }
      continue;
    }
    auto parsed = ParseSegmentFileName(name);
    if (!parsed) continue;
    const std::string path = dir_ + "/" + name;
    if (parsed->state_suffix == kDeletedSuffix) {
      deleted.push_back(name);
    } else if (parsed->state_suffix == kCleanedSuffix) {
      min_cleaned = std::min(min_cleaned.value_or(Offset::Max()), parsed->base_offset);
      RETURN_IF_ERROR(io_->Remove(path));
    } else if (parsed->state_suffix == kRepairSuffix) {
      RETURN_IF_ERROR(io_->Remove(path));
    } else if (parsed->state_suffix == kSwapSuffix) {
      swaps.push_back(name);
    }
  }
  // A .swap at or above the first .cleaned belongs to a swap that had not
  // finished producing its output: the old segments are still whole.
  std::vector<std::string> complete_swaps;
  for (const auto& name : swaps) {
    if (min_cleaned && ParseSegmentFileName(name)->base_offset >= *min_cleaned) {
      RETURN_IF_ERROR(io_->Remove(dir_ + "/" + name));
    } else {
      complete_swaps.push_back(name);
    }
  }
  ASSIGN_OR_RETURN(bool swapped, CompleteSwap(complete_swaps, deleted));
  // What is still .deleted was on its way out; a swap set aside put its old
  // segments back first.
  if (!swapped) {
    ASSIGN_OR_RETURN(names, io_->List(dir_));
    deleted.clear();
    for (const auto& name : names) {
      auto parsed = ParseSegmentFileName(name);
      if (parsed && parsed->state_suffix == kDeletedSuffix) deleted.push_back(name);
    }
  }
  for (const auto& name : deleted) RETURN_IF_ERROR(io_->Remove(dir_ + "/" + name));
  return Status::Ok();
}

// Step 2: every new segment of an interrupted swap reached .swap. If each
// one validates whole, the swap is finished: the old segments inside its
// range go, the .swap files take their final names. If one does not, the
// swap is set aside (.swap.unreadable) and the old segments it replaced
// come back from .deleted. Returns false when it set the swap aside.
Result<bool> Log::CompleteSwap(const std::vector<std::string>& swap_names,
                               const std::vector<std::string>& deleted_names) {
  std::optional<Offset> swap_min, swap_end;
  Status invalid;
  for (const auto& name : swap_names) {
    auto parsed = ParseSegmentFileName(name);
    if (parsed->kind != SegmentFileKind::kLog) continue;
    LogSegment::Options o = SegmentOptions(parsed->base_offset);
    o.file_state_suffix = std::string(kSwapSuffix);
    ASSIGN_OR_RETURN(auto swap, LogSegment::Open(o));
    swap_min = std::min(swap_min.value_or(Offset::Max()), swap->base_offset());
    // The swap was synced before it was named .swap: anything recovery
    // would cut means it is damaged, and the old segments are worth more.
    auto recovered = swap->Recover();
    if (!recovered.ok() && recovered.status().code() != Code::kUnsupported) return recovered.status();
    if (!recovered.ok()) {
      invalid = recovered.status();
    } else if (recovered->cut_bytes > 0) {
      invalid = Status::Corruption(fmt::format("{} bytes of {} are not valid batches",
                                               recovered->cut_bytes, swap->log_path()));
    }
    swap_end = std::max(swap_end.value_or(Offset(0)), swap->next_offset());
    RETURN_IF_ERROR(swap->Close());
  }
  if (!swap_min) return true;
  ASSIGN_OR_RETURN(auto names, io_->List(dir_));
  if (!invalid.ok()) {
    warnings_.push_back(fmt::format("{}: an interrupted compaction's output was set aside (.swap{}): {}",
                                    dir_, kUnreadableSuffix, invalid.message()));
    for (const auto& name : names) {
      auto parsed = ParseSegmentFileName(name);
      if (parsed && parsed->state_suffix == kSwapSuffix) {
        RETURN_IF_ERROR(io_->Rename(dir_ + "/" + name, dir_ + "/" + name + std::string(kUnreadableSuffix)));
      }
    }
    for (const auto& name : deleted_names) {
      auto parsed = ParseSegmentFileName(name);
      if (parsed->base_offset < *swap_min || parsed->base_offset >= *swap_end) continue;
      std::string restored = name.substr(0, name.size() - kDeletedSuffix.size());
      RETURN_IF_ERROR(io_->Rename(dir_ + "/" + name, dir_ + "/" + restored));
    }
    return false;
  }
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed || !parsed->state_suffix.empty()) continue;
    if (parsed->base_offset >= *swap_min && parsed->base_offset < *swap_end) {
      RETURN_IF_ERROR(io_->Remove(dir_ + "/" + name));
    }
  }
  // Listed again: opening a swap segment creates the index files it lacked.
  ASSIGN_OR_RETURN(names, io_->List(dir_));
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed || parsed->state_suffix != kSwapSuffix) continue;
    std::string final_name = name.substr(0, name.size() - kSwapSuffix.size());
    RETURN_IF_ERROR(io_->Rename(dir_ + "/" + name, dir_ + "/" + final_name));
  }
  return true;
}

// Step 3: open every segment. Index files without a .log go. A segment
// that cannot be opened fails the load: skipping it would move the log end
// back, and the next append would reuse the offsets of acknowledged lines.
Status Log::LoadSegments() {
  ASSIGN_OR_RETURN(auto names, io_->List(dir_));
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
    if (index && !logs.count(parsed->base_offset)) RETURN_IF_ERROR(io_->Remove(dir_ + "/" + name));
  }
  for (Offset base : logs) {
    auto opened = LogSegment::Open(SegmentOptions(base));
    if (!opened.ok()) {
      return opened.status().Annotate(fmt::format("{}: segment {} cannot be opened", dir_, base));
    }
    WriterLock lock(&segments_mu_);
    segments_[base] = std::move(opened).value();
  }
  return Status::Ok();
}

// Step 4: validate what may be damaged. Every segment from the one holding
// the recovery point on, when the data directory was not shut down cleanly
// or the partition's recovery point is below its end (a partition missing
// from the checkpoint, one marked for recovery after a bad read, a
// directory copied in); and any segment whose index failed its checks.
Status Log::RecoverSegments() {
  const Offset recovery_point = this->recovery_point();
  auto segments = Segments();
  const bool from_recovery_point =
      !segments.empty() && (!had_clean_shutdown_ || recovery_point < segments.back()->next_offset());
  std::vector<std::shared_ptr<LogSegment>> recovered;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    const bool last = i + 1 == segments.size();
    const bool after_recovery_point = last || segments[i + 1]->base_offset() > recovery_point;
    if (!segment->needs_recovery() && !(from_recovery_point && after_recovery_point)) continue;
    ASSIGN_OR_RETURN(bool kept, RecoverSegment(segment));
    if (kept) recovered.push_back(segment);
  }
  return RebuildTransactionIndexes(recovered);
}

// One segment, one rule: cuts are reported, a segment topicfs cannot read
// is set aside whole, any other failure fails the load.
Result<bool> Log::RecoverSegment(const std::shared_ptr<LogSegment>& segment) {
  auto recovered = segment->Recover();
  if (!recovered.ok()) {
    if (recovered.status().code() != Code::kUnsupported) {
      return recovered.status().Annotate(fmt::format("{}: recovering segment {}", dir_, segment->base_offset()));
    }
    warnings_.push_back(fmt::format("{}: segment {} set aside: {}", dir_, segment->base_offset(),
                                    recovered.status().message()));
    RETURN_IF_ERROR(SetSegmentAside(segment, kUnreadableSuffix));
    return false;
  }
  if (recovered->cut_bytes == 0) return true;
  recovery_cut_from_ = std::min(recovery_cut_from_.value_or(Offset::Max()), segment->base_offset());
  std::string kept = recovered->side_files.empty()
                         ? std::string("zeros, nothing kept")
                         : fmt::format("kept in {}", fmt::join(recovered->side_files, ", "));
  warnings_.push_back(fmt::format("{}: recovery cut {} bytes that are not valid batches from {} ({})",
                                  dir_, recovered->cut_bytes, segment->log_path(), kept));
  return true;
}

// Renames the segment's files <name><suffix> and drops it from the log. A
// .log set aside as .corrupt takes the side-file name of a cut at position 0.
Status Log::SetSegmentAside(const std::shared_ptr<LogSegment>& segment, std::string_view suffix) {
  recovery_cut_from_ = std::min(recovery_cut_from_.value_or(Offset::Max()), segment->base_offset());
  if (suffix == kCorruptSuffix) {
    const std::string log_path = segment->log_path();
    RETURN_IF_ERROR(segment->Close());
    const std::string aside = CorruptFilePath(dir_, segment->base_offset(), 0);
    RETURN_IF_ERROR(io_->Rename(log_path, aside));
    // The indexes are caches of what is no longer a segment.
    RETURN_IF_ERROR(io_->Remove(SegmentFilePath(dir_, segment->base_offset(), kIndexSuffix)));
    RETURN_IF_ERROR(io_->Remove(SegmentFilePath(dir_, segment->base_offset(), kTimeIndexSuffix)));
    RETURN_IF_ERROR(io_->Remove(SegmentFilePath(dir_, segment->base_offset(), kTxnIndexSuffix)));
    warnings_.push_back(fmt::format("{}: segment {} set aside as {}", dir_, segment->base_offset(), aside));
  } else {
    RETURN_IF_ERROR(segment->ChangeFileSuffixes("", suffix));
    warnings_.push_back(fmt::format("{}: segment {} renamed {}", dir_, segment->base_offset(),
                                    segment->log_path()));
  }
  WriterLock lock(&segments_mu_);
  segments_.erase(segment->base_offset());
  return Status::Ok();
}

}  // namespace topicfs::store
