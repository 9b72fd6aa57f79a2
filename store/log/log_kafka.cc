// Log::SlicesForFetch: a Kafka Fetch's batches as file slices, for the
// listener (kafka/broker/fetch_handler.cc) to send with sendfile(2).

#include <fcntl.h>
#include <unistd.h>

#include "store/format/batch_check.h"
#include "store/log/log.h"

namespace topicfs::store {

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
