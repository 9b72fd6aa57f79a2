#pragma once
// The locks of the store and the filesystem: std::mutex and
// std::shared_mutex carrying clang's thread-safety annotations
// (store/base/thread_annotations.h), the scoped lockers that hold them, and
// a condition variable that waits on a Mutex. With them clang checks, at
// compile time, that every field marked GUARDED_BY is touched only with its
// lock held and every function marked REQUIRES called only so
// (docs/threading.md).
//
// One header for the lot, header-only: they are thin wrappers, each a few
// inline calls into the standard library, and only make sense together (a
// locker names its lock's capability, the condition variable unlocks a
// Mutex). They behave exactly as the std types they wrap.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <shared_mutex>

#include "store/base/thread_annotations.h"

namespace topicfs::store {

// Passed to a locker whose lock the caller already took (after a TryLock).
struct AdoptLock {
  explicit AdoptLock() = default;
};
inline constexpr AdoptLock kAdoptLock{};

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  // Takes the lock only if it is free; never waits.
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Many readers (shared) or one writer (exclusive).
class CAPABILITY("shared_mutex") SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  void LockShared() ACQUIRE_SHARED() { mu_.lock_shared(); }
  void UnlockShared() RELEASE_SHARED() { mu_.unlock_shared(); }
  // Takes the lock exclusively only if nobody holds it; never waits.
  bool TryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  std::shared_mutex mu_;
};

// Holds a Mutex from construction to destruction, as std::unique_lock:
// Unlock and Lock let it go and take it again within the scope.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  // Takes over a lock the caller holds (TryLock succeeded).
  MutexLock(Mutex* mu, AdoptLock) REQUIRES(mu) : mu_(mu) {}
  ~MutexLock() RELEASE() {
    if (locked_) mu_->Unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void Unlock() RELEASE() {
    mu_->Unlock();
    locked_ = false;
  }
  void Lock() ACQUIRE() {
    mu_->Lock();
    locked_ = true;
  }

 private:
  Mutex* const mu_;
  bool locked_ = true;
};

// Holds a SharedMutex exclusively for its scope (std::unique_lock).
class SCOPED_CAPABILITY WriterLock {
 public:
  explicit WriterLock(SharedMutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  // Takes over a lock the caller holds exclusively (TryLock succeeded).
  WriterLock(SharedMutex* mu, AdoptLock) REQUIRES(mu) : mu_(mu) {}
  ~WriterLock() RELEASE() { mu_->Unlock(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  SharedMutex* const mu_;
};

// Holds a SharedMutex shared for its scope (std::shared_lock): Unlock and
// Lock let it go and take it again, shared, within the scope.
class SCOPED_CAPABILITY ReaderLock {
 public:
  explicit ReaderLock(SharedMutex* mu) ACQUIRE_SHARED(mu) : mu_(mu) { mu_->LockShared(); }
  ~ReaderLock() RELEASE() {
    if (locked_) mu_->UnlockShared();
  }
  ReaderLock(const ReaderLock&) = delete;
  ReaderLock& operator=(const ReaderLock&) = delete;

  void Unlock() RELEASE() {
    mu_->UnlockShared();
    locked_ = false;
  }
  void Lock() ACQUIRE_SHARED() {
    mu_->LockShared();
    locked_ = true;
  }

 private:
  SharedMutex* const mu_;
  bool locked_ = true;
};

// std::condition_variable for a Mutex: a wait releases the lock while it
// sleeps and holds it again when it returns, so it REQUIRES the lock, which
// the caller holds through a MutexLock. Wakes may be spurious, as with
// std::condition_variable; callers re-check their condition.
class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void Wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();  // still held: the caller's locker releases it
  }
  // Waits at most `timeout`.
  template <typename Rep, typename Period>
  void WaitFor(Mutex* mu, const std::chrono::duration<Rep, Period>& timeout) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait_for(lock, timeout);
    lock.release();
  }
  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace topicfs::store
