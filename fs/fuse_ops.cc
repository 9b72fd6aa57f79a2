// The libfuse low-level binding: each callback unpacks the request, calls
// Filesystem, and replies. No exception crosses into libfuse: Guard turns
// one into EIO (ENOMEM for bad_alloc) with a log line.

#include "fs/fuse_ops.h"

#include <fcntl.h>
#include <sys/xattr.h>

#include <cstdint>
#include <memory>

#include <new>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "fs/filesystem.h"

namespace topicfs::fs {
namespace {

Filesystem& Fs(fuse_req_t req) { return *static_cast<Filesystem*>(fuse_req_userdata(req)); }

template <typename Fn>
void Guard(fuse_req_t req, const char* op, Fn&& fn) {
  try {
    fn();
  } catch (const std::bad_alloc&) {
    spdlog::error("{}: out of memory", op);
    fuse_reply_err(req, ENOMEM);
  } catch (const std::exception& e) {
    spdlog::error("{}: unexpected exception: {}", op, e.what());
    fuse_reply_err(req, EIO);
  } catch (...) {
    spdlog::error("{}: unexpected exception", op);
    fuse_reply_err(req, EIO);
  }
}

void ReplyEntry(fuse_req_t req, int err, const EntryReply& e) {
  if (err != 0) {
    fuse_reply_err(req, err);
    return;
  }
  fuse_entry_param p{};
  p.ino = e.ino;
  p.attr = e.attr;
  p.attr_timeout = e.attr_timeout;
  p.entry_timeout = e.entry_timeout;
  fuse_reply_entry(req, &p);
}

void OnInit(void* userdata, fuse_conn_info* conn) {
  // The writeback cache would hide O_APPEND and reorder appends
  // (docs/fuse-facts.md); sizes change under the kernel, so no automatic
  // data caching.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;
  if (conn->capable & FUSE_CAP_EXPLICIT_INVAL_DATA) conn->want |= FUSE_CAP_EXPLICIT_INVAL_DATA;
  if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
}

void OnLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "lookup", [&] {
    EntryReply e;
    int err = Fs(req).Lookup(parent, name, &e);
    ReplyEntry(req, err, e);
  });
}

void OnGetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  Guard(req, "getattr", [&] {
    struct stat st {};
    double timeout = 0;
    int err = Fs(req).GetAttr(ino, &st, &timeout);
    if (err != 0) return (void)fuse_reply_err(req, err);
    fuse_reply_attr(req, &st, timeout);
  });
}

void OnSetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  Guard(req, "setattr", [&] {
    struct stat st {};
    int err = Fs(req).SetAttr(ino, to_set, *attr, &st);
    if (err != 0) return (void)fuse_reply_err(req, err);
    fuse_reply_attr(req, &st, 0);
  });
}

void OnMkDir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t) {
  Guard(req, "mkdir", [&] {
    EntryReply e;
    int err = Fs(req).MkDir(parent, name, &e);
    ReplyEntry(req, err, e);
  });
}

void OnRmDir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "rmdir", [&] { fuse_reply_err(req, Fs(req).RmDir(parent, name)); });
}

void OnUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Guard(req, "unlink", [&] { fuse_reply_err(req, Fs(req).RefuseFileChange(parent, name, "unlink")); });
}

void OnRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t, const char*,
              unsigned int) {
  Guard(req, "rename", [&] { fuse_reply_err(req, Fs(req).RefuseFileChange(parent, name, "rename")); });
}

void OnLink(fuse_req_t req, fuse_ino_t, fuse_ino_t parent, const char* name) {
  Guard(req, "link", [&] { fuse_reply_err(req, Fs(req).RefuseFileChange(parent, name, "link")); });
}

void OnSymlink(fuse_req_t req, const char*, fuse_ino_t parent, const char* name) {
  Guard(req, "symlink", [&] { fuse_reply_err(req, Fs(req).RefuseFileChange(parent, name, "symlink")); });
}

void OnMknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, dev_t) {
  Guard(req, "mknod", [&] { fuse_reply_err(req, Fs(req).RefuseFileChange(parent, name, "mknod")); });
}

void OnCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t, fuse_file_info*) {
  Guard(req, "create", [&] { fuse_reply_err(req, Fs(req).RefuseFileChange(parent, name, "create")); });
}

void OnOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "open", [&] {
    uint64_t fh = 0;
    int err = Fs(req).Open(ino, fi->flags, &fh);
    if (err != 0) return (void)fuse_reply_err(req, err);
    fi->fh = fh;
    // Direct I/O: every read and write reaches the daemon, so appends land at
    // the true end whatever offset the kernel passes, sizes are never stale,
    // and a reader past removed records is served per handle.
    fi->direct_io = 1;
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) == -ENOENT) (void)Fs(req).Release(fh);  // interrupted open
  });
}

// INTERRUPT for a parked read (the reader got a signal, say Ctrl-C): its
// waiter is cancelled, which replies EINTR. data is the waiter's id, not a
// pointer, so a wake racing with the interrupt cannot leave it dangling.
void OnReadInterrupted(fuse_req_t req, void* data) {
  Fs(req).followers().Cancel(reinterpret_cast<uintptr_t>(data));
}

// A parked read that was woken without data: cancelled by its reader's
// signal (EINTR), or ended because the daemon is stopping (EOF, so `cat
// 0@end..` exits 0 and closes its file, and a lazy unmount can finish).
void ReplyWokenWithoutData(fuse_req_t req) {
  if (Fs(req).stopping()) return (void)fuse_reply_buf(req, nullptr, 0);
  fuse_reply_err(req, EINTR);
}

// Replies to a read, or parks it when a follow view is at its end: no
// thread waits; when an append brings data, Followers' waker thread calls
// back here and replies.
void ReadOrPark(fuse_req_t req, uint64_t fh, size_t size, off_t off, bool nonblock) {
  Filesystem& fs = Fs(req);
  thread_local std::string buf;
  int err = fs.Read(fh, off, size, &buf);
  if (err == EAGAIN && !nonblock) {
    uint64_t id = fs.followers().Reserve();
    fuse_req_interrupt_func(req, OnReadInterrupted, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
    bool parked = fs.WaitForData(fh, off, id, [req, fh, size, off](bool data_arrived) {
      if (!data_arrived) return ReplyWokenWithoutData(req);
      Guard(req, "read", [&] { ReadOrPark(req, fh, size, off, false); });
    });
    if (!parked) ReplyWokenWithoutData(req);
    return;
  }
  if (err != 0) return (void)fuse_reply_err(req, err);
  fuse_reply_buf(req, buf.data(), buf.size());
}

void OnRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "read", [&] { ReadOrPark(req, fi->fh, size, off, (fi->flags & O_NONBLOCK) != 0); });
}

void OnPoll(fuse_req_t req, fuse_ino_t, fuse_file_info* fi, fuse_pollhandle* ph) {
  Guard(req, "poll", [&] {
    // The handle is destroyed with the last copy of the callback, whether
    // it was called, replaced by a newer poll, or never parked.
    Followers::Wake on_ready;
    if (ph != nullptr) {
      std::shared_ptr<fuse_pollhandle> handle(ph, fuse_pollhandle_destroy);
      // Stopping counts as ready: the poller reads, and gets EOF.
      on_ready = [handle, fs = &Fs(req)](bool data_arrived) {
        if (data_arrived || fs->stopping()) fuse_lowlevel_notify_poll(handle.get());
      };
    }
    unsigned revents = 0;
    int err = Fs(req).Poll(fi->fh, std::move(on_ready), &revents);
    if (err != 0) return (void)fuse_reply_err(req, err);
    fuse_reply_poll(req, revents);
  });
}

void OnForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Fs(req).Forget(ino, nlookup);
  fuse_reply_none(req);
}

void OnForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Fs(req).Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void OnWrite(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t, fuse_file_info* fi) {
  Guard(req, "write", [&] {
    // Followers this append wakes are answered by Followers' waker thread;
    // signalling it waits until the writer has its reply.
    Followers::SignalAfterReply after_reply(Fs(req).followers());
    size_t written = 0;
    int err = Fs(req).Write(fi->fh, std::string_view(data, size), &written);
    if (err != 0) return (void)fuse_reply_err(req, err);
    fuse_reply_write(req, written);
  });
}

// Every close(2): a group view commits here, before close returns, so the
// next open of the group starts after what this one read.
void OnFlush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, "flush", [&] { fuse_reply_err(req, Fs(req).Flush(fi->fh)); });
}

void OnRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Guard(req, "release", [&] { fuse_reply_err(req, Fs(req).Release(fi->fh)); });
}

void OnFsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  Guard(req, "fsync", [&] { fuse_reply_err(req, Fs(req).Fsync(fi->fh)); });
}

void OnOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Guard(req, "opendir", [&] {
    // The listing is taken once per opendir so paging through it with
    // offsets stays consistent while topics come and go.
    auto entries = std::make_unique<std::vector<DirEntry>>();
    int err = Fs(req).ReadDir(ino, entries.get());
    if (err != 0) return (void)fuse_reply_err(req, err);
    fi->fh = reinterpret_cast<uint64_t>(entries.release());
    fuse_reply_open(req, fi);
  });
}

void OnReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  Guard(req, "readdir", [&] {
    const auto& entries = *reinterpret_cast<std::vector<DirEntry>*>(fi->fh);
    std::string buf(size, '\0');
    size_t used = 0;
    for (size_t i = static_cast<size_t>(off); i < entries.size(); ++i) {
      struct stat st {};
      st.st_ino = entries[i].ino;
      st.st_mode = entries[i].mode;
      size_t need = fuse_add_direntry(req, buf.data() + used, size - used, entries[i].name.c_str(),
                                      &st, static_cast<off_t>(i + 1));
      if (need > size - used) break;
      used += need;
    }
    fuse_reply_buf(req, buf.data(), used);
  });
}

void OnReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  delete reinterpret_cast<std::vector<DirEntry>*>(fi->fh);
  fuse_reply_err(req, 0);
}

void OnStatFs(fuse_req_t req, fuse_ino_t) {
  Guard(req, "statfs", [&] {
    struct statvfs st {};
    int err = Fs(req).StatFs(&st);
    if (err != 0) return (void)fuse_reply_err(req, err);
    fuse_reply_statfs(req, &st);
  });
}

void ReplyXattrValue(fuse_req_t req, const std::string& value, size_t size) {
  if (size == 0) {
    fuse_reply_xattr(req, value.size());
  } else if (value.size() > size) {
    fuse_reply_err(req, ERANGE);
  } else {
    fuse_reply_buf(req, value.data(), value.size());
  }
}

void OnGetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Guard(req, "getxattr", [&] {
    std::string value;
    int err = Fs(req).GetXattr(ino, name, &value);
    if (err != 0) return (void)fuse_reply_err(req, err);
    ReplyXattrValue(req, value, size);
  });
}

void OnListXattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Guard(req, "listxattr", [&] {
    std::vector<std::string> names;
    int err = Fs(req).ListXattr(ino, &names);
    if (err != 0) return (void)fuse_reply_err(req, err);
    std::string packed;
    for (const auto& n : names) packed.append(n).push_back('\0');
    ReplyXattrValue(req, packed, size);
  });
}

void OnSetXattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                int) {
  Guard(req, "setxattr", [&] {
    fuse_reply_err(req, Fs(req).SetXattr(ino, name, std::string_view(value, size)));
  });
}

void OnRemoveXattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  Guard(req, "removexattr", [&] { fuse_reply_err(req, Fs(req).RemoveXattr(ino, name)); });
}

}  // namespace

const fuse_lowlevel_ops& FuseOps() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = OnInit;
    o.lookup = OnLookup;
    o.forget = OnForget;
    o.forget_multi = OnForgetMulti;
    o.getattr = OnGetAttr;
    o.setattr = OnSetAttr;
    o.mkdir = OnMkDir;
    o.rmdir = OnRmDir;
    o.unlink = OnUnlink;
    o.rename = OnRename;
    o.link = OnLink;
    o.symlink = OnSymlink;
    o.mknod = OnMknod;
    o.create = OnCreate;
    o.open = OnOpen;
    o.read = OnRead;
    o.poll = OnPoll;
    o.write = OnWrite;
    o.flush = OnFlush;
    o.release = OnRelease;
    o.fsync = OnFsync;
    o.opendir = OnOpenDir;
    o.readdir = OnReadDir;
    o.releasedir = OnReleaseDir;
    o.statfs = OnStatFs;
    o.getxattr = OnGetXattr;
    o.listxattr = OnListXattr;
    o.setxattr = OnSetXattr;
    o.removexattr = OnRemoveXattr;
    return o;
  }();
  return ops;
}

}  // namespace topicfs::fs
