#pragma once
// Clang's thread-safety attributes (-Wthread-safety), as macros: a lock is
// a capability, a field names the lock that guards it, a function the locks
// it needs held, takes or must not be called with. Clang checks every access
// and call against them at compile time; other compilers see nothing (the
// macros are empty), so the annotations cost nothing at run time.
//
// The lock types that carry them are in store/base/mutex.h; the rules they
// state, and the order in which locks are taken, in docs/threading.md.
//
// Reference: https://clang.llvm.org/docs/ThreadSafetyAnalysis.html

#if defined(__clang__)
#define TOPICFS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define TOPICFS_THREAD_ANNOTATION(x)
#endif

// ---- on types -------------------------------------------------------------

// The class is a lock ("mutex", "shared_mutex": the name shows in messages).
#define CAPABILITY(name) TOPICFS_THREAD_ANNOTATION(capability(name))
// The class holds a lock for its scope (an RAII locker): constructing it
// acquires, destroying it releases what it still holds.
#define SCOPED_CAPABILITY TOPICFS_THREAD_ANNOTATION(scoped_lockable)

// ---- on fields ------------------------------------------------------------

// Reading the field needs the lock held (shared is enough), writing it
// exclusively.
#define GUARDED_BY(lock) TOPICFS_THREAD_ANNOTATION(guarded_by(lock))
// The same for what the pointer (or smart pointer) field points to.
#define PT_GUARDED_BY(lock) TOPICFS_THREAD_ANNOTATION(pt_guarded_by(lock))
// Lock order between locks of one class: taking them the other way round
// is a warning (clang's -Wthread-safety-beta, on in the build). The whole
// order, across classes, is in docs/threading.md.
#define ACQUIRED_BEFORE(...) TOPICFS_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) TOPICFS_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))

// ---- on functions ---------------------------------------------------------

// The caller must hold the locks exclusively / at least shared.
#define REQUIRES(...) TOPICFS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) TOPICFS_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
// The function takes the locks and returns holding them (no argument on a
// lock's own method or a locker's constructor: the object itself).
#define ACQUIRE(...) TOPICFS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ACQUIRE_SHARED(...) TOPICFS_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
// The function releases locks the caller held.
#define RELEASE(...) TOPICFS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RELEASE_SHARED(...) TOPICFS_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
// Releases the lock whichever way it is held (a locker's destructor).
#define RELEASE_GENERIC(...) TOPICFS_THREAD_ANNOTATION(release_generic_capability(__VA_ARGS__))
// The function tries to take the locks; it holds them when it returns
// `success` (true or false).
#define TRY_ACQUIRE(...) TOPICFS_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define TRY_ACQUIRE_SHARED(...) TOPICFS_THREAD_ANNOTATION(try_acquire_shared_capability(__VA_ARGS__))
// The caller must not hold the locks: the function takes them itself, and
// holding one already would deadlock.
#define EXCLUDES(...) TOPICFS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// Tells the analysis, without checking at run time, that the lock is held.
#define ASSERT_CAPABILITY(x) TOPICFS_THREAD_ANNOTATION(assert_capability(x))
#define ASSERT_SHARED_CAPABILITY(x) TOPICFS_THREAD_ANNOTATION(assert_shared_capability(x))
// The function returns a reference to the lock (an accessor).
#define RETURN_CAPABILITY(x) TOPICFS_THREAD_ANNOTATION(lock_returned(x))
// Turns the analysis off for the function's body (its own REQUIRES and
// EXCLUDES still bind its callers). Only where the analysis cannot follow
// the code, with a comment saying why: docs/threading.md lists every use.
#define NO_THREAD_SAFETY_ANALYSIS TOPICFS_THREAD_ANNOTATION(no_thread_safety_analysis)
