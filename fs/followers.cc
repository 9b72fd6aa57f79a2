#include "fs/followers.h"

#include <vector>

namespace topicfs::fs {

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
    // Dekker-style: count the waiter first, then look at the end; Notify
    // moves the end first, then looks at the count. One of the two sees
    // the other, so a wake-up cannot fall between them.
    parked_.fetch_add(1);
    if (log->log_end_offset() <= at) {
      it->second.log = log;
      it->second.at = at;
      it->second.wake = std::move(wake);
      return true;
    }
    parked_.fetch_sub(1);
    waiters_.erase(it);
  }
  wake(true);
  return true;
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
    wake = std::move(it->second.wake);
    waiters_.erase(it);
    parked_.fetch_sub(1);
  }
  wake(false);
  return true;
}

template <typename Pred>
void Followers::WakeIf(Pred pred, bool data_arrived) {
  std::vector<Wake> woken;
  {
    std::lock_guard lock(mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->second.log != nullptr && pred(it->second)) {
        woken.push_back(std::move(it->second.wake));
        it = waiters_.erase(it);
        parked_.fetch_sub(1);
      } else {
        ++it;
      }
    }
  }
  for (auto& wake : woken) wake(data_arrived);
}

void Followers::Notify(const store::Log* log) {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (parked_.load() == 0) return;
  const store::Offset end = log->log_end_offset();
  WakeIf([&](const Waiter& w) { return w.log == log && w.at < end; }, true);
}

void Followers::WakeAll(const store::Log* log) {
  WakeIf([&](const Waiter& w) { return w.log == log; }, true);
}

void Followers::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shut_down_ = true;
  }
  WakeIf([](const Waiter&) { return true; }, false);
}

}  // namespace topicfs::fs
