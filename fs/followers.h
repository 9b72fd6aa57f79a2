#pragma once
// Readers waiting for a partition to grow: a follow view's read at the end,
// or a poll on one. Nobody sleeps in a thread: a waiter is a callback,
// parked here until an append to its log passes the offset it waits for,
// until it is cancelled (an interrupted read, a newer poll, a release),
// until its deadline if it has one, or until shutdown. So many followers hold no FUSE worker threads and cannot
// starve each other.
//
// Writers do not pay for followers. An append calls Notify, which looks
// only at the waiters of that log, in a map ordered by the offset each
// waits for: whether any is due is a hash lookup and a look at the smallest
// offset, whatever the number of waiters. If some are, Notify marks the log
// due (its due waiters stay in the index) and signals the waker, a thread
// of this class, which takes them one at a time and runs their callbacks
// (for a read: the read and its reply). So the writer's request is answered
// without running a callback, and without even moving the due waiters: a
// thousand of them are a thousand map removals, far more than the append.
// Even the signal, a futex wake (p99 16 us on the VM of
// bench/FOLLOWERS_BENCH.md), can wait until the write is answered:
// fs/fuse_ops.cc holds it back with SignalAfterReply.
//
// Wakes coalesce by themselves: a woken read reads all there is up to the
// end, so under a stream of appends a follower is woken once per batch of
// appends it missed, not once per append. What 1,000 followers of the
// writer's own partition still cost an append (bench/FOLLOWERS_BENCH.md)
// is not in this class (the writer's Notify, lock included, takes about
// 1 us at p99): it is the store's state the followers' reads shared with the
// append, which the append finds in the other core's cache, and it is
// small next to what any append pays when appends come ~1 ms apart rather
// than back to back. The waker stays SCHED_BATCH, not SCHED_IDLE: on a
// busy machine an idle-class waker would leave followers unanswered.
//
// A front end other than fs (the Kafka listener) shares this object, the
// Filesystem's (Filesystem::followers()), and the store::Log pointers the
// LogManager hands out, so that each side's appends wake the other's
// waiters:
// - after each append it makes (a Produce), it calls Notify(log), inside
//   a SignalAfterReply scope if it can answer the producer first: the
//   store does not notify by itself, and a `tail -f` learns of the
//   Produce only this way;
// - a bounded wait (a Fetch with max_wait_ms) is Reserve, then
//   WaitUntil(id, log, fetch offset, now + max_wait, wake): wake(true) when
//   the end passed the offset, wake(false) at the deadline (or a Cancel,
//   or Shutdown). A Fetch of several partitions parks one id per
//   partition; the first callback to run answers the request (an atomic
//   flag decides which) and Cancels the other ids, whose callbacks, run
//   inside Cancel, find the flag set and do nothing. A Cancel of an id
//   already woken returns false and does nothing, so cancelling is always
//   safe; ids are never reused.
//
// Who calls what, from which thread:
// - Reserve, Wait, WaitUntil: the FUSE worker serving a read or poll, or
//   the waker (a woken read that finds no data parks again), or another
//   front end's thread. They run the callback at once, in the caller's
//   thread, if the data is already there.
// - Notify: the FUSE worker serving a write (inside SignalAfterReply) or a
//   release, after the append.
//   Only if the waker thread cannot be started does Notify run the due
//   callbacks itself rather than leave them waiting.
// - Cancel: the worker serving INTERRUPT, a newer poll or a release; its
//   callback (Wake(false)) runs in that thread, before Cancel returns.
// - WakeAll: the worker serving rmdir; the callbacks (Wake(true): the reads
//   find the partition gone) run in that thread, before WakeAll returns.
// - Shutdown: the daemon after its FUSE loop ended, before unmounting, and
//   the destructor. Parked waiters, due or not, are cancelled (Wake(false))
//   in its thread; then it waits for the waker to finish the callback it is
//   running and stops it. Afterwards none of the callbacks this class runs
//   is running or pending, and Wait refuses new waiters.
// Cancel, WakeAll and Shutdown are not on a writer's path, so their
// callbacks run inline, the simplest way to have nothing left queued when
// they return: an interrupted read is answered EINTR at once, and the
// daemon answers every parked read while its FUSE channel is still open.
//
// A waiter's id is reserved before it parks, so a cancel (the kernel's
// INTERRUPT) that arrives before the waiter is parked is not lost.
//
// Every callback runs exactly once, outside the lock: Wake(true) when data
// arrived (or the partition was deleted), Wake(false) when cancelled,
// past its deadline or shut down. Whoever removes a waiter from the index
// under the lock (the waker, Cancel, WakeAll or Shutdown; Wait for one it
// never parks) runs it; the waker runs the expired ones too. A Cancel that comes after the waker took the waiter finds nothing
// (false): the read is being answered with data.
//
// Thread safety: every method may be called from any thread, except that a
// callback must not call Shutdown or destroy this object. mu_ guards the
// ids, the index, the due logs, the deadlines and the waker's state;
// parked_ is atomic so that Notify can skip the lock when nobody waits at
// all.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <unordered_map>

#include "store/base/mutex.h"
#include "store/log/log.h"

namespace topicfs::fs {

class Followers {
 public:
  using Wake = std::function<void(bool data_arrived)>;
  using Clock = std::chrono::steady_clock;

  Followers() = default;
  Followers(const Followers&) = delete;
  Followers& operator=(const Followers&) = delete;
  // Shutdown: parked waiters' callbacks run, with false.
  ~Followers();

  // An id for a waiter about to park.
  uint64_t Reserve() EXCLUDES(mu_);
  // Parks the waiter until `log`'s end passes `at`. If it already has, wakes
  // it at once in this thread. Returns false (and drops `wake` uncalled)
  // when the id was cancelled before it parked, or after Shutdown.
  bool Wait(uint64_t id, const store::Log* log, store::Offset at, Wake wake) EXCLUDES(mu_);
  // Wait, but no later than `deadline`: if the end has not passed `at` by
  // then, the waker wakes it with false, as a Cancel would. For a front
  // end whose waits are bounded (a Kafka Fetch's max_wait_ms). If the
  // waker thread cannot be started, a waiter with no data yet is woken
  // with false at once, in this thread: its deadline could not be kept.
  bool WaitUntil(uint64_t id, const store::Log* log, store::Offset at, Clock::time_point deadline, Wake wake)
      EXCLUDES(mu_);
  // Cancels a waiter: a parked one is woken with false, in this thread.
  // Returns whether it was parked. A reserved id not parked yet is marked
  // so Wait refuses it.
  bool Cancel(uint64_t id) EXCLUDES(mu_);
  // Hands the waiters of `log` whose offset its end has passed to the
  // waker, and returns without running any callback; signals the waker
  // now, or at the end of this thread's SignalAfterReply scope. Cheap when
  // nobody waits on `log`, and cheaper still when nobody waits at all.
  void Notify(const store::Log* log) EXCLUDES(mu_);
  // Wakes every waiter of `log` with true whatever the end, in this thread
  // (the partition was deleted: their reads find out).
  void WakeAll(const store::Log* log) EXCLUDES(mu_);
  // Cancels every parked waiter, waits for the callback the waker is running
  // and stops it; later waits are refused. Safe to call more than once.
  void Shutdown() EXCLUDES(shutdown_mu_, mu_);

  size_t parked() const { return parked_.load(); }

  // While one lives, a Notify of `followers` on this thread does not signal
  // the waker itself; the scope does when it ends. A FUSE write opens one
  // around the write and its reply, so the writer has its answer before the
  // thread switch starts. Not movable: it is a scope, on one thread.
  class SignalAfterReply {
   public:
    explicit SignalAfterReply(Followers& followers);
    ~SignalAfterReply();
    SignalAfterReply(const SignalAfterReply&) = delete;
    SignalAfterReply& operator=(const SignalAfterReply&) = delete;

   private:
    friend class Followers;
    Followers& followers_;
    SignalAfterReply* outer_;  // the scope this one is nested in, if any
    bool signal_ = false;      // a Notify in the scope handed the waker work
  };

 private:
  using ByOffset = std::multimap<store::Offset, uint64_t>;  // offset waited for -> id
  using ByDeadline = std::multimap<Clock::time_point, uint64_t>;
  struct Waiter {
    const store::Log* log = nullptr;  // nullptr: reserved, not parked yet
    ByOffset::iterator in_log;        // its entry in by_log_[log].waiting
    bool has_deadline = false;
    ByDeadline::iterator in_deadlines;  // if has_deadline: its entry in deadlines_
    Wake wake;
    bool cancelled = false;
  };
  struct LogWaiters {
    ByOffset waiting;
    // The largest end Notify saw: waiters below it are due.
    store::Offset notified_end{0};
    bool in_due_logs = false;
  };
  using WaiterMap = std::unordered_map<uint64_t, Waiter>;

  // Wait and WaitUntil: parks, or wakes at once.
  bool Park(uint64_t id, const store::Log* log, store::Offset at, const Clock::time_point* deadline, Wake wake)
      EXCLUDES(mu_);
  // Removes a parked waiter from the index and returns its callback.
  Wake Unpark(WaiterMap::iterator it) REQUIRES(mu_);
  // The callback of one due waiter, unparked; empty when none is due
  // (due_logs_ is then empty).
  Wake TakeDue() REQUIRES(mu_);
  // The callback of a waiter whose deadline has passed, unparked; empty
  // when none has.
  Wake TakeExpired(Clock::time_point now) REQUIRES(mu_);
  // Starts the waker if it is not running; false if the thread could not be
  // started.
  bool EnsureWaker() REQUIRES(mu_);
  // The waker's loop: due waiters' callbacks, then expired ones', until
  // shut_down_ and none due; asleep in between, until the next deadline.
  void RunWaker() EXCLUDES(mu_);
  // Runs due callbacks in this thread until none is due.
  void DeliverDueInline() EXCLUDES(mu_);
  // Signals the waker now or, inside a SignalAfterReply of this object, when
  // the scope ends.
  void SignalWaker();

  static thread_local SignalAfterReply* signal_after_reply_;  // this thread's innermost scope

  store::Mutex mu_;
  uint64_t next_id_ GUARDED_BY(mu_) = 1;
  WaiterMap waiters_ GUARDED_BY(mu_);  // reserved and parked
  std::unordered_map<const store::Log*, LogWaiters> by_log_ GUARDED_BY(mu_);  // parked, by log
  // Logs Notify marked due, for the waker. An entry may be stale (its
  // waiters cancelled since) or repeated; the waker skips what is not due.
  std::deque<const store::Log*> due_logs_ GUARDED_BY(mu_);
  ByDeadline deadlines_ GUARDED_BY(mu_);  // parked waiters with a deadline, for the waker
  bool shut_down_ GUARDED_BY(mu_) = false;  // the waker exits once idle
  // Started at the first wake it has to deliver, not in the constructor:
  // the daemon builds the Filesystem before fuse_daemonize forks, and a
  // fork keeps no threads.
  std::thread waker_ GUARDED_BY(mu_);
  // Signalled when due_logs_ grows, when a deadline earlier than any other
  // is parked, and at shutdown.
  store::CondVar waker_cv_;
  store::Mutex shutdown_mu_ ACQUIRED_BEFORE(mu_);  // serialises Shutdown calls
  std::atomic<size_t> parked_{0};           // waiters in by_log_
};

}  // namespace topicfs::fs
