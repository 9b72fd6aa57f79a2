#pragma once
// Readers waiting for a partition to grow: a follow view's read at the end,
// or a poll on one. Nobody sleeps in a thread: a waiter is a callback,
// parked here until an append to its log passes the offset it waits for
// (Notify, called when the append returns), until it is cancelled (an
// interrupted read, a newer poll, a release), or until shutdown. So many
// followers hold no FUSE worker threads and cannot starve each other.
//
// Waiters are indexed by log and, within a log, by the offset they wait
// for, so an append looks only at its own log's waiters, and only at those
// its new end has passed; finding that none is due is a hash lookup and a
// look at the smallest offset, whatever the number of waiters.
//
// A waiter's id is reserved before it parks, so a cancel (the kernel's
// INTERRUPT) that arrives before the waiter is parked is not lost.
//
// Thread safety: every method may be called from any thread. mu_ guards
// the ids and the index; parked_ is atomic so that Notify can skip the lock
// when nobody waits at all. Callbacks run outside the lock, exactly once:
// Wake(true) when data arrived, Wake(false) when cancelled or shut down.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "store/log.h"

namespace topicfs::fs {

class Followers {
 public:
  using Wake = std::function<void(bool data_arrived)>;

  // An id for a waiter about to park.
  uint64_t Reserve();
  // Parks the waiter until `log`'s end passes `at`. If it already has, wakes
  // it at once in this thread. Returns false (and drops `wake` uncalled)
  // when the id was cancelled before it parked, or after Shutdown.
  bool Wait(uint64_t id, const store::Log* log, store::Offset at, Wake wake);
  // Cancels a waiter: a parked one is woken with false. Returns whether it
  // was parked. A reserved id not parked yet is marked so Wait refuses it.
  bool Cancel(uint64_t id);
  // Wakes the waiters of `log` whose offset its end has passed. Cheap when
  // nobody waits.
  void Notify(const store::Log* log);
  // Wakes every waiter of `log` with true whatever the end (the partition
  // was deleted: their reads find out).
  void WakeAll(const store::Log* log);
  // Cancels every waiter; later waits are refused.
  void Shutdown();

  size_t parked() const { return parked_.load(); }

 private:
  using ByOffset = std::multimap<store::Offset, uint64_t>;  // offset waited for -> id
  struct Waiter {
    const store::Log* log = nullptr;  // nullptr: reserved, not parked yet
    ByOffset::iterator in_log;        // its entry in by_log_[log]
    Wake wake;
    bool cancelled = false;
  };
  using WaiterMap = std::unordered_map<uint64_t, Waiter>;

  // REQUIRES: mu_. Removes a parked waiter from the index; returns its callback.
  Wake Unpark(WaiterMap::iterator it);
  // Runs each callback with data_arrived, outside the lock.
  static void RunAll(std::vector<Wake>& woken, bool data_arrived);

  std::mutex mu_;
  uint64_t next_id_ = 1;                                   // guarded by mu_
  WaiterMap waiters_;                                      // guarded by mu_: reserved and parked
  std::unordered_map<const store::Log*, ByOffset> by_log_;  // guarded by mu_: parked, by log
  bool shut_down_ = false;                                 // guarded by mu_
  std::atomic<size_t> parked_{0};                          // waiters in by_log_
};

}  // namespace topicfs::fs
