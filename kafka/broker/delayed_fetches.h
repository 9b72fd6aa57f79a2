#pragma once
// Fetches waiting for data (Kafka's DelayedFetch): a Fetch that found fewer
// than min_bytes waits here until enough arrives or max_wait_ms passes.
// Each waiting fetch is an attempt that re-reads its partitions and
// completes its responder when it has enough (returning true), or, once
// expired, with whatever there is.
//
// Wakes: Poke() (the broker's own Produce) re-tries every waiting fetch at
// once. An append through the mount (`echo >>`) does not poke, for the
// store has no append observer yet: the waiter re-tries every kRecheckMs,
// so such a fetch is answered up to that late.
//
// Thread safety: Park and Poke from any thread; attempts run on the
// waiter's own thread; Stop once, from the owner.

#include <chrono>
#include <functional>
#include <list>
#include <thread>

#include "store/base/mutex.h"

namespace topicfs::kafka {

class DelayedFetches {
 public:
  // How often waiting fetches look for data that came another way.
  static constexpr int kRecheckMs = 20;
  using Clock = std::chrono::steady_clock;
  // expired: the last call; it must complete the request.
  using Attempt = std::function<bool(bool expired)>;

  DelayedFetches();
  ~DelayedFetches();
  DelayedFetches(const DelayedFetches&) = delete;
  DelayedFetches& operator=(const DelayedFetches&) = delete;

  void Park(Clock::time_point deadline, Attempt attempt) EXCLUDES(mu_);
  void Poke() EXCLUDES(mu_);
  // Completes every waiting fetch as expired and ends the thread.
  void Stop() EXCLUDES(mu_);

 private:
  struct Waiting {
    Clock::time_point deadline;
    Attempt attempt;
  };
  void Run() EXCLUDES(mu_);

  store::Mutex mu_;
  store::CondVar cv_;
  std::list<Waiting> waiting_ GUARDED_BY(mu_);
  bool poked_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace topicfs::kafka
