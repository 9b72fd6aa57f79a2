// passthrough_dio [-f] [-o opts] [--timeout=SEC] BACKING_DIR MOUNTPOINT
//
// The baseline for bench/fs_bench.py: the smallest honest FUSE filesystem
// with topicfs's data path. It mirrors one backing directory on libfuse3's
// low-level API, opens every file with direct_io (one READ/WRITE per
// read(2)/write(2), no page cache), copies reads with pread into a buffer
// and replies with fuse_reply_buf, writes with pwrite, and runs the
// multithreaded loop. A write on an O_APPEND handle lands at the backing
// file's true end: the backing fd is opened with O_APPEND, on which Linux's
// pwrite ignores the offset (the kernel's O_APPEND offset is its cached
// i_size, which direct_io never refreshes; docs/fuse-facts.md, "O_APPEND
// offsets").
//
// Written for the benchmark, not for production: no xattrs, links, renames,
// locks or special files. Inodes are backing (st_dev, st_ino) pairs held
// through O_PATH descriptors and counted with lookup/forget.

#define FUSE_USE_VERSION 312

#include <dirent.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Inode {
  int fd = -1;  // O_PATH
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t nlookup = 0;  // guarded by Fs::mu
};

struct Fs {
  Inode root;
  double timeout = 0.0;  // attr and entry timeout, like passthrough_ll's cache=never
  std::mutex mu;
  std::map<std::pair<dev_t, ino_t>, Inode*> inodes;  // guarded by mu
};

Fs& Get(fuse_req_t req) { return *static_cast<Fs*>(fuse_req_userdata(req)); }

Inode& In(fuse_req_t req, fuse_ino_t ino) {
  if (ino == FUSE_ROOT_ID) return Get(req).root;
  return *reinterpret_cast<Inode*>(ino);
}

std::string ProcPath(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

// topicfs prefers 512 KiB I/O on its partitions (fs/filesystem.cc), and
// tools such as cat size their requests by st_blksize: report the same, so
// both filesystems get requests of the same size and the ratios compare
// like with like.
constexpr blksize_t kBlockSize = 512 * 1024;

int StatOf(int fd, struct stat* st) {
  if (fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0) return errno;
  if (S_ISREG(st->st_mode)) st->st_blksize = kBlockSize;
  return 0;
}

int StatOf(const Inode& inode, struct stat* st) { return StatOf(inode.fd, st); }

// Finds or makes the Inode of parent/name and counts one lookup for it.
int DoLookup(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_entry_param* e) {
  Fs& fs = Get(req);
  *e = {};
  e->attr_timeout = fs.timeout;
  e->entry_timeout = fs.timeout;
  int fd = openat(In(req, parent).fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno;
  if (int err = StatOf(fd, &e->attr); err != 0) {
    close(fd);
    return err;
  }
  std::lock_guard lock(fs.mu);
  auto key = std::make_pair(e->attr.st_dev, e->attr.st_ino);
  Inode*& slot = fs.inodes[key];
  if (slot != nullptr) {
    close(fd);  // known inode: keep its first descriptor
  } else {
    slot = new Inode{fd, key.first, key.second, 0};
  }
  ++slot->nlookup;
  e->ino = reinterpret_cast<fuse_ino_t>(slot);
  return 0;
}

void Forget(Fs& fs, fuse_ino_t ino, uint64_t n) {
  if (ino == FUSE_ROOT_ID) return;
  auto* inode = reinterpret_cast<Inode*>(ino);
  std::lock_guard lock(fs.mu);
  inode->nlookup -= std::min(n, inode->nlookup);
  if (inode->nlookup > 0) return;
  fs.inodes.erase({inode->dev, inode->ino});
  close(inode->fd);
  delete inode;
}

void OnInit(void*, fuse_conn_info* conn) {
  // Writes must reach the daemon with O_APPEND intact: no writeback cache.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

void OnLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_entry_param e;
  int err = DoLookup(req, parent, name, &e);
  if (err != 0) return (void)fuse_reply_err(req, err);
  fuse_reply_entry(req, &e);
}

void OnForget(fuse_req_t req, fuse_ino_t ino, uint64_t n) {
  Forget(Get(req), ino, n);
  fuse_reply_none(req);
}

void OnForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Forget(Get(req), forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void OnGetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st;
  int err = StatOf(In(req, ino), &st);
  if (err != 0) return (void)fuse_reply_err(req, err);
  fuse_reply_attr(req, &st, Get(req).timeout);
}

void OnSetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  Inode& inode = In(req, ino);
  std::string path = ProcPath(inode.fd);
  if (to_set & FUSE_SET_ATTR_SIZE) {
    int rc = fi != nullptr ? ftruncate(static_cast<int>(fi->fh), attr->st_size)
                           : truncate(path.c_str(), attr->st_size);
    if (rc != 0) return (void)fuse_reply_err(req, errno);
  }
  if (to_set & (FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME)) {
    struct timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    if (to_set & FUSE_SET_ATTR_ATIME_NOW) times[0].tv_nsec = UTIME_NOW;
    else if (to_set & FUSE_SET_ATTR_ATIME) times[0] = attr->st_atim;
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) times[1].tv_nsec = UTIME_NOW;
    else if (to_set & FUSE_SET_ATTR_MTIME) times[1] = attr->st_mtim;
    int rc = fi != nullptr ? futimens(static_cast<int>(fi->fh), times)
                           : utimensat(AT_FDCWD, path.c_str(), times, 0);
    if (rc != 0) return (void)fuse_reply_err(req, errno);
  }
  OnGetAttr(req, ino, fi);
}

struct Dir {
  DIR* dir = nullptr;
  off_t offset = 0;  // the telldir() cookie the next readdir continues from
};

void OnOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  int fd = openat(In(req, ino).fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return (void)fuse_reply_err(req, errno);
  DIR* dir = fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    close(fd);
    return (void)fuse_reply_err(req, err);
  }
  fi->fh = reinterpret_cast<uint64_t>(new Dir{dir, 0});
  fuse_reply_open(req, fi);
}

void OnReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  auto* d = reinterpret_cast<Dir*>(fi->fh);
  if (off != d->offset) {
    seekdir(d->dir, off);
    d->offset = off;
  }
  std::vector<char> buf(size);
  size_t used = 0;
  for (;;) {
    errno = 0;
    dirent* ent = readdir(d->dir);
    if (ent == nullptr) {
      if (errno != 0 && used == 0) return (void)fuse_reply_err(req, errno);
      break;
    }
    struct stat st {};
    st.st_ino = ent->d_ino;
    st.st_mode = static_cast<mode_t>(DTTOIF(ent->d_type));
    size_t need = fuse_add_direntry(req, buf.data() + used, size - used, ent->d_name, &st, ent->d_off);
    if (need > size - used) {
      seekdir(d->dir, d->offset);  // this entry goes in the next reply
      break;
    }
    used += need;
    d->offset = ent->d_off;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void OnReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  auto* d = reinterpret_cast<Dir*>(fi->fh);
  closedir(d->dir);
  delete d;
  fuse_reply_err(req, 0);
}

// The open flags the backing fd gets: the caller's, O_APPEND included, minus
// the ones that only make sense on the first open.
int BackingFlags(int flags) { return (flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC)) | O_CLOEXEC; }

void OnOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  int flags = BackingFlags(fi->flags) | (fi->flags & O_TRUNC);
  int fd = open(ProcPath(In(req, ino).fd).c_str(), flags);
  if (fd < 0) return (void)fuse_reply_err(req, errno);
  fi->fh = static_cast<uint64_t>(fd);
  fi->direct_io = 1;
  if (fuse_reply_open(req, fi) == -ENOENT) close(fd);  // interrupted
}

void OnCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  int fd = openat(In(req, parent).fd, name, BackingFlags(fi->flags) | O_CREAT | (fi->flags & (O_EXCL | O_TRUNC)),
                  mode);
  if (fd < 0) return (void)fuse_reply_err(req, errno);
  fuse_entry_param e;
  int err = DoLookup(req, parent, name, &e);
  if (err != 0) {
    close(fd);
    return (void)fuse_reply_err(req, err);
  }
  fi->fh = static_cast<uint64_t>(fd);
  fi->direct_io = 1;
  if (fuse_reply_create(req, &e, fi) == -ENOENT) {
    close(fd);
    Forget(Get(req), e.ino, 1);
  }
}

void OnRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  thread_local std::vector<char> buf;
  if (buf.size() < size) buf.resize(size);
  ssize_t n = pread(static_cast<int>(fi->fh), buf.data(), size, off);
  if (n < 0) return (void)fuse_reply_err(req, errno);
  fuse_reply_buf(req, buf.data(), static_cast<size_t>(n));
}

void OnWrite(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off, fuse_file_info* fi) {
  // On an O_APPEND fd Linux's pwrite appends at the end and ignores off.
  ssize_t n = pwrite(static_cast<int>(fi->fh), data, size, off);
  if (n < 0) return (void)fuse_reply_err(req, errno);
  fuse_reply_write(req, static_cast<size_t>(n));
}

void OnFlush(fuse_req_t req, fuse_ino_t, fuse_file_info*) { fuse_reply_err(req, 0); }

void OnRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  close(static_cast<int>(fi->fh));
  fuse_reply_err(req, 0);
}

void OnFsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  int fd = static_cast<int>(fi->fh);
  int rc = datasync ? fdatasync(fd) : fsync(fd);
  fuse_reply_err(req, rc == 0 ? 0 : errno);
}

void OnStatFs(fuse_req_t req, fuse_ino_t ino) {
  struct statvfs st;
  if (fstatvfs(In(req, ino).fd, &st) != 0) return (void)fuse_reply_err(req, errno);
  fuse_reply_statfs(req, &st);
}

void OnUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_reply_err(req, unlinkat(In(req, parent).fd, name, 0) == 0 ? 0 : errno);
}

struct Args {
  char* backing = nullptr;
  double timeout = 0.0;
};

const fuse_opt kOptions[] = {{"--timeout=%lf", offsetof(Args, timeout), 0}, FUSE_OPT_END};

// The first non-option argument is the backing directory; the second, the
// mount point, is left for fuse_parse_cmdline.
int TakeBacking(void* data, const char* arg, int key, fuse_args*) {
  auto* args = static_cast<Args*>(data);
  if (key != FUSE_OPT_KEY_NONOPT || args->backing != nullptr) return 1;
  args->backing = strdup(arg);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  fuse_args fargs = FUSE_ARGS_INIT(argc, argv);
  Args args;
  if (fuse_opt_parse(&fargs, &args, kOptions, TakeBacking) != 0) return 2;
  fuse_cmdline_opts opts{};
  if (fuse_parse_cmdline(&fargs, &opts) != 0) return 2;
  if (opts.show_help || args.backing == nullptr || opts.mountpoint == nullptr) {
    std::printf("usage: %s [-f] [-o opts] [--timeout=SEC] BACKING_DIR MOUNTPOINT\n", argv[0]);
    if (opts.show_help) fuse_lowlevel_help();
    return opts.show_help ? 0 : 2;
  }
  Fs fs;
  fs.timeout = args.timeout;
  fs.root.fd = open(args.backing, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fs.root.fd < 0) {
    std::fprintf(stderr, "%s: %s: %s\n", argv[0], args.backing, std::strerror(errno));
    return 1;
  }
  fuse_lowlevel_ops ops{};
  ops.init = OnInit;
  ops.lookup = OnLookup;
  ops.forget = OnForget;
  ops.forget_multi = OnForgetMulti;
  ops.getattr = OnGetAttr;
  ops.setattr = OnSetAttr;
  ops.opendir = OnOpenDir;
  ops.readdir = OnReadDir;
  ops.releasedir = OnReleaseDir;
  ops.open = OnOpen;
  ops.create = OnCreate;
  ops.read = OnRead;
  ops.write = OnWrite;
  ops.flush = OnFlush;
  ops.release = OnRelease;
  ops.fsync = OnFsync;
  ops.statfs = OnStatFs;
  ops.unlink = OnUnlink;

  int rc = 1;
  fuse_session* se = fuse_session_new(&fargs, &ops, sizeof(ops), &fs);
  if (se != nullptr) {
    if (fuse_set_signal_handlers(se) == 0) {
      if (fuse_session_mount(se, opts.mountpoint) == 0) {
        fuse_daemonize(opts.foreground);
        if (opts.singlethread) {
          rc = fuse_session_loop(se);
        } else {
          fuse_loop_config* config = fuse_loop_cfg_create();
          fuse_loop_cfg_set_clone_fd(config, static_cast<unsigned int>(opts.clone_fd));
          fuse_loop_cfg_set_max_threads(config, 10);  // libfuse's default, as topicfs uses
          rc = fuse_session_loop_mt(se, config);
          fuse_loop_cfg_destroy(config);
        }
        fuse_session_unmount(se);
      }
      fuse_remove_signal_handlers(se);
    }
    fuse_session_destroy(se);
  }
  fuse_opt_free_args(&fargs);
  free(opts.mountpoint);
  free(args.backing);
  close(fs.root.fd);
  return rc == 0 ? 0 : 1;
}
