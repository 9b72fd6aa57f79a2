#include "kafka/broker/delayed_fetches.h"

namespace topicfs::kafka {

DelayedFetches::DelayedFetches() : thread_([this] { Run(); }) {}

DelayedFetches::~DelayedFetches() { Stop(); }

void DelayedFetches::Park(Clock::time_point deadline, Attempt attempt) {
  {
    store::MutexLock lock(&mu_);
    if (!stopping_) {
      waiting_.push_back({deadline, std::move(attempt)});
      return;
    }
  }
  attempt(/*expired=*/true);
}

void DelayedFetches::Poke() {
  {
    store::MutexLock lock(&mu_);
    poked_ = true;
  }
  cv_.Signal();
}

void DelayedFetches::Stop() {
  {
    store::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.Signal();
  if (thread_.joinable()) thread_.join();
}

void DelayedFetches::Run() {
  for (;;) {
    std::list<Waiting> batch;
    bool stop;
    {
      store::MutexLock lock(&mu_);
      if (!poked_ && !stopping_) cv_.WaitFor(&mu_, std::chrono::milliseconds(kRecheckMs));
      poked_ = false;
      stop = stopping_;
      batch.swap(waiting_);
    }
    // The attempts run without the lock: they read the store and complete
    // responders, and a completing one may park nothing but must not wait on us.
    const auto now = Clock::now();
    for (auto it = batch.begin(); it != batch.end();) {
      const bool expired = stop || now >= it->deadline;
      if (it->attempt(expired) || expired) {
        it = batch.erase(it);
      } else {
        ++it;
      }
    }
    if (stop) return;
    store::MutexLock lock(&mu_);
    waiting_.splice(waiting_.begin(), batch);
  }
}

}  // namespace topicfs::kafka
