#include "fs/followers.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <system_error>
#include <utility>
#include <vector>

namespace topicfs::fs {

// Why no wake-up is lost between a reader finding the end and parking, and
// an append moving the end:
//
//   Wait (reader)                        append + Notify (writer)
//   lock mu_                             end_offset_.store(new end)
//   parked_.fetch_add(1)   (RMW)         if parked_.fetch_add(0) == 0:  (RMW)
//   end = log_end_offset()                 return
//   end <= at: enter by_log_             lock mu_
//   unlock mu_                           end = log_end_offset()
//                                        hand by_log_[log] entries below end
//                                          to the waker
//
// Both sides touch parked_ with a read-modify-write (acq_rel), and RMWs on
// one atomic are totally ordered, each reading the one before it. If the
// reader's comes first, the writer's reads the increment, so the writer
// takes the lock. If the writer's comes first, the reader's reads it and so
// acquires everything the writer did before, the new end included: the
// reader sees the new end and wakes itself instead of parking. (Fences
// would do the same, but ThreadSanitizer does not model them.) When the
// writer does take the lock, mu_ orders the two critical sections: if the
// reader's came first, the writer finds the waiter in the index (and reads
// an end at least as new as the one it stored); if the writer's came first,
// the reader reads the end after it, sees the new end, and does not park.
//
// Handing over loses nothing either: a due log stays in due_logs_ with its
// notified_end raised, and its waiters stay in the index, until the waker,
// under mu_, has taken every waiter below that end. A Notify that finds the
// log already due only raises notified_end, which the waker reads under
// mu_ before it takes each waiter and before it drops the log.

Followers::~Followers() { Shutdown(); }

uint64_t Followers::Reserve() {
  store::MutexLock lock(&mu_);
  uint64_t id = next_id_++;
  waiters_.emplace(id, Waiter{});
  return id;
}

bool Followers::Wait(uint64_t id, const store::Log* log, store::Offset at, Wake wake) {
  return Park(id, log, at, nullptr, std::move(wake));
}

bool Followers::WaitUntil(uint64_t id, const store::Log* log, store::Offset at, Clock::time_point deadline,
                          Wake wake) {
  return Park(id, log, at, &deadline, std::move(wake));
}

bool Followers::Park(uint64_t id, const store::Log* log, store::Offset at, const Clock::time_point* deadline,
                     Wake wake) {
  bool data_arrived = true;
  bool signal = false;
  {
    store::MutexLock lock(&mu_);
    auto it = waiters_.find(id);
    if (it == waiters_.end()) return false;
    if (it->second.cancelled || shut_down_) {
      waiters_.erase(it);
      return false;
    }
    // An RMW, paired with the one in Notify (see the top of this file).
    parked_.fetch_add(1, std::memory_order_acq_rel);
    if (log->log_end_offset() <= at && (deadline == nullptr || EnsureWaker())) {
      // notified_end <= the end just read <= at: not due until a later Notify.
      Waiter& w = it->second;
      w.log = log;
      w.in_log = by_log_[log].waiting.emplace(at, id);
      w.wake = std::move(wake);
      if (deadline != nullptr) {
        w.has_deadline = true;
        w.in_deadlines = deadlines_.emplace(*deadline, id);
        // The waker sleeps until the earliest deadline it knew of.
        signal = w.in_deadlines == deadlines_.begin();
      }
      if (!signal) return true;
    } else {
      data_arrived = log->log_end_offset() > at;
      parked_.fetch_sub(1);
      waiters_.erase(it);
    }
  }
  if (signal) {
    SignalWaker();
    return true;
  }
  wake(data_arrived);
  return true;
}

Followers::Wake Followers::Unpark(WaiterMap::iterator it) {
  Waiter& w = it->second;
  auto log = by_log_.find(w.log);
  log->second.waiting.erase(w.in_log);
  // Its entry in due_logs_, if any, goes stale; the waker skips it.
  if (log->second.waiting.empty()) by_log_.erase(log);
  if (w.has_deadline) deadlines_.erase(w.in_deadlines);
  Wake wake = std::move(w.wake);
  waiters_.erase(it);
  parked_.fetch_sub(1);
  return wake;
}

bool Followers::Cancel(uint64_t id) {
  Wake wake;
  {
    store::MutexLock lock(&mu_);
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
  // An RMW that changes nothing, paired with Wait's (see the top of this file).
  if (parked_.fetch_add(0, std::memory_order_acq_rel) == 0) return;
  bool signal = false;
  {
    store::MutexLock lock(&mu_);
    auto it = by_log_.find(log);
    if (it == by_log_.end()) return;
    LogWaiters& waiters = it->second;
    const store::Offset end = log->log_end_offset();
    // Ordered by offset: if the first is not due, none is.
    if (!(waiters.waiting.begin()->first < end)) return;
    waiters.notified_end = std::max(waiters.notified_end, end);
    if (waiters.in_due_logs) return;  // the waker is on it and will see the new end
    waiters.in_due_logs = true;
    due_logs_.push_back(log);
    signal = EnsureWaker();
  }
  if (signal) {
    SignalWaker();
  } else {
    DeliverDueInline();  // no thread to hand them to: the wakes must not wait
  }
}

thread_local Followers::SignalAfterReply* Followers::signal_after_reply_ = nullptr;

Followers::SignalAfterReply::SignalAfterReply(Followers& followers)
    : followers_(followers), outer_(signal_after_reply_) {
  signal_after_reply_ = this;
}

Followers::SignalAfterReply::~SignalAfterReply() {
  signal_after_reply_ = outer_;
  if (signal_) followers_.SignalWaker();
}

void Followers::SignalWaker() {
  for (SignalAfterReply* scope = signal_after_reply_; scope != nullptr; scope = scope->outer_) {
    if (&scope->followers_ == this) {
      scope->signal_ = true;
      return;
    }
  }
  waker_cv_.Signal();
}

bool Followers::EnsureWaker() {
  if (waker_.joinable()) return true;
  if (shut_down_) return false;
  try {
    waker_ = std::thread([this] { RunWaker(); });
    return true;
  } catch (const std::system_error&) {
    return false;
  }
}

Followers::Wake Followers::TakeDue() {
  while (!due_logs_.empty()) {
    auto it = by_log_.find(due_logs_.front());
    if (it != by_log_.end() && it->second.in_due_logs) {
      LogWaiters& waiters = it->second;
      auto first = waiters.waiting.begin();
      // One at a time, so a writer's Notify never waits behind more than
      // one waiter's removal.
      if (first->first < waiters.notified_end) return Unpark(waiters_.find(first->second));
      waiters.in_due_logs = false;
    }
    due_logs_.pop_front();
  }
  return {};
}

Followers::Wake Followers::TakeExpired(Clock::time_point now) {
  if (deadlines_.empty() || deadlines_.begin()->first > now) return {};
  return Unpark(waiters_.find(deadlines_.begin()->second));
}

void Followers::RunWaker() {
  // Linux never lets a SCHED_BATCH thread preempt the running one when it
  // is woken. Without it, the writer that signals the waker was often
  // preempted on the spot and resumed only after the waker had answered
  // every follower (bench/FOLLOWERS_BENCH.md), paying for them after all.
  // The waker still gets its fair share of the CPU; it runs when the writer
  // blocks, at the next tick, or on another core. Best effort: if the
  // policy cannot be set, wakes are only delivered sooner.
  sched_param normal_priority{};
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &normal_priority);
  (void)pthread_setname_np(pthread_self(), "topicfs-waker");
  store::MutexLock lock(&mu_);
  while (true) {
    // Data first: a waiter both due and expired gets its data.
    bool data_arrived = true;
    Wake wake = TakeDue();
    if (!wake) {
      data_arrived = false;
      wake = TakeExpired(Clock::now());
    }
    if (wake) {
      lock.Unlock();
      wake(data_arrived);
      wake = nullptr;  // its captures (a poll handle) are released outside the lock too
      lock.Lock();
      continue;
    }
    if (shut_down_) return;
    if (deadlines_.empty()) {
      waker_cv_.Wait(&mu_);
    } else {
      waker_cv_.WaitFor(&mu_, deadlines_.begin()->first - Clock::now());
    }
  }
}

void Followers::DeliverDueInline() {
  store::MutexLock lock(&mu_);
  while (true) {
    Wake wake = TakeDue();
    if (!wake) return;
    lock.Unlock();
    wake(true);
    wake = nullptr;
    lock.Lock();
  }
}

void Followers::WakeAll(const store::Log* log) {
  std::vector<Wake> woken;
  {
    store::MutexLock lock(&mu_);
    for (auto it = by_log_.find(log); it != by_log_.end(); it = by_log_.find(log)) {
      woken.push_back(Unpark(waiters_.find(it->second.waiting.begin()->second)));
    }
  }
  for (auto& wake : woken) wake(true);
}

void Followers::Shutdown() {
  store::MutexLock serial(&shutdown_mu_);
  std::vector<Wake> cancelled;
  std::thread waker;
  {
    store::MutexLock lock(&mu_);
    shut_down_ = true;
    // Due or not, a waiter still parked is cancelled: only the one the
    // waker is running now still gets its data.
    while (!by_log_.empty()) {
      cancelled.push_back(Unpark(waiters_.find(by_log_.begin()->second.waiting.begin()->second)));
    }
    due_logs_.clear();
    waker = std::move(waker_);
  }
  waker_cv_.SignalAll();
  for (auto& wake : cancelled) wake(false);
  cancelled.clear();
  if (waker.joinable()) waker.join();
}

}  // namespace topicfs::fs
