#pragma once
// Reads the batches of a partition directory a Kafka broker wrote: its
// .log segments in base-offset order, each batch framed and checked
// (magic 2, CRC-32C) and, when asked, its records decoded (inflated if
// compressed). What `topicfs import` copies from, and how it reads a
// Kafka log directory's __consumer_offsets. Memory stays at about the
// largest batch: segments are read in chunks.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/base/status.h"
#include "store/format/batch_header.h"
#include "store/format/codec.h"
#include "store/format/record_reader.h"
#include "store/io/file_io.h"

namespace topicfs::store {

class KafkaPartitionReader {
 public:
  struct Batch {
    BatchHeader header;
    Codec codec = Codec::kNone;
    std::string_view bytes;           // the batch as stored
    std::vector<RecordView> records;  // with Next(true); into bytes or an inflated copy
    std::string segment;              // the .log it is in
    int64_t position = 0;             // its position there
  };

  // kNotFound for a directory without a .log segment.
  static Result<std::unique_ptr<KafkaPartitionReader>> Open(const std::string& dir,
                                                            FileIo& io = FileIo::Default());
  ~KafkaPartitionReader();
  KafkaPartitionReader(const KafkaPartitionReader&) = delete;
  KafkaPartitionReader& operator=(const KafkaPartitionReader&) = delete;

  // The next batch (valid until the next call), nullptr after the last.
  // With decode_records, its records too; without, only control batches'
  // (a caller scanning headers does not inflate what it skips). A batch
  // that does not frame, check or decode is an error naming the segment
  // and position; bytes too few for a batch at a segment's end (a torn
  // tail a broker's recovery would cut) end that segment, counted in
  // torn_tails().
  Result<const Batch*> Next(bool decode_records);

  int64_t bytes_total() const { return bytes_total_; }
  int64_t bytes_read() const { return bytes_read_; }
  int torn_tails() const { return torn_tails_; }

 private:
  KafkaPartitionReader(FileIo& io, std::vector<std::string> segments, int64_t bytes_total);
  // Makes [start_, start_ + n) of the current segment readable in buf_;
  // false when the segment has fewer bytes left.
  Result<bool> Fill(int64_t n);
  Status OpenSegment(size_t i);

  FileIo& io_;
  std::vector<std::string> segments_;
  size_t segment_ = 0;
  int fd_ = -1;
  int64_t file_size_ = 0;
  int64_t file_pos_ = 0;   // where buf_ starts in the file
  std::string buf_;
  size_t start_ = 0;       // the next batch's start in buf_
  size_t end_ = 0;         // bytes of buf_ read
  std::string twin_;
  Batch batch_;
  int64_t bytes_total_ = 0;
  int64_t bytes_read_ = 0;
  int torn_tails_ = 0;
};

}  // namespace topicfs::store
