#include "store/manager/kafka_partition_reader.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

#include "store/base/format.h"
#include "store/format/batch_compression.h"
#include "store/format/file_names.h"

namespace topicfs::store {
namespace {

constexpr size_t kChunk = size_t{8} << 20;
constexpr int64_t kFrameBytes = 17;

}  // namespace

Result<std::unique_ptr<KafkaPartitionReader>> KafkaPartitionReader::Open(const std::string& dir, FileIo& io) {
  ASSIGN_OR_RETURN(auto names, io.List(dir));
  std::vector<std::pair<Offset, std::string>> logs;
  int64_t total = 0;
  for (const auto& name : names) {
    auto parsed = ParseSegmentFileName(name);
    if (!parsed || parsed->kind != SegmentFileKind::kLog || !parsed->state_suffix.empty()) continue;
    const std::string path = dir + "/" + name;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Status::FromErrno("stat", path);
    total += st.st_size;
    logs.emplace_back(parsed->base_offset, path);
  }
  if (logs.empty()) return Status::NotFound(fmt::format("{}: no .log segment (not a Kafka partition directory?)", dir));
  std::sort(logs.begin(), logs.end());
  std::vector<std::string> segments;
  for (auto& [base, path] : logs) segments.push_back(std::move(path));
  std::unique_ptr<KafkaPartitionReader> reader(new KafkaPartitionReader(io, std::move(segments), total));
  RETURN_IF_ERROR(reader->OpenSegment(0));
  return reader;
}

KafkaPartitionReader::KafkaPartitionReader(FileIo& io, std::vector<std::string> segments, int64_t bytes_total)
    : io_(io), segments_(std::move(segments)), bytes_total_(bytes_total) {}

KafkaPartitionReader::~KafkaPartitionReader() { io_.Close(fd_); }

Status KafkaPartitionReader::OpenSegment(size_t i) {
  io_.Close(fd_);
  fd_ = -1;
  segment_ = i;
  start_ = end_ = 0;
  file_pos_ = 0;
  if (i >= segments_.size()) return Status::Ok();
  ASSIGN_OR_RETURN(fd_, io_.Open(segments_[i], O_RDONLY));
  ASSIGN_OR_RETURN(file_size_, io_.Size(fd_, segments_[i]));
  return Status::Ok();
}

Result<bool> KafkaPartitionReader::Fill(int64_t n) {
  if (end_ - start_ >= static_cast<size_t>(n)) return true;
  if (file_pos_ + static_cast<int64_t>(start_) + n > file_size_) return false;
  // The unread bytes to the front, then read up to a chunk (or n) more.
  std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
  file_pos_ += static_cast<int64_t>(start_);
  end_ -= start_;
  start_ = 0;
  const size_t want = std::max(static_cast<size_t>(n), kChunk);
  if (buf_.size() < want) buf_.resize(want);
  while (end_ < static_cast<size_t>(n)) {
    ASSIGN_OR_RETURN(size_t got, io_.PRead(fd_, buf_.data() + end_, buf_.size() - end_,
                                          file_pos_ + static_cast<int64_t>(end_), segments_[segment_]));
    if (got == 0) return false;  // shrank under us
    end_ += got;
  }
  return true;
}

Result<const KafkaPartitionReader::Batch*> KafkaPartitionReader::Next(bool decode_records) {
  while (segment_ < segments_.size()) {
    const int64_t position = file_pos_ + static_cast<int64_t>(start_);
    const std::string at = fmt::format("{} at position {}", segments_[segment_], position);
    ASSIGN_OR_RETURN(bool framed, Fill(kFrameBytes));
    BatchFrame frame;
    if (framed) frame = PeekFrame(std::string_view(buf_.data() + start_, kFrameBytes));
    bool whole = framed && frame.length >= 0;
    if (whole) {
      if (frame.magic != 2) {
        return Status::Unsupported(
            fmt::format("{}: a magic {} batch (topicfs reads RecordBatch v2 only)", at, frame.magic));
      }
      ASSIGN_OR_RETURN(whole, Fill(frame.size()));
    }
    if (!whole) {
      // Fewer bytes than a batch: the end of the segment, torn or not.
      if (position < file_size_) ++torn_tails_;
      bytes_read_ += file_size_ - position;
      RETURN_IF_ERROR(OpenSegment(segment_ + 1));
      continue;
    }
    std::string_view bytes(buf_.data() + start_, static_cast<size_t>(frame.size()));
    RETURN_IF_ERROR(VerifyBatch(bytes).Annotate(at));
    ASSIGN_OR_RETURN(batch_.header, ParseBatchHeader(bytes));
    batch_.bytes = bytes;
    batch_.codec = BatchCodec(bytes);
    batch_.segment = segments_[segment_];
    batch_.position = position;
    batch_.records.clear();
    if (decode_records || batch_.header.is_control()) {
      auto readable = ReadableBatch(bytes, &twin_);
      if (!readable.ok()) return readable.status().Annotate(at);
      RecordReader reader(*readable);
      RecordView r;
      while (reader.Next(&r)) batch_.records.push_back(r);
      if (!reader.status().ok()) return reader.status().Annotate(at);
    }
    start_ += bytes.size();
    bytes_read_ += static_cast<int64_t>(bytes.size());
    return &batch_;
  }
  return nullptr;
}

}  // namespace topicfs::store
