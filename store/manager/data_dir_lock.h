#pragma once
// The locks a process holds on a data directory while it may change it:
// the daemon (LogManager) for as long as it serves it, `topicfs
// export-kafka` while it copies from it. Two locks: an flock on the
// directory itself, which nothing can unlink from under its holder, and
// Kafka's .lock file holding the holder's pid, flock()ed and record-locked
// over the whole file, which is the lock a Kafka broker takes (Java's
// FileChannel.tryLock is fcntl F_SETLK), so neither topicfs nor a broker
// opens a directory the other holds.

#include <string>
#include <vector>

#include "store/base/status.h"
#include "store/io/file_io.h"

namespace topicfs::store {

// Move-only; released when destroyed. Not thread-safe: one owner.
class DataDirLock {
 public:
  DataDirLock() = default;
  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock() { Release(); }

  // Takes both locks on an existing directory and writes our pid into
  // .lock. kBusy, naming the holder's pid when .lock shows it, if another
  // process (a daemon, an export, a broker) holds either. What is locked
  // less than fully without stopping (a .lock that cannot be opened, a
  // filesystem without record locks) is appended to *warnings. A refusal
  // holds nothing. `io` must outlive the lock.
  static Result<DataDirLock> Acquire(const std::string& data_dir, FileIo& io,
                                     std::vector<std::string>* warnings);

  // Writes this process's pid into .lock again: after a fork (the daemon
  // detaching) the lock is the child's, and the pid written at Acquire was
  // its parent's.
  Status RecordOwner();
  void Release();
  bool held() const { return dir_lock_fd_ >= 0; }

 private:
  std::string data_dir_;
  FileIo* io_ = nullptr;
  int lock_fd_ = -1;      // .lock, flock()ed and record-locked (F_OFD_SETLK), holding our pid
  int dir_lock_fd_ = -1;  // the data directory, flock()ed
};

// Takes the lock a Kafka broker takes on `path` (its log directory's
// .lock): a write record lock over the whole file, open-file-description
// owned so that it conflicts with the broker's classic one and with
// topicfs's. A stopped broker has removed its .lock: then it is created,
// and removed again at Release, as the broker does. kBusy when a broker
// (or topicfs) holds it.
class BrokerRecordLock {
 public:
  BrokerRecordLock() = default;
  BrokerRecordLock(BrokerRecordLock&& other) noexcept;
  BrokerRecordLock& operator=(BrokerRecordLock&&) = delete;
  BrokerRecordLock(const BrokerRecordLock&) = delete;
  ~BrokerRecordLock() { Release(); }

  static Result<BrokerRecordLock> Acquire(const std::string& path, FileIo& io);
  void Release();

 private:
  std::string path_;
  FileIo* io_ = nullptr;
  int fd_ = -1;
  bool created_ = false;
};

}  // namespace topicfs::store
