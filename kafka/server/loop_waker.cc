#include "kafka/server/loop_waker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

namespace topicfs::kafka {

LoopWaker::LoopWaker() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

LoopWaker::~LoopWaker() {
  if (fd_ >= 0) close(fd_);
}

void LoopWaker::Wake(uint64_t connection_id) {
  {
    store::MutexLock lock(&mu_);
    woken_.push_back(connection_id);
  }
  Poke();
}

void LoopWaker::Poke() {
  uint64_t one = 1;
  // A full counter (never in practice) still leaves the fd readable.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof(one));
}

std::vector<uint64_t> LoopWaker::Drain() {
  uint64_t count = 0;
  [[maybe_unused]] ssize_t n = read(fd_, &count, sizeof(count));
  std::vector<uint64_t> ids;
  {
    store::MutexLock lock(&mu_);
    ids.swap(woken_);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace topicfs::kafka
