#include "store/log/read_cursor.h"

namespace topicfs::store {

std::optional<ReadCursor::Position> ReadCursor::ResumeAt(uint64_t segment_id, Offset offset,
                                                         int64_t segment_size) const {
  if (segment_id_ != segment_id || offset_ != offset || position_.batch < 0 ||
      position_.batch >= segment_size) {
    return std::nullopt;
  }
  return position_;
}

void ReadCursor::StopAt(uint64_t segment_id, Offset next, int64_t batch, int64_t batch_size,
                        int64_t record, int32_t records_left) {
  spill_begin_ = spill_end_ = 0;
  segment_id_ = segment_id;
  offset_ = next;
  if (records_left > 0) {
    position_ = Position{batch, record, records_left, /*verified=*/true};
  } else {
    // The batch is used up: the next read starts at the batch after it.
    position_ = Position{batch + batch_size, -1, 0, /*verified=*/false};
  }
}

void ReadCursor::KeepSpill(uint64_t segment_id, Offset next, int64_t batch, int64_t batch_size) {
  segment_id_ = segment_id;
  offset_ = next;
  position_ = Position{batch + batch_size, -1, 0, /*verified=*/false};
  spill_begin_ = 0;
  spill_end_ = static_cast<int64_t>(spill_.size());
}

std::string_view ReadCursor::SpillAt(uint64_t segment_id, Offset offset) const {
  if (spill_begin_ == spill_end_ || segment_id_ != segment_id || offset_ != offset) return {};
  return spill_.view().substr(static_cast<size_t>(spill_begin_), static_cast<size_t>(spill_end_ - spill_begin_));
}

void ReadCursor::ConsumeSpill(int64_t n) {
  spill_begin_ += n;
  offset_ = offset_ + n;
}

}  // namespace topicfs::store
