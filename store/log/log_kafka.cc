// The Log methods the Kafka front end (kafka/broker) calls: a Produce's
// batches appended, a Fetch's batches found as file slices.

#include <fcntl.h>
#include <unistd.h>

#include "store/format/batch_check.h"
#include "store/format/batch_compression.h"
#include "store/format/batch_header.h"
#include "store/format/record_reader.h"
#include "store/log/log.h"

namespace topicfs::store {

Result<AppendResult> Log::AppendProducedBatches(std::string_view batches) {
  // The records are views into the inflated twins, which must outlive the append.
  std::vector<std::string> twins;
  std::vector<KeyValue> records;
  int64_t pos = 0;
  const auto size = static_cast<int64_t>(batches.size());
  // Count the batches first so that twins never reallocates under the views.
  {
    int64_t at = 0;
    size_t count = 0;
    while (at < size) {
      auto loc = LocateBatch(batches.data(), size, at);
      if (!loc.ok()) break;
      at += loc->size;
      ++count;
    }
    twins.reserve(count);
  }
  while (pos < size) {
    std::string_view rest = batches.substr(static_cast<size_t>(pos));
    if (IsIntactButUnreadable(rest)) {
      return Status::Unsupported("a produced batch of magic 0 or 1 (only RecordBatch v2 is taken)");
    }
    auto loc = LocateBatch(batches.data(), size, pos);
    if (!loc.ok()) return loc.status();
    std::string_view batch = batches.substr(static_cast<size_t>(pos), static_cast<size_t>(loc->size));
    RETURN_IF_ERROR(VerifyBatch(batch));
    if (loc->control) return Status::Unsupported("a produced control batch (transactions)");
    std::string& twin = twins.emplace_back();
    auto readable = ReadableBatch(batch, &twin);
    if (!readable.ok()) return readable.status();
    RecordReader reader(*readable);
    RecordView rec;
    while (reader.Next(&rec)) records.push_back(KeyValue{rec.key, rec.value});
    RETURN_IF_ERROR(reader.status());
    pos += loc->size;
  }
  if (records.empty()) return Status::InvalidArgument("a produce request with no records");
  return AppendRecords(records);
}

Result<std::vector<FetchSlice>> Log::SlicesForFetch(Offset offset, int64_t max_bytes,
                                                    bool at_least_one) const {
  std::vector<FetchSlice> slices;
  if (offset < log_start_offset() || offset > log_end_offset()) {
    return Status::OutOfRange(fmt::format("fetch offset {} outside [{}, {}]", offset,
                                          log_start_offset(), log_end_offset()));
  }
  int64_t budget = max_bytes;
  for (const auto& segment : Segments()) {
    if (segment->next_offset() <= offset) continue;
    // Start at the index entry at or below offset; skip batches before it.
    FilePosition from(0);
    if (segment->base_offset() <= offset) from = segment->offset_index().Lookup(offset).position;
    FetchSlice slice;
    bool stop = false;
    Status scanned = segment->ScanBatches(from, [&](const BatchLocation& loc) {
      if (loc.last_offset < offset) return true;
      const bool first = slices.empty() && slice.length == 0;
      if (loc.size > budget && !(first && at_least_one)) {
        stop = true;
        return false;
      }
      // A batch that fails its CRC is not sent: the slice ends before it.
      if (!segment->BatchBytes(loc).ok()) {
        stop = true;
        return false;
      }
      if (slice.length == 0) {
        slice.position = loc.position;
        slice.first_offset = loc.base_offset;
      }
      slice.length += loc.size;
      slice.last_offset = loc.last_offset;
      budget -= loc.size;
      return true;
    });
    RETURN_IF_ERROR(scanned);
    if (slice.length > 0) {
      int fd = open(segment->log_path().c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        // Retention took the segment meanwhile: what was found before it stands.
        if (!slices.empty()) break;
        return Status::FromErrno("open", segment->log_path());
      }
      slice.fd = std::shared_ptr<const int>(new int(fd), [](const int* p) {
        close(*p);
        delete p;
      });
      slices.push_back(std::move(slice));
    }
    if (stop || budget <= 0) break;
  }
  return slices;
}

}  // namespace topicfs::store
