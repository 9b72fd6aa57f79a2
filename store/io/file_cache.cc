#include "store/io/file_cache.h"

#include <fcntl.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>

namespace topicfs::store {
namespace {

// Descriptors and mappings kept out of the cache's reach: the FUSE device,
// checkpoint and config writes, a lock, sockets, and what libraries open.
constexpr size_t kReservedDescriptors = 96;
constexpr size_t kReservedMappings = 4096;

size_t MaxMapCount() {
  std::ifstream in("/proc/sys/vm/max_map_count");
  size_t n = 0;
  if (in >> n && n > 0) return n;
  return 65530;  // Linux's default
}

}  // namespace

FileCache::FileCache(size_t capacity) : capacity_(std::max<size_t>(1, capacity)) {}

size_t FileCache::CapacityFromLimits() {
  rlimit nofile{};
  size_t descriptors = 1024;
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY) {
    descriptors = static_cast<size_t>(nofile.rlim_cur);
  } else if (nofile.rlim_cur == RLIM_INFINITY) {
    descriptors = 1 << 20;
  }
  // An eighth of the limit stays free too: files in use while the cache
  // parks others, and a reader's old mapping after a remap, overshoot it.
  const size_t by_descriptors =
      descriptors > kReservedDescriptors ? (descriptors - kReservedDescriptors) * 7 / 8 : 8;
  const size_t maps = MaxMapCount();
  const size_t by_mappings = maps > kReservedMappings ? (maps - kReservedMappings) * 7 / 8 : 8;
  return std::max<size_t>(8, std::min(by_descriptors, by_mappings));
}

Result<int> FileCache::Open(FileCache* cache, FileIo& io, const std::string& path, int flags) {
  auto fd = io.Open(path, flags);
  const int err = fd.ok() ? 0 : fd.status().sys_errno();
  if (cache == nullptr || (err != EMFILE && err != ENFILE)) return fd;
  // Something outside the cache holds descriptors too: make room for it.
  if (cache->Shrink(std::max<size_t>(16, cache->open_files() / 4)) == 0) return fd;
  return io.Open(path, flags);
}

Result<int> FileCache::Reopen(FileCache* cache, FileIo& io, const std::string& path, int64_t min_size) {
  ASSIGN_OR_RETURN(int fd, Open(cache, io, path, O_RDWR));
  auto size = io.Size(fd, path);
  if (size.ok() && *size < min_size) {
    size = Status::Corruption(
        fmt::format("{} shrank to {} bytes while parked (it had {})", path, *size, min_size));
  }
  if (!size.ok()) {
    io.Close(fd);
    return size.status();
  }
  return fd;
}

size_t FileCache::open_files() const {
  MutexLock lock(&mu_);
  return open_;
}

void FileCache::Use(Entry* entry) {
  MutexLock lock(&mu_);
  if (entry->listed_) {
    if (newest_ == entry) return;
    Unlink(entry);
  }
  Link(entry);
  if (open_ > capacity_) ParkDownTo(capacity_, entry);
}

void FileCache::Drop(Entry* entry) {
  MutexLock lock(&mu_);
  if (entry->listed_) Unlink(entry);
}

size_t FileCache::Shrink(size_t n) {
  MutexLock lock(&mu_);
  return ParkDownTo(open_ > n ? open_ - n : 0, nullptr);
}

void FileCache::Link(Entry* entry) {
  entry->older_ = newest_;
  entry->newer_ = nullptr;
  if (newest_ != nullptr) newest_->newer_ = entry;
  newest_ = entry;
  if (oldest_ == nullptr) oldest_ = entry;
  entry->listed_ = true;
  ++open_;
}

void FileCache::Unlink(Entry* entry) {
  if (entry->newer_ != nullptr) entry->newer_->older_ = entry->older_;
  else newest_ = entry->older_;
  if (entry->older_ != nullptr) entry->older_->newer_ = entry->newer_;
  else oldest_ = entry->newer_;
  entry->newer_ = entry->older_ = nullptr;
  entry->listed_ = false;
  --open_;
}

size_t FileCache::ParkDownTo(size_t keep, const Entry* spare) {
  size_t parked = 0;
  // Each file is looked at once: a busy one stays, an idle one goes.
  Entry* next = oldest_;
  while (open_ > keep && next != nullptr) {
    Entry* victim = next;
    next = victim->newer_;
    if (victim == spare) continue;
    if (!victim->park_(victim->owner_)) continue;
    Unlink(victim);
    ++parked;
  }
  return parked;
}

}  // namespace topicfs::store
