#include "fs/followers.h"

#include <utility>

namespace topicfs::fs {

// Why no wake-up is lost between a reader finding the end and parking, and
// an append moving the end:
//
//   Wait (reader)                        append + Notify (writer)
//   lock mu_                             end_offset_.store(new end)
//   parked_.fetch_add(1)                 fence(seq_cst)
//   fence(seq_cst)                       if parked_.load() == 0: return
//   end = log_end_offset()               lock mu_
//   end <= at: enter by_log_             end = log_end_offset()
//   unlock mu_                           wake by_log_[log] entries below end
//
// The two fences are ordered one way or the other in the single total
// order of seq_cst operations. If the reader's comes first, the writer's
// load of parked_ sees the increment, so the writer takes the lock. If the
// writer's comes first, the reader's load of the end sees the new end, and
// the reader wakes itself instead of parking. When the writer does take
// the lock, mu_ orders the two critical sections: if the reader's came
// first, the writer finds the waiter in the index (and reads an end at
// least as new as the one it stored); if the writer's came first, the
// reader reads the end after it, sees the new end, and does not park.

uint64_t Followers::Reserve() {
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  waiters_.emplace(id, Waiter{});
  return id;
}

bool Followers::Wait(uint64_t id, const store::Log* log, store::Offset at, Wake wake) {
  {
    std::lock_guard lock(mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return false;
    if (it->second.cancelled || shut_down_) {
      waiters_.erase(it);
      return false;
    }
    parked_.fetch_add(1);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (log->log_end_offset() <= at) {
      it->second.log = log;
      it->second.in_log = by_log_[log].emplace(at, id);
      it->second.wake = std::move(wake);
      return true;
    }
    parked_.fetch_sub(1);
    waiters_.erase(it);
  }
  wake(true);
  return true;
}

Followers::Wake Followers::Unpark(WaiterMap::iterator it) {
  Waiter& w = it->second;
  auto log = by_log_.find(w.log);
  log->second.erase(w.in_log);
  if (log->second.empty()) by_log_.erase(log);
  Wake wake = std::move(w.wake);
  waiters_.erase(it);
  parked_.fetch_sub(1);
  return wake;
}

void Followers::RunAll(std::vector<Wake>& woken, bool data_arrived) {
  for (auto& wake : woken) wake(data_arrived);
  woken.clear();
}

bool Followers::Cancel(uint64_t id) {
  Wake wake;
  {
    std::lock_guard lock(mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return false;
    if (it->second.log == nullptr) {
      it->second.cancelled = true;
      return false;
    }
    wake = Unpark(it);
  }
  wake(false);
  return true;
}

void Followers::Notify(const store::Log* log) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (parked_.load() == 0) return;
  std::vector<Wake> woken;
  {
    std::lock_guard lock(mu_);
    auto waiting = by_log_.find(log);
    if (waiting == by_log_.end()) return;
    const store::Offset end = log->log_end_offset();
    // Ordered by offset: the due waiters are a prefix.
    while (waiting != by_log_.end() && waiting->second.begin()->first < end) {
      const uint64_t id = waiting->second.begin()->second;
      woken.push_back(Unpark(waiters_.find(id)));
      waiting = by_log_.find(log);  // gone once its last waiter is
    }
  }
  RunAll(woken, true);
}

void Followers::WakeAll(const store::Log* log) {
  std::vector<Wake> woken;
  {
    std::lock_guard lock(mu_);
    for (auto waiting = by_log_.find(log); waiting != by_log_.end(); waiting = by_log_.find(log)) {
      woken.push_back(Unpark(waiters_.find(waiting->second.begin()->second)));
    }
  }
  RunAll(woken, true);
}

void Followers::Shutdown() {
  std::vector<Wake> woken;
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
    while (!by_log_.empty()) {
      woken.push_back(Unpark(waiters_.find(by_log_.begin()->second.begin()->second)));
    }
  }
  RunAll(woken, false);
}

}  // namespace topicfs::fs
