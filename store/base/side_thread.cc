#include "store/base/side_thread.h"

#include <utility>

namespace topicfs::store {

SideThread& SideThread::Shared() {
  static SideThread side;
  return side;
}

SideThread::~SideThread() {
  std::thread thread;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    thread.swap(thread_);
  }
  changed_.SignalAll();
  if (thread.joinable()) thread.join();
}

uint64_t SideThread::TryRun(std::function<void()> task) {
  MutexLock lock(&mu_);
  if (stopping_ || finished_ != given_) return 0;
  task_ = std::move(task);
  const uint64_t ticket = ++given_;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
  changed_.SignalAll();
  return ticket;
}

void SideThread::Wait(uint64_t ticket) {
  MutexLock lock(&mu_);
  while (finished_ < ticket) changed_.Wait(&mu_);
}

void SideThread::Loop() {
  MutexLock lock(&mu_);
  for (;;) {
    while (finished_ == given_ && !stopping_) changed_.Wait(&mu_);
    if (finished_ == given_) return;  // stopping, nothing left to run
    std::function<void()> task = std::move(task_);
    lock.Unlock();
    try {
      task();
    } catch (...) {
      // The task's caller learns it did not finish from what it left
      // undone; this thread keeps serving.
    }
    lock.Lock();
    ++finished_;
    changed_.SignalAll();
  }
}

}  // namespace topicfs::store
