#pragma once
// The filesystem's operations, without FUSE: topics as directories,
// partitions as append-only files (docs/contract.md is the contract).
// Each method returns 0 or an errno and logs why it failed; fs/fuse_ops.cc
// only unpacks requests and replies. Tests call these methods directly.
//
// Thread safety: every method may be called from any FUSE worker thread.

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_set>
#include <string>
#include <string_view>
#include <vector>

#include "fs/append_rate.h"
#include "fs/followers.h"
#include "fs/node_table.h"
#include "fs/open_file.h"
#include "fs/view_table.h"
#include "store/base/mutex.h"
#include "store/manager/log_manager.h"

namespace topicfs::store {
class GroupOffsets;
}

namespace topicfs::fs {

struct EntryReply {
  uint64_t ino = 0;
  struct stat attr {};
  double attr_timeout = 0;
  double entry_timeout = 0;
};

struct DirEntry {
  std::string name;
  uint64_t ino = 0;
  mode_t mode = 0;
};

class Filesystem {
 public:
  struct Options {
    uid_t uid = 0;  // owner of every node
    gid_t gid = 0;
    // Committed positions of consumer groups (group= views, group xattrs);
    // nullptr: group views fail with ENOENT.
    store::GroupOffsets* groups = nullptr;
  };
  Filesystem(store::LogManager& manager, Options options);

  // ---- namespace ----
  // In a topic, "<p>@<from>[..[<to>]]" names a view (fs/view_spec.h), resolved here.
  int Lookup(uint64_t parent, std::string_view name, EntryReply* out);
  // The kernel dropped nlookup references to ino (only views are counted).
  void Forget(uint64_t ino, uint64_t nlookup);
  int GetAttr(uint64_t ino, struct stat* out, double* attr_timeout);
  // Only time changes are accepted (touch); sizes, modes and owners: EPERM.
  int SetAttr(uint64_t ino, int to_set, const struct stat& attr, struct stat* out);
  int ReadDir(uint64_t ino, std::vector<DirEntry>* out);
  int MkDir(uint64_t parent, std::string_view name, EntryReply* out);
  int RmDir(uint64_t parent, std::string_view name);
  // Creating, unlinking, renaming or linking files: EPERM, as on an
  // append-only file (ENOENT when the parent does not exist).
  int RefuseFileChange(uint64_t parent, std::string_view name, const char* op);
  int StatFs(struct statvfs* out);

  // ---- files ----
  // O_WRONLY/O_RDWR without O_APPEND, and O_TRUNC: EPERM. Returns a handle.
  int Open(uint64_t ino, int flags, uint64_t* fh);
  // Reads presented bytes at the position (see OpenFile for sequential
  // readers past removed records). out is resized to what was read. At the
  // end of a follow view it returns EAGAIN: the caller parks the read with
  // WaitForData (or returns EAGAIN to an O_NONBLOCK reader).
  int Read(uint64_t fh, int64_t position, size_t size, std::string* out);
  // Parks a read that returned EAGAIN until data arrives past `position`
  // (wake(true)), or until followers().Cancel(id) or shutdown (wake(false)).
  // id comes from followers().Reserve(). False if cancelled before parking.
  bool WaitForData(uint64_t fh, int64_t position, uint64_t id, Followers::Wake wake);
  // poll(2): readable unless a follow view is at its end; then on_ready is
  // parked (replacing the handle's earlier one) and called when data comes.
  int Poll(uint64_t fh, Followers::Wake on_ready, unsigned* revents);
  // Every close(2) of the file, which waits for the answer (RELEASE's
  // reaches no one): a group view commits what it has returned; a writer's
  // held partial line is checked, and what its append at the last close
  // would refuse is returned (EMSGSIZE, EINVAL, EIO, ENOENT), the line kept
  // held for the descriptors still open. EMSGSIZE while the rest of a
  // refused line is being refused.
  int Flush(uint64_t fh);
  // Appends whole lines at the end whatever the position; holds a partial
  // line until its newline. Nothing of a refused write is appended. A write
  // that leaves an unfinished line no record can hold is refused (EMSGSIZE),
  // and so are the writes that go on with that line, up to and including
  // the one holding its newline; the same after a line refused at its
  // newline that began in an earlier write (a short count's retry sends its
  // rest again). After an EMSGSIZE the held line is dropped.
  int Write(uint64_t fh, std::string_view data, size_t* written);
  int Fsync(uint64_t fh);
  // The last close of the handle: a held partial line becomes a record
  // (a failure is logged; the kernel drops RELEASE's answer).
  int Release(uint64_t fh) EXCLUDES(handles_mu_);
  // Releases every handle still open (at unmount the kernel's releases may
  // not all have arrived), so no held partial line is lost.
  void ReleaseAll() EXCLUDES(handles_mu_);

  // ---- xattrs (fs/xattrs.cc) ----
  int GetXattr(uint64_t ino, std::string_view name, std::string* value);
  int ListXattr(uint64_t ino, std::vector<std::string>* names);
  int SetXattr(uint64_t ino, std::string_view name, std::string_view value);
  int RemoveXattr(uint64_t ino, std::string_view name);

  static OpenFile* Handle(uint64_t fh) { return reinterpret_cast<OpenFile*>(fh); }
  Followers& followers() { return followers_; }
  // The daemon is stopping (an unmount, SIGTERM, a lazy unmount): parked
  // follow reads end with EOF, and so do later reads at a follow view's end,
  // so followers (`cat 0@end..`) exit and close their files.
  void Shutdown();
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // Handles of follow views still open: the daemon, stopping, lets their
  // readers close them (FLUSH, RELEASE need the loop) before it ends it.
  size_t OpenFollowViews() EXCLUDES(handles_mu_);

 private:
  int Stat(const Node& node, uint64_t ino, struct stat* out);
  int AppendLines(OpenFile& file, std::string_view data) REQUIRES(file.mu);
  // Refusals of unfinished lines (rules in filesystem.cc).
  int RefuseUnfinishedLine(OpenFile& file, size_t write_bytes, const store::Status& why)
      REQUIRES(file.mu);
  int RefuseRestOfLine(OpenFile& file, std::string_view data) REQUIRES(file.mu);
  bool RefusedLineBeganEarlier(const OpenFile& file, std::string_view data) REQUIRES(file.mu);
  void KeepRecordsLeft(OpenFile& file, std::string* out, store::ReadResult* r) REQUIRES(file.mu);
  // The errno of a failed append or check: ENOENT when the partition was
  // deleted (its log is fenced too, but gone rather than failing).
  int AppendErrno(const OpenFile& file, const store::Status& status);
  // fs/views.cc
  int LookupView(const Node& topic, std::string_view name, EntryReply* out);
  int StatView(const View& view, uint64_t ino, struct stat* out);
  int OpenView(const View& view, int flags, uint64_t* fh);
  store::Result<store::Offset> ResolveBound(const ViewBound& bound, const store::Log& log,
                                            const store::TopicPartition& tp);
  int CommitGroupPosition(OpenFile& file) REQUIRES(file.mu);
  // fs/xattrs.cc: user.topicfs.group.<name> on a partition.
  int GetGroupXattr(const Node& node, std::string_view group, std::string* value);
  int SetGroupXattr(const Node& node, std::string_view group, std::string_view value);
  int RemoveGroupXattr(const Node& node, std::string_view group);
  // fs/status.cc: user.topicfs.status.* on the root, read-only.
  static bool IsStatusName(std::string_view name);
  std::vector<std::string> StatusNames();
  std::optional<std::string> StatusValue(std::string_view name);
  int AddOpenFile(std::unique_ptr<OpenFile> file, uint64_t* fh) EXCLUDES(handles_mu_);

  store::LogManager& manager_;
  const Options options_;
  NodeTable nodes_;
  ViewTable views_;
  Followers followers_;
  const int64_t mount_time_ms_;
  AppendRate append_rate_;
  std::atomic<bool> stopping_{false};
  store::Mutex handles_mu_;
  std::unordered_set<OpenFile*> handles_ GUARDED_BY(handles_mu_);
};

}  // namespace topicfs::fs
