// What a Kafka Fetch sends: stored batches, whole and as they are on disk,
// named by (descriptor, position, length) so that the front end sends them
// with sendfile(2) and nothing is copied (Log::SlicesForFetch).

#include <algorithm>

#include "store/log/log.h"

namespace topicfs::store {

Result<LogSegment::FetchRange> LogSegment::RangeForFetch(Offset offset, int64_t max_bytes,
                                                         bool at_least_one, Offset end) const {
  FetchRange range;
  const int64_t size = this->size();
  if (size == 0) return range;
  ASSIGN_OR_RETURN(auto map, log_->Map());
  const char* data = map->data();
  int64_t pos = StartPosition(offset, data, size);
  bool started = false;
  while (pos < size) {
    auto located = BatchAt(data, size, pos);
    if (!located.ok()) {
      Status withheld = Withhold(pos, located.status());
      if (!started) return withheld;
      range.stopped_at_damage = true;
      break;
    }
    const BatchLocation& loc = *located;
    if (loc.base_offset >= end) break;  // appended after the fetch saw the end
    if (!started && loc.last_offset < offset) {
      pos += loc.size;
      continue;
    }
    const bool fits = range.length + loc.size <= max_bytes;
    if (!fits && !(at_least_one && !started)) {
      range.stopped_at_limit = true;
      break;
    }
    Status verified = VerifyServed(std::string_view(data + pos, static_cast<size_t>(loc.size)), pos);
    if (!verified.ok()) {
      if (!started) return verified;
      range.stopped_at_damage = true;
      break;
    }
    if (!started) range.position = FilePosition(pos);
    started = true;
    range.length += loc.size;
    range.next_offset = loc.last_offset + 1;
    pos += loc.size;
  }
  return range;
}

Result<FetchSlices> Log::SlicesForFetch(Offset offset, int64_t max_bytes, bool at_least_one) const {
  if (!offline_.ok()) return offline_;
  FetchSlices out;
  // The end first: batches appended after it are left for the next fetch.
  out.high_watermark = log_end_offset();
  out.log_start_offset = log_start_offset();
  if (offset < out.log_start_offset || offset > out.high_watermark) {
    return Status::OutOfRange(fmt::format("partition {}: fetch offset {} is outside [{}, {}]", tp_.DirName(),
                                          offset, out.log_start_offset, out.high_watermark));
  }
  int64_t room = max_bytes;
  for (auto segment = FloorSegment(offset); segment != nullptr && offset < out.high_watermark;
       segment = SegmentAfter(segment->base_offset())) {
    offset = std::max(offset, segment->base_offset());
    auto range = segment->RangeForFetch(offset, room, at_least_one && out.slices.empty(), out.high_watermark);
    if (!range.ok()) {
      if (!out.slices.empty()) return out;  // the good batches before the damage go first
      return range.status();
    }
    if (range->length > 0) {
      // Taken while the segment is held: the descriptor reads these bytes
      // even if the file is parked, or retention deletes it, meanwhile.
      ASSIGN_OR_RETURN(int fd, segment->DuplicateLogDescriptor());
      out.slices.push_back({OwnedFd(fd), range->position, range->length});
      out.bytes += range->length;
      room -= range->length;
      offset = range->next_offset;
    }
    if (range->stopped_at_damage || range->stopped_at_limit || room <= 0) break;
  }
  return out;
}

}  // namespace topicfs::store
