// Log::CheckLine and Log::CheckUnfinishedLine: whether a line could be
// appended, asked before it is. The filesystem holds a writer's unfinished
// last line until its newline or the last close; at every close(2) it asks
// whether that line could be appended, so close can report what the later
// append would refuse, and at every write whether the line can still become
// a record at all, so a line that never can is refused while its writer is
// still there to be told. Both judge as Log::AppendLocked validates a
// record before it writes any: the key requirement of compacted topics,
// then the size of the record alone in a batch against
// min(max.message.bytes, segment.bytes), the size bound first and the exact
// size only near the limit. They take no append lock: the answer is about
// the config and the fence as they are now, and appends may run meanwhile.

#include <algorithm>

#include "store/base/format.h"
#include "store/log/log.h"
#include "store/log/log_line_rules.h"

namespace topicfs::store {
namespace {

// kRecordTooLarge if the record alone makes a batch over the limit, decided
// as AppendLocked decides it. `what` and `input_size` are for the message.
Status CheckRecordAlone(const line_rules::LineRecord& record, const char* what, size_t input_size,
                        const LogConfig& cfg) {
  const int64_t batch_limit = std::min(cfg.max_message_bytes, cfg.segment_bytes);
  if (format::kBatchHeaderSize + line_rules::SizeBound(record) <= batch_limit) return Status::Ok();
  // A record's size depends on its deltas from the batch's base offset and
  // timestamp; alone in its batch both are 0, whatever the offset and time.
  BatchBuilder builder;
  builder.Reset(Offset(0), Timestamp(0));
  const int64_t alone =
      builder.SizeWith(Offset(0), Timestamp(0), record.key ? record.key->size() : 0, record.key.has_value(),
                       record.value ? record.value->size() : 0, record.headers_size);
  if (alone <= batch_limit) return Status::Ok();
  return Status::RecordTooLarge(fmt::format(
      "a {} of {} bytes makes a {}-byte batch, over the limit of {} (max.message.bytes={}, "
      "segment.bytes={})",
      what, input_size, alone, batch_limit, cfg.max_message_bytes, cfg.segment_bytes));
}

}  // namespace

Status Log::CheckLine(std::string_view line) const {
  if (fenced_) {
    return Status::Fenced(fmt::format(
        "partition {} refuses appends (a write or fsync failed, or it was closed or deleted)",
        tp_.DirName()));
  }
  if (read_only_) {
    return Status::ReadOnly(fmt::format("partition {} is read-only: its config could not be read",
                                        tp_.DirName()));
  }
  MutexLock lock(&config_mu_);
  const LogConfig& cfg = config_;
  const line_rules::LineRecord record = line_rules::DescribeLine(line, cfg.key_separator);
  if (cfg.cleanup_compact && !record.key) {
    return Status::InvalidArgument(
        cfg.key_separator.empty()
            ? "compacted topic needs key.separator"
            : fmt::format("compacted topic needs a key: line has no '{}'", cfg.key_separator));
  }
  return CheckRecordAlone(record, "line", line.size(), cfg);
}

Status Log::CheckUnfinishedLine(std::string_view start) const {
  // A line's record holds every byte of the line but the separator (split
  // into key and value, presented_record.h), and the separator header that
  // a split line carries takes more than the separator, so every line
  // beginning with `start` makes a record at least as large as `start` as
  // a keyless value. Without a separator that is exactly what the line
  // makes if it ends now.
  line_rules::LineRecord smallest;
  smallest.value = start;
  MutexLock lock(&config_mu_);
  return CheckRecordAlone(smallest, "line (not finished yet)", start.size(), config_);
}

}  // namespace topicfs::store
