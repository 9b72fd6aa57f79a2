// A partition's idempotent-producer state, as Kafka's UnifiedLog and
// ProducerStateManager keep it: judged under the append lock before a
// produced batch is written, recorded after it landed, saved in Kafka's
// .snapshot files at each roll and at a clean close, and rebuilt at load
// from the newest snapshot that parses plus a replay of the batch headers
// after it (docs/format.md, "Producer snapshots"; docs/recovery.md).
//
// Which snapshots are kept: the newest kSnapshotsKept (the newest, and one
// to fall back to when it is damaged, each bounding the replay to the
// segments after it) and the newest at or below the active segment's base
// (a crash's torn tail is cut from the active segment, which invalidates
// the snapshots inside it, not that one), none below the log start (retention and
// DeleteRecords remove them, as Kafka's deleteSnapshotsBefore does) and
// none above the log end at load (they describe batches recovery cut).
// Kafka keeps one per segment; a snapshot older than the newest two only
// saves a replay that the newer ones save already.
//
// Producers expire as in Kafka (producer.id.expiration.ms): at load, and
// when the log manager's periodic check calls RemoveExpiredProducers.
//
// Not done: the cleaner does not keep an active producer's last batch as
// Kafka's does (RETAIN_EMPTY). A replay derives a batch's last sequence
// from its record count, so a batch the cleaner emptied is skipped (records
// 0) and one it thinned tells a short sequence: a producer whose last batch
// that was sees one OUT_OF_ORDER_SEQUENCE and resets. Only a replay through
// cleaned segments meets it, when both newest snapshots are lost.

#include <fmt/format.h>

#include <fcntl.h>

#include <algorithm>
#include <cerrno>

#include "store/format/file_names.h"
#include "store/format/producer_snapshot.h"
#include "store/io/atomic_file.h"
#include "store/log/log.h"

namespace topicfs::store {
namespace {

constexpr size_t kSnapshotsKept = 2;

}  // namespace

Result<std::optional<AppendResult>> Log::JudgeProducedBatch(const BatchHeader& h, Timestamp now) {
  if (h.base_sequence < 0) {
    return Status::InvalidArgument(
        fmt::format("a batch of idempotent producer {} has base sequence {}", h.producer_id, h.base_sequence));
  }
  const int32_t last_sequence = ProducerStateTable::LastSequence(h.base_sequence, h.records_count);
  const auto judged = producer_state_.Judge(h.producer_id, h.producer_epoch, h.base_sequence, last_sequence);
  const ProducerStateTable::Entry* known = producer_state_.Find(h.producer_id);
  switch (judged.verdict) {
    case ProducerStateTable::Verdict::kAppend:
      return std::optional<AppendResult>();
    case ProducerStateTable::Verdict::kDuplicate: {
      // Kafka answers a duplicate with error NONE and the offsets the batch
      // got the first time; nothing is written.
      AppendResult dup;
      dup.first_offset = DuplicateFirstOffset(*judged.duplicate_of);
      dup.end_offset = log_end_offset();
      dup.append_time = now;
      dup.duplicate = true;
      return std::optional<AppendResult>(dup);
    }
    case ProducerStateTable::Verdict::kOutOfOrderSequence:
      return Status::OutOfOrderSequence(fmt::format(
          "partition {}: producer {} epoch {} sent sequences {}..{}, but its last batch (epoch {}) ended at "
          "sequence {}",
          tp_.DirName(), h.producer_id, h.producer_epoch, h.base_sequence, last_sequence, known->epoch,
          known->batches.back().last_sequence));
    case ProducerStateTable::Verdict::kInvalidEpoch:
      return Status::InvalidProducerEpoch(
          fmt::format("partition {}: producer {} sent epoch {}, below its epoch {} here (fenced)", tp_.DirName(),
                      h.producer_id, h.producer_epoch, known->epoch));
  }
  return std::optional<AppendResult>();
}

Offset Log::DuplicateFirstOffset(const ProducerStateTable::Batch& batch) const {
  if (batch.first_offset != ProducerStateTable::kUnknownOffset) return batch.first_offset;
  std::optional<Offset> found;
  if (auto segment = FloorSegment(batch.last_offset)) {
    (void)segment->ScanBatches(FilePosition(0), [&](const BatchLocation& loc) {
      if (loc.last_offset == batch.last_offset) found = loc.base_offset;
      return loc.last_offset < batch.last_offset;
    });
  }
  // Gone (below the log start) or unreadable: the batch's last offset is
  // the one offset the snapshot knows of it.
  return found.value_or(batch.last_offset);
}

std::vector<ProducerSnapshotEntry> Log::ProducerStateEntries() {
  MutexLock lock(&append_mu_);
  return producer_state_.SnapshotEntries();
}

size_t Log::RemoveExpiredProducers() {
  MutexLock lock(&append_mu_);
  return producer_state_.RemoveExpired(clock_->Now(), producer_id_expiration_ms_);
}

std::vector<Offset> Log::ProducerSnapshotOffsets() const {
  std::vector<Offset> offsets;
  auto names = io_->List(dir_);
  if (!names.ok()) return offsets;
  for (const auto& name : *names) {
    auto parsed = ParseSegmentFileName(name);
    if (parsed && parsed->kind == SegmentFileKind::kSnapshot && parsed->state_suffix.empty()) {
      offsets.push_back(parsed->base_offset);
    }
  }
  std::sort(offsets.begin(), offsets.end());
  return offsets;
}

// Loading, step 8 (docs/recovery.md).
Status Log::LoadProducerState() {
  // A snapshot's staging file a crash left is gone already (step 1).
  const Offset end = log_end_offset(), start = log_start_offset();
  std::vector<Offset> offsets = ProducerSnapshotOffsets();
  std::vector<Offset> usable;
  for (Offset offset : offsets) {
    // Above the end, or above a segment recovery cut: the snapshot may
    // remember batches that are gone (Kafka's truncateAndReload drops
    // those above the end). Below the start: nothing left to replay from.
    const bool cut = recovery_cut_from_ && offset > *recovery_cut_from_;
    if (offset > end || offset < start || cut) {
      RETURN_IF_ERROR(io_->Remove(SegmentFilePath(dir_, offset, kSnapshotSuffix)));
    } else {
      usable.push_back(offset);
    }
  }
  producer_state_.Clear();
  Offset replay_from = start;
  while (!usable.empty()) {
    const Offset offset = usable.back();
    const std::string path = SegmentFilePath(dir_, offset, kSnapshotSuffix);
    auto bytes = ReadSmallFile(path, *io_);
    if (!bytes.ok() && bytes.status().code() != Code::kCorruption) return bytes.status();
    Result<std::vector<ProducerSnapshotEntry>> entries =
        bytes.ok() ? DecodeProducerSnapshot(*bytes) : Result<std::vector<ProducerSnapshotEntry>>(bytes.status());
    if (entries.ok()) {
      for (const auto& e : *entries) producer_state_.Load(e);
      replay_from = offset;
      break;
    }
    // Kafka warns and deletes a snapshot that does not parse, and falls
    // back to the one before (or to the log start).
    warnings_.push_back(fmt::format("{}: producer snapshot {} ignored and removed: {}", dir_, path,
                                    entries.status().message()));
    RETURN_IF_ERROR(io_->Remove(path));
    usable.pop_back();
  }
  last_snapshot_offset_ = usable.empty() ? Offset(-1) : usable.back();
  ReplayProducerBatches(replay_from);
  // Kafka leaves expired producers out when it loads a snapshot; the
  // replayed ones go at its next expiration check, here at once.
  producer_state_.RemoveExpired(clock_->Now(), producer_id_expiration_ms_);
  return Status::Ok();
}

void Log::ReplayProducerBatches(Offset from) {
  for (const auto& segment : Segments()) {
    if (segment->next_offset() <= from) continue;
    // Gathered, then recorded: the lock analysis does not follow the
    // append lock into the scan's callback.
    std::vector<BatchLocation> produced;
    Status scanned = segment->ScanBatches(FilePosition(0), [&](const BatchLocation& loc) {
      if (loc.last_offset >= from && loc.producer_id >= 0 && !loc.control && loc.records > 0) {
        produced.push_back(loc);
      }
      return true;
    });
    for (const BatchLocation& loc : produced) {
      producer_state_.Record(
          loc.producer_id, loc.producer_epoch,
          {loc.base_sequence, ProducerStateTable::LastSequence(loc.base_sequence, loc.records), loc.base_offset,
           loc.last_offset, loc.max_timestamp});
    }
    if (!scanned.ok()) {
      // A segment not validated at this load (below the recovery point)
      // with damage: the state is what came before it, and reads report
      // the damage.
      warnings_.push_back(fmt::format("{}: producer state replay stopped in segment {}: {}", dir_,
                                      segment->base_offset(), scanned.message()));
      return;
    }
  }
}

Status Log::WriteProducerSnapshot(Offset offset, bool sync) {
  const std::string path = SegmentFilePath(dir_, offset, kSnapshotSuffix);
  const std::vector<ProducerSnapshotEntry> entries = producer_state_.SnapshotEntries();
  RETURN_IF_ERROR(WriteFileAtomically(path, EncodeProducerSnapshot(entries), *io_, sync));
  last_snapshot_offset_ = std::max(last_snapshot_offset_, offset);
  std::vector<Offset> offsets = ProducerSnapshotOffsets();
  const Offset active_base = ActiveSegment()->base_offset();
  std::optional<Offset> at_active;  // the newest at or below the active segment's base
  for (Offset o : offsets) {
    if (o <= active_base) at_active = o;
  }
  for (size_t i = 0; i + kSnapshotsKept < offsets.size(); ++i) {
    if (offsets[i] == at_active) continue;
    (void)io_->Remove(SegmentFilePath(dir_, offsets[i], kSnapshotSuffix));
  }
  return Status::Ok();
}

Status Log::SyncProducerSnapshot(Offset offset) const {
  const std::string path = SegmentFilePath(dir_, offset, kSnapshotSuffix);
  auto fd = io_->Open(path, O_RDONLY);
  if (!fd.ok()) return fd.status().sys_errno() == ENOENT ? Status::Ok() : fd.status();
  Status synced = io_->Sync(*fd, path);
  io_->Close(*fd);
  return synced;
}

void Log::DeleteProducerSnapshotsBelow(Offset offset) {
  for (Offset o : ProducerSnapshotOffsets()) {
    if (o >= offset) break;
    (void)io_->Remove(SegmentFilePath(dir_, o, kSnapshotSuffix));
  }
  if (last_snapshot_offset_ < offset) {
    std::vector<Offset> left = ProducerSnapshotOffsets();
    last_snapshot_offset_ = left.empty() ? Offset(-1) : left.back();
  }
}

}  // namespace topicfs::store
