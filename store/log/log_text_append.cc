// Log::AppendText: the append a filesystem writer makes, text in, records
// out. A write of a few hundred KiB holds thousands of lines; splitting them
// into a vector first and then encoding them through the general Append
// walks the text twice and pays the general record encoder per line. Here,
// when the lines are plain (no key separator, no compaction),
// BatchBuilder::AddLines finds and encodes each line in one pass. The bytes
// are those Append would write: batches cut where Append cuts them
// (Log::BatchTarget), and AddLines encodes what Add does for a keyless,
// header-less record.

#include <algorithm>
#include <cstring>
#include <vector>

#include "store/base/format.h"
#include "store/log/log.h"

namespace topicfs::store {

Result<AppendResult> Log::AppendText(std::string_view pending, std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("AppendText needs text that ends with a newline");
  }
  MutexLock lock(&append_mu_);
  ASSIGN_OR_RETURN(std::optional<AppendResult> one, AppendPlainText(pending, text));
  if (one) return *one;

  // Several batches, keys or a limit to check per line: the general path.
  std::vector<std::string_view> lines;
  lines.reserve(text.size() / 64 + 1);
  size_t start = 0;
  if (!pending.empty()) {
    size_t nl = text.find('\n');
    append_buf_.assign(pending).append(text.substr(0, nl));
    lines.push_back(append_buf_);
    start = nl + 1;
  }
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return AppendLinesLocked(lines, nullptr);
}

// REQUIRES: append_mu_.
Result<std::optional<AppendResult>> Log::AppendPlainText(std::string_view pending, std::string_view text) {
  const LogConfig& cfg = appender_config();
  const int64_t batch_limit = std::min(cfg.max_message_bytes, cfg.segment_bytes);
  // Records take more bytes than their lines, so text over the limit never
  // fits one batch; the general path splits it (or refuses a long line).
  const int64_t text_bytes = static_cast<int64_t>(pending.size() + text.size());
  if (fenced_ || read_only_ || !cfg.key_separator.empty() || cfg.cleanup_compact ||
      format::kBatchHeaderSize + text_bytes > batch_limit) {
    return std::optional<AppendResult>();
  }
  const int64_t batch_target = BatchTarget();
  const Offset start = log_end_offset();
  const Timestamp now = clock_->Now();
  AppendResult result{start, start, 0, 0, now};
  // Several batches are gathered and written as one (WriteBatches), as the
  // general path does, cut where it cuts them (BatchTarget).
  multi_batch_.clear();
  std::vector<BatchLocation> locations;
  Offset offset = start;
  const char* p = text.data();
  const char* const end = p + text.size();
  bool first = true;
  while (p < end) {
    StartBatch(offset, now, /*first=*/locations.empty());
    if (first && !pending.empty()) {
      // The first line, newline and all, continues what earlier writes left.
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      append_buf_.assign(pending).append(p, static_cast<size_t>(nl - p) + 1);
      offset = builder_.AddLines(offset, now, append_buf_);
      p = nl + 1;
    }
    first = false;
    const Offset batch_start = offset;
    offset = builder_.AddLines(offset, now, std::string_view(p, static_cast<size_t>(end - p)), batch_target);
    p += (offset - batch_start);
    // Many short lines can take more record bytes than the limit allows in
    // one batch: then the general path splits them as it always did.
    if (builder_.size() > batch_limit) return std::optional<AppendResult>();
    builder_.SetLastOffset(offset - 1);  // the batch's presented end - 1, as Append's
    result.records += builder_.records();
    ++result.batches;
    if (p == end && locations.empty()) {
      RETURN_IF_ERROR(WriteBuiltBatch(now, offset));  // one batch: straight from the builder
    } else {
      RETURN_IF_ERROR(GatherBuiltBatch(now, &locations));
    }
  }
  if (!locations.empty()) {
    RETURN_IF_ERROR(WriteBatches(GatheredBatches(), std::move(locations), result.records, offset));
  }
  result.end_offset = offset;
  RETURN_IF_ERROR(FinishAppend(result, now));
  return std::optional<AppendResult>(result);
}

}  // namespace topicfs::store
