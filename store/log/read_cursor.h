#pragma once
// Where a sequential reader's last read stopped, so that its next read
// resumes at that record instead of decoding the record's batch from its
// start: a direct_io reader asks in 4 KiB-1 MiB pieces and a batch holds up
// to max.message.bytes. Keep one per reader (an open file) and pass it to
// every read (LogSegment::Read, Log::Read). A cursor that does not match a
// read (another offset, a segment since replaced) is ignored.
//
// Thread safety: none; a cursor belongs to one reader at a time.

#include <cstdint>
#include <optional>
#include <string_view>

#include "store/base/byte_buffer.h"
#include "store/base/types.h"

namespace topicfs::store {

class ReadCursor {
 public:
  // Where in a segment a read resumes.
  struct Position {
    int64_t batch = -1;        // file position of the batch holding the offset
    int64_t record = -1;       // its record, from the batch start; -1: the batch's first
    int32_t records_left = 0;  // records from that one to the batch's end
    bool verified = false;     // this reader checked the batch's CRC-32C already
  };

  // The position a read of `offset` in segment `segment_id` (now
  // `segment_size` bytes long) resumes from, when the last read through this
  // cursor stopped exactly there.
  std::optional<Position> ResumeAt(uint64_t segment_id, Offset offset, int64_t segment_size) const;

  // The read stopped with `next` the offset of its next byte, in the batch
  // at `batch` (`batch_size` bytes, whose CRC it checked) at the record
  // `record` bytes into it, `records_left` records from there to the end.
  // With none left the next read starts at the batch after it.
  void StopAt(uint64_t segment_id, Offset next, int64_t batch, int64_t batch_size, int64_t record,
              int32_t records_left);

  // The spill: a read with room for only part of a batch still to be
  // checked copies the rest of the batch's presented bytes here as it
  // checks the batch's CRC-32C, so the batch is read from memory once (a
  // separate pass over the rest would read it twice). The next read at
  // the spill's offset starts with these bytes.
  //
  // The buffer a read fills with the rest of a batch (cleared by the
  // reader, kept between reads for its capacity).
  ByteBuffer& spill_buffer() { return spill_; }
  // The read stopped at `next` and spilled spill_buffer()'s bytes, the
  // offsets [next, next + size) without a gap, up to the end of the batch
  // at `batch` (`batch_size` bytes); the read after them starts at the batch
  // after it.
  void KeepSpill(uint64_t segment_id, Offset next, int64_t batch, int64_t batch_size);
  // The spilled bytes left for a read of `offset` in segment `segment_id`,
  // empty when there are none for it.
  std::string_view SpillAt(uint64_t segment_id, Offset offset) const;
  // The next n of them were served: the cursor moves past them (and, with
  // none left, to the batch after the spilled one).
  void ConsumeSpill(int64_t n);

 private:
  uint64_t segment_id_ = 0;  // LogSegment::id(); 0: none
  Offset offset_;            // the offset the next read is expected at
  Position position_;
  ByteBuffer spill_;
  // spill_[spill_begin_, spill_end_) are still to be served. Only KeepSpill
  // sets spill_end_: bytes a read copied for a batch that then failed its
  // check stay in the buffer but are never served.
  int64_t spill_begin_ = 0;
  int64_t spill_end_ = 0;
};

}  // namespace topicfs::store
