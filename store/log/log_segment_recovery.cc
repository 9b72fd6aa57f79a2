// LogSegment::Recover: validating a segment's .log batch by batch,
// rebuilding its indexes, and moving what is not a valid batch out of the
// way into side files. docs/recovery.md ("Rebuilding a segment") lists the
// same rules.

#include <fcntl.h>

#include <algorithm>
#include <limits>

#include "store/io/atomic_file.h"
#include "store/base/big_endian.h"
#include "store/format/file_names.h"
#include "store/base/format.h"
#include "store/log/log_segment.h"

namespace topicfs::store {
namespace {

constexpr int64_t kMaxRelativeOffset = std::numeric_limits<int32_t>::max();
// A cut is compared with an existing side file of the same name only up to
// this size; a larger one gets a new name.
constexpr int64_t kMaxComparedSideFile = 64 << 20;
// Each round cuts at least one byte; a handful is plenty in practice.
constexpr int kMaxRepairRounds = 8;

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

}  // namespace

struct LogSegment::Walk {
  std::vector<std::pair<int64_t, int64_t>> cuts;  // [from, to), ascending
  int64_t records = 0;
  Offset next;
  bool transactional = false;  // a transactional batch was accepted
};

Result<LogSegment::RecoveryResult> LogSegment::Recover() {
  RecoveryResult result;
  for (int round = 0;; ++round) {
    ASSIGN_OR_RETURN(Walk walk, ValidateAndIndex());
    if (walk.cuts.empty() || round == kMaxRepairRounds) {
      next_offset_.store(walk.next.value, std::memory_order_release);
      holds_transactional_ = walk.transactional;
      // An aborted transaction's records are not counted, and which are
      // is known only once the partition's indexes are rebuilt: counted
      // when first asked then.
      record_count_ = walk.transactional ? -1 : walk.records;
      break;
    }
    // Last range first: the positions of the earlier ones stay true.
    for (auto it = walk.cuts.rbegin(); it != walk.cuts.rend(); ++it) {
      ASSIGN_OR_RETURN(std::string side_file, CutRange(it->first, it->second));
      result.cut_bytes += it->second - it->first;
      if (!side_file.empty()) result.side_files.push_back(std::move(side_file));
    }
  }
  // End as Kafka's recover() does, like a closed segment: the final time
  // index entry written and both indexes trimmed. An untrimmed index would
  // be read back as all entries after a crash; the loader grows the active
  // segment's indexes again.
  RETURN_IF_ERROR(OnBecomeInactive());
  needs_recovery_ = false;
  index_broken_ = false;
  {
    MutexLock lock(&withheld_mu_);
    withheld_.clear();
  }
  return result;
}

Result<LogSegment::Walk> LogSegment::ValidateAndIndex() {
  RETURN_IF_ERROR(offset_index_->Reset());
  RETURN_IF_ERROR(time_index_->Reset());
  max_timestamp_so_far_ = -1;
  offset_of_max_timestamp_ = base_offset_.value;
  rolling_based_timestamp_.reset();
  bytes_since_last_index_entry_ = 0;

  Walk walk;
  walk.next = base_offset_;
  const int64_t size = this->size();
  if (size == 0) return walk;
  ASSIGN_OR_RETURN(auto map, log_->Map());
  const char* data = map->data();
  auto unsupported = [&](int64_t pos, std::string_view why) {
    return Status::Unsupported(fmt::format("{} at position {}: {}", log_path(), pos, why));
  };
  auto frame_at = [&](int64_t pos) -> std::optional<std::string_view> {
    std::string_view rest(data + pos, static_cast<size_t>(size - pos));
    if (rest.size() <= static_cast<size_t>(format::kHeaderSizeUpToMagic)) return std::nullopt;
    BatchFrame frame = PeekFrame(rest);
    if (frame.length < format::kMinLegacyEntrySize || frame.size() > static_cast<int64_t>(rest.size())) {
      return std::nullopt;
    }
    return rest.substr(0, static_cast<size_t>(frame.size()));
  };

  // The batch accepted last, as it was judged: a raised base offset (not
  // covered by the CRC) makes a batch look valid after a gap and the intact
  // one after it look misplaced.
  struct Accepted {
    int64_t pos = -1, size = 0;
    Offset next_before;  // walk.next before it
    int64_t records = 0;
    bool after_gap = false;
  } last;

  int64_t pos = 0;
  while (pos < size) {
    std::string_view rest(data + pos, static_cast<size_t>(size - pos));
    // Zeros where a batch should start: the end of what was written (a
    // preallocated or torn tail, or the hole a killed multi-batch append
    // leaves where its first batch goes). Everything from here is cut.
    if (rest.size() <= static_cast<size_t>(format::kHeaderSizeUpToMagic) ||
        PeekFrame(rest).length == 0) {
      walk.cuts.emplace_back(pos, size);
      break;
    }
    std::optional<std::string_view> batch = frame_at(pos);
    if (batch && IsIntactButUnreadable(*batch)) return unsupported(pos, VerifyBatch(*batch).message());
    BatchCheck check;
    if (batch) check = CheckBatch(*batch, pos, walk.next, base_offset_);
    if (check.verdict == BatchVerdict::kForeign) {
      return unsupported(pos, "its records' offsets do not follow their byte positions (a Kafka "
                              "broker's data?)");
    }
    if (check.verdict == BatchVerdict::kMisplaced) {
      // Intact but starting below where the segment had reached. Alone, it
      // is a damaged base offset (the CRC does not cover it); followed by
      // another intact batch that starts below too, it is another Kafka's
      // consecutive offsets.
      const int64_t after = pos + check.location.size;
      std::optional<std::string_view> following = after < size ? frame_at(after) : std::nullopt;
      const bool following_intact = following && VerifyBatch(*following).ok();
      // Unless the batch before it came after a gap, and without that gap
      // this one and the next would both fit: then the one before had its
      // base offset raised, and it is the one cut. Its index entries go;
      // the next round rebuilds the indexes of the segment without it.
      if (last.after_gap && following_intact && check.location.base_offset >= last.next_before) {
        BatchCheck refit = CheckBatch(*batch, pos, last.next_before, base_offset_);
        if (refit.verdict == BatchVerdict::kValid &&
            be::Load<int64_t>(following->data()) >= refit.presented_end.value) {
          RETURN_IF_ERROR(offset_index_->TruncateTo(last.next_before));
          RETURN_IF_ERROR(time_index_->TruncateTo(last.next_before));
          walk.cuts.emplace_back(last.pos, last.pos + last.size);
          walk.records -= last.records;
          walk.next = last.next_before;
          last = Accepted{};
          continue;  // this batch again, now valid
        }
      }
      if (following_intact && be::Load<int64_t>(following->data()) < walk.next.value) {
        return unsupported(pos, "its batches' offsets do not follow their byte positions (a Kafka "
                                "broker's data?)");
      }
      walk.cuts.emplace_back(pos, after);
      last = Accepted{};
      pos = after;
      continue;
    }
    if (check.verdict == BatchVerdict::kValid) {
      const BatchLocation& loc = check.location;
      if (loc.max_timestamp.value > max_timestamp_so_far_) {
        max_timestamp_so_far_ = loc.max_timestamp.value;
        offset_of_max_timestamp_ = loc.last_offset.value;
      }
      if (!rolling_based_timestamp_) rolling_based_timestamp_ = loc.max_timestamp;
      RETURN_IF_ERROR(IndexBatch(loc, &bytes_since_last_index_entry_));
      last = {pos, loc.size, walk.next, loc.control ? 0 : loc.records, loc.base_offset > walk.next};
      walk.records += last.records;
      walk.transactional |= loc.transactional;
      walk.next = std::max(check.presented_end, loc.last_offset + 1);
      pos += loc.size;
      continue;
    }
    // Damaged: not what was written. Resynchronise on the next valid batch,
    // if there is one; if not, this is a torn or garbage tail.
    int64_t resume = -1;
    for (int64_t q = pos + 1; q + format::kBatchHeaderSize <= size; ++q) {
      if (static_cast<int8_t>(data[q + format::kMagicPos]) != format::kMagicV2) continue;
      const int64_t base = be::Load<int64_t>(data + q);
      if (base < walk.next.value || base - base_offset_.value > kMaxRelativeOffset) continue;
      std::optional<std::string_view> candidate = frame_at(q);
      if (candidate && CheckBatch(*candidate, q, walk.next, base_offset_).verdict == BatchVerdict::kValid) {
        resume = q;
        break;
      }
    }
    walk.cuts.emplace_back(pos, resume < 0 ? size : resume);
    last = Accepted{};
    if (resume < 0) break;
    pos = resume;
  }
  return walk;
}

Result<std::string> LogSegment::CutRange(int64_t from, int64_t to) {
  ASSIGN_OR_RETURN(auto map, log_->Map());
  std::string_view bytes(map->data() + from, static_cast<size_t>(to - from));
  std::string side_file;
  // Zeros carry nothing anybody wrote: they are cut without a copy.
  if (!AllZero(bytes)) {
    for (int n = 1;; ++n) {
      side_file = CorruptFilePath(dir_, base_offset_, from, n);
      auto existing = io_->Open(side_file, O_RDONLY);
      if (!existing.ok()) break;  // a free name
      io_->Close(*existing);
      // The same cut made before a crash stopped the repair: write it again.
      if (bytes.size() <= static_cast<size_t>(kMaxComparedSideFile)) {
        auto earlier = ReadSmallFile(side_file, *io_);
        if (earlier.ok() && *earlier == bytes) break;
      }
    }
    // Durable before the bytes leave the .log.
    RETURN_IF_ERROR(WriteFileAtomically(side_file, bytes, *io_));
  }
  map.reset();
  RETURN_IF_ERROR(log_->RemoveRange(from, to,
                                    SegmentFilePath(dir_, base_offset_, kLogSuffix, kRepairSuffix)));
  return side_file;
}

}  // namespace topicfs::store
