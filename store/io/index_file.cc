#include "store/io/index_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <utility>

namespace topicfs::store {
namespace {

// Kafka keeps tail lookups inside the last 8 KiB (two 4 KiB pages) so the
// pages they touch stay in the page cache as the index grows; a plain binary
// search over the whole file would wander onto cold pages each time the
// index grew by a page (Kafka saw ~1 s latency spikes from that).
constexpr int kWarmSectionBytes = 8192;

int64_t RoundDown(int64_t n, int multiple) { return n - n % multiple; }

struct SlotRange {
  int lower;  // largest slot with key <= target, or -1
  int upper;  // smallest slot with key >= target, or -1
};

// Binary search over [begin, end], which the caller chose so that
// key(begin) <= target.
SlotRange BinarySearch(int64_t target, int begin, int end, int entries,
                       const std::function<int64_t(int)>& key_of) {
  int lo = begin;
  int hi = end;
  while (lo < hi) {
    // Round up so that `lo = mid` always makes progress.
    const int mid = lo + (hi - lo + 1) / 2;
    const int64_t key = key_of(mid);
    if (key > target) {
      hi = mid - 1;
    } else if (key < target) {
      lo = mid;
    } else {
      return {mid, mid};
    }
  }
  // The loop never probes `begin` itself, so an exact match there is only
  // seen now. Kafka skips this check and answers begin + 1 as the upper
  // bound; the header promises the smallest slot with key >= target.
  if (key_of(lo) == target) return {lo, lo};
  return {lo, lo == entries - 1 ? -1 : lo + 1};
}

SlotRange FindSlots(int64_t target, int entries, int entry_size,
                    const std::function<int64_t(int)>& key_of) {
  if (entries == 0) return {-1, -1};
  const int warm_entries = kWarmSectionBytes / entry_size;
  const int first_hot = std::max(0, entries - 1 - warm_entries);
  if (key_of(first_hot) < target) return BinarySearch(target, first_hot, entries - 1, entries, key_of);
  if (key_of(0) > target) return {-1, 0};
  return BinarySearch(target, 0, first_hot, entries, key_of);
}

Status ClosedError(const std::string& path) {
  return Status::IoError(EBADF, fmt::format("index {} is closed", path));
}

}  // namespace

IndexFile::IndexFile(std::string path, int entry_size, int64_t max_index_size, FileIo* io,
                     FileCache* cache)
    : path_(std::move(path)),
      entry_size_(entry_size),
      max_index_size_(max_index_size),
      io_(io),
      cache_entry_(cache, &IndexFile::Park, this) {}

IndexFile::~IndexFile() {
  // A destructor cannot report failure; a failed trim leaves an untrimmed
  // index, which load-time sanity checks and rebuilds handle.
  (void)Close();
}

int IndexFile::entries() const {
  ReaderLock lock(&mu_);
  return entries_;
}

int IndexFile::max_entries() const {
  ReaderLock lock(&mu_);
  return max_entries_;
}

int64_t IndexFile::file_length() const {
  ReaderLock lock(&mu_);
  return length_;
}

Status IndexFile::Map(bool fresh) {
  WriterLock lock(&mu_);
  ASSIGN_OR_RETURN(fd_, FileCache::Open(cache_entry_.cache(), *io_, path_,
                                         O_RDWR | O_CREAT | (fresh ? O_TRUNC : 0)));
  Status st = MapOpenedFile();
  if (!st.ok()) {
    // Without a mapping the destructor must not trim (that would truncate an
    // existing file to nothing), so give the descriptor up here.
    io_->Close(fd_);
    fd_ = -1;
    closed_ = true;
    return st;
  }
  cache_entry_.Used();
  return st;
}

Status IndexFile::MapOpenedFile() {
  ASSIGN_OR_RETURN(int64_t size, io_->Size(fd_, path_));
  if (size == 0) {
    entries_ = 0;
    return ResizeLocked(max_index_size_);
  }
  if (size / entry_size_ > INT_MAX) {
    return Status::Corruption(fmt::format("index {} is {} bytes, more than {} entries of {} bytes",
                                          path_, size, INT_MAX, entry_size_));
  }
  ASSIGN_OR_RETURN(mmap_, io_->Map(fd_, size, path_));
  length_ = size;
  // An existing file is taken to be trimmed, so it is full: every whole entry
  // in it counts. Callers run SanityCheck to catch the files that were not.
  max_entries_ = static_cast<int>(length_ / entry_size_);
  entries_ = max_entries_;
  return Status::Ok();
}

bool IndexFile::Park(void* self) {
  auto* index = static_cast<IndexFile*>(self);
  if (!index->mu_.TryLock()) return false;
  WriterLock lock(&index->mu_, kAdoptLock);
  index->Unmap();
  index->io_->Close(index->fd_);
  index->fd_ = -1;
  return true;
}

Status IndexFile::ReopenLocked() const {
  if (fd_ >= 0) return Status::Ok();
  if (closed_) return ClosedError(path_);
  ASSIGN_OR_RETURN(int fd, FileCache::Reopen(cache_entry_.cache(), *io_, path_, length_));
  Result<const char*> mapped = length_ > 0 ? io_->Map(fd, length_, path_) : Result<const char*>(nullptr);
  if (!mapped.ok()) {
    io_->Close(fd);
    return mapped.status();
  }
  fd_ = fd;
  mmap_ = *mapped;
  return Status::Ok();
}

IndexFile::ReadLock::ReadLock(const IndexFile* index) : index_(index) {
  index->mu_.LockShared();
  if (index->fd_ < 0 && !index->closed_) {
    index->mu_.UnlockShared();
    {
      // A failure is answered as an empty index would (the header says
      // why that is safe); the segment's .log reports a lasting one.
      WriterLock exclusive(&index->mu_);
      (void)index->ReopenLocked();
    }
    index->mu_.LockShared();
  }
  if (index->fd_ >= 0) index->cache_entry_.Used();
}

IndexFile::ReadLock::~ReadLock() { index_->mu_.UnlockShared(); }

Status IndexFile::OpenForWriteLocked() {
  RETURN_IF_ERROR(ReopenLocked());
  cache_entry_.Used();
  return Status::Ok();
}

void IndexFile::Unmap() const {
  if (mmap_ != nullptr) io_->Unmap(mmap_, length_);
  mmap_ = nullptr;
}

Status IndexFile::Reset() {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  entries_ = 0;
  return ResizeLocked(max_index_size_);
}

Status IndexFile::Resize(int64_t new_length) {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  return ResizeLocked(new_length);
}

Status IndexFile::ResizeLocked(int64_t new_length) {
  if (fd_ < 0) return ClosedError(path_);
  if (new_length < 0) {
    return Status::InvalidArgument(fmt::format("resize {} to negative length {}", path_, new_length));
  }
  const int64_t rounded = RoundDown(new_length, entry_size_);
  if (rounded / entry_size_ > INT_MAX) {
    return Status::InvalidArgument(
        fmt::format("resize {} to {} bytes: more than {} entries", path_, rounded, INT_MAX));
  }
  const bool mapped_as_wanted = mmap_ != nullptr || rounded == 0;
  if (rounded == length_ && mapped_as_wanted) return Status::Ok();

  RETURN_IF_ERROR(io_->Truncate(fd_, rounded, path_));
  const char* fresh = nullptr;
  // mmap of length 0 is EINVAL: a zero-length index simply has no mapping.
  if (rounded > 0) {
    auto p = io_->Map(fd_, rounded, path_);
    if (!p.ok()) {
      // The old mapping may now reach past the end of the file, so it cannot
      // be kept. An index is a cache: an empty one is slow, not wrong.
      Unmap();
      length_ = rounded;
      entries_ = max_entries_ = 0;
      return p.status();
    }
    fresh = *p;
  }
  Unmap();
  mmap_ = fresh;
  length_ = rounded;
  max_entries_ = static_cast<int>(rounded / entry_size_);
  entries_ = std::min(entries_, max_entries_);
  return Status::Ok();
}

Status IndexFile::TrimToValidSize() {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  return ResizeLocked(int64_t{entries_} * entry_size_);
}

Status IndexFile::Flush() {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(OpenForWriteLocked());
  // On Linux fsync also writes back dirty pages of a MAP_SHARED mapping of
  // the file, so no msync is needed.
  return io_->Sync(fd_, path_);
}

Status IndexFile::Rename(const std::string& new_path) {
  WriterLock lock(&mu_);
  RETURN_IF_ERROR(io_->Rename(path_, new_path));
  path_ = new_path;
  return Status::Ok();
}

Status IndexFile::Delete() {
  WriterLock lock(&mu_);
  ReleaseLocked();
  // Like Kafka's deleteIfExists: an index that was never created (or is
  // already gone) is as deleted as it gets.
  return io_->Remove(path_);
}

Status IndexFile::Close() {
  WriterLock lock(&mu_);
  if (closed_) return Status::Ok();
  Status st = ReopenLocked();
  if (st.ok()) st = ResizeLocked(int64_t{entries_} * entry_size_);
  ReleaseLocked();
  return st;
}

void IndexFile::ReleaseLocked() {
  Unmap();
  io_->Close(fd_);
  fd_ = -1;
  closed_ = true;
  // With no mapping there must be no entries, so a lookup on a closed index
  // answers "empty" instead of reading unmapped memory.
  length_ = 0;
  entries_ = max_entries_ = 0;
  cache_entry_.Closed();
}

int IndexFile::LargestLowerBoundSlot(int64_t target,
                                     const std::function<int64_t(int)>& key_of) const {
  return FindSlots(target, visible_entries(), entry_size_, key_of).lower;
}

int IndexFile::SmallestUpperBoundSlot(int64_t target,
                                      const std::function<int64_t(int)>& key_of) const {
  return FindSlots(target, visible_entries(), entry_size_, key_of).upper;
}

Status IndexFile::WriteSlotLocked(int n, const char* entry) {
  return io_->PWrite(fd_, entry, static_cast<size_t>(entry_size_), static_cast<int64_t>(n) * entry_size_,
                     path_);
}

}  // namespace topicfs::store
