#include "fs/filesystem.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "fs/errno_map.h"
#include "store/manager/group_offsets.h"
#include "store/format/topic_name.h"

namespace topicfs::fs {
namespace {

// Names are stable, so lookups may be cached; partition attributes change
// with every append, so the kernel asks again on every stat.
constexpr double kEntryTimeout = 1.0;
constexpr double kDirAttrTimeout = 1.0;
constexpr double kFileAttrTimeout = 0.0;

// A partition's st_blksize, the I/O size it prefers: cat, cp and grep size
// their reads and writes by it (cat: the larger of it and 128 KiB). Each
// FUSE request is a round trip to the daemon, and a write becomes one batch,
// so larger requests amortise both. Against 128 and 256 KiB, 512 KiB was the
// fastest for cat >> and cat (docs/fs-benchmark.md); at 1 MiB a write and
// its encoded batch no longer fit a core's L2 and appends slow down, and a
// batch would pass the default max.message.bytes.
constexpr blksize_t kPartitionBlockSize = 512 * 1024;

void FillTime(struct timespec* ts, int64_t ms) {
  ts->tv_sec = ms / 1000;
  ts->tv_nsec = (ms % 1000) * 1'000'000;
}

}  // namespace

Filesystem::Filesystem(store::LogManager& manager, Options options)
    : manager_(manager),
      options_(options),
      mount_time_ms_(manager.clock().Now().value),
      append_rate_(manager.clock()) {}

int Filesystem::Stat(const Node& node, uint64_t ino, struct stat* out) {
  *out = {};
  out->st_ino = ino;
  out->st_uid = options_.uid;
  out->st_gid = options_.gid;
  out->st_blksize = 4096;
  FillTime(&out->st_atim, mount_time_ms_);
  FillTime(&out->st_mtim, mount_time_ms_);
  FillTime(&out->st_ctim, mount_time_ms_);
  switch (node.kind) {
    case Node::Kind::kRoot:
      out->st_mode = S_IFDIR | 0755;
      out->st_nlink = 2 + manager_.ListTopics().size();
      return 0;
    case Node::Kind::kTopic: {
      auto count = manager_.PartitionCount(node.topic);
      if (!count.ok()) return ENOENT;
      out->st_mode = S_IFDIR | (store::IsInternalTopic(node.topic) ? 0555 : 0755);
      out->st_nlink = 2;
      return 0;
    }
    case Node::Kind::kPartition: {
      auto log = manager_.GetLog(node.topic, node.partition);
      if (log == nullptr) return ENOENT;
      // Its size is not known: saying 0 would be a lie a reader acts on.
      if (!log->offline().ok()) {
        spdlog::warn("stat {}/{}: {}: EIO", node.topic, node.partition, log->offline().message());
        return EIO;
      }
      store::LogFigures figures = log->Figures();
      out->st_mode = S_IFREG | (store::IsInternalTopic(node.topic) ? 0444 : 0644);
      out->st_nlink = 1;
      out->st_blksize = kPartitionBlockSize;
      out->st_size = figures.log_end_offset.value;
      out->st_blocks = (figures.size_bytes + 511) / 512;
      int64_t mtime = log->last_modified_ms();
      FillTime(&out->st_mtim, mtime);
      FillTime(&out->st_ctim, mtime);
      return 0;
    }
  }
  return ENOENT;
}

int Filesystem::Lookup(uint64_t parent, std::string_view name, EntryReply* out) {
  auto node = nodes_.Find(parent);
  if (!node) return ENOENT;
  Node child;
  uint64_t ino = 0;
  if (node->kind == Node::Kind::kRoot) {
    if (!manager_.TopicExists(name)) return ENOENT;
    child = Node{Node::Kind::kTopic, std::string(name), -1};
    ino = nodes_.TopicIno(name);
  } else if (node->kind == Node::Kind::kTopic) {
    if (IsViewName(name)) return LookupView(*node, name, out);
    auto p = ParsePartitionName(name);
    if (!p || manager_.GetLog(node->topic, *p) == nullptr) return ENOENT;
    child = Node{Node::Kind::kPartition, node->topic, *p};
    ino = nodes_.PartitionIno(node->topic, *p);
  } else {
    return ENOTDIR;
  }
  out->ino = ino;
  out->entry_timeout = kEntryTimeout;
  out->attr_timeout = child.kind == Node::Kind::kPartition ? kFileAttrTimeout : kDirAttrTimeout;
  return Stat(child, ino, &out->attr);
}

void Filesystem::Forget(uint64_t ino, uint64_t nlookup) {
  if (IsViewIno(ino)) views_.Forget(ino, nlookup);
}

int Filesystem::GetAttr(uint64_t ino, struct stat* out, double* attr_timeout) {
  if (IsViewIno(ino)) {
    auto view = views_.Find(ino);
    if (view == nullptr) return ENOENT;
    *attr_timeout = kFileAttrTimeout;
    return StatView(*view, ino, out);
  }
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  *attr_timeout = node->kind == Node::Kind::kPartition ? kFileAttrTimeout : kDirAttrTimeout;
  return Stat(*node, ino, out);
}

int Filesystem::SetAttr(uint64_t ino, int to_set, const struct stat& attr, struct stat* out) {
  if (IsViewIno(ino)) {
    spdlog::info("setattr on a view: views are read-only: EPERM");
    return views_.Find(ino) == nullptr ? ENOENT : EPERM;
  }
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  // FUSE_SET_ATTR_* bits for atime/mtime (and their _NOW forms) are the only
  // changes allowed: touch must work on a partition.
  constexpr int kTimes = (1 << 4) | (1 << 5) | (1 << 7) | (1 << 8);
  if ((to_set & ~kTimes) != 0) {
    spdlog::info("setattr on {}: only times may change (to_set=0x{:x}): EPERM",
                 node->kind == Node::Kind::kPartition ? node->topic + "/" + std::to_string(node->partition)
                                                      : node->topic,
                 to_set);
    return EPERM;
  }
  double ignored;
  return GetAttr(ino, out, &ignored);
}

int Filesystem::ReadDir(uint64_t ino, std::vector<DirEntry>* out) {
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  out->clear();
  out->push_back({".", ino, S_IFDIR});
  out->push_back({"..", kRootIno, S_IFDIR});
  if (node->kind == Node::Kind::kRoot) {
    for (const auto& topic : manager_.ListTopics()) {
      out->push_back({topic, nodes_.TopicIno(topic), S_IFDIR});
    }
    return 0;
  }
  if (node->kind != Node::Kind::kTopic) return ENOTDIR;
  auto count = manager_.PartitionCount(node->topic);
  if (!count.ok()) return ENOENT;
  for (int32_t p = 0; p < *count; ++p) {
    out->push_back({std::to_string(p), nodes_.PartitionIno(node->topic, p), S_IFREG});
  }
  return 0;
}

int Filesystem::MkDir(uint64_t parent, std::string_view name, EntryReply* out) {
  auto node = nodes_.Find(parent);
  if (!node) return ENOENT;
  if (node->kind != Node::Kind::kRoot) {
    spdlog::info("mkdir {}/{}: topics hold partitions, not directories: EPERM", node->topic, name);
    return EPERM;
  }
  if (store::IsInternalTopic(name)) {
    spdlog::info("mkdir {}: names starting with '__' are internal topics: EPERM", name);
    return EPERM;
  }
  store::Status s = manager_.CreateTopic(name);
  if (!s.ok()) {
    spdlog::warn("mkdir {}: {}", name, s.ToString());
    return ToErrno(s);
  }
  spdlog::info("created topic {}", name);
  return Lookup(parent, name, out);
}

int Filesystem::RmDir(uint64_t parent, std::string_view name) {
  auto node = nodes_.Find(parent);
  if (!node) return ENOENT;
  if (node->kind != Node::Kind::kRoot) return ENOTDIR;
  if (!manager_.TopicExists(name)) return ENOENT;
  if (store::IsInternalTopic(name)) {
    spdlog::info("rmdir {}: internal topics are read-only: EPERM", name);
    return EPERM;
  }
  std::vector<std::shared_ptr<store::Log>> logs;
  auto count = manager_.PartitionCount(name);
  for (int32_t p = 0; count.ok() && p < *count; ++p) logs.push_back(manager_.GetLog(name, p));
  store::Status s = manager_.DeleteTopic(name);
  if (!s.ok()) {
    spdlog::warn("rmdir {}: {}", name, s.ToString());
    return ToErrno(s);
  }
  nodes_.RemoveTopic(name);
  if (options_.groups != nullptr) {
    // As Kafka: a deleted topic's committed positions go with it, so a topic
    // created again under the name starts fresh. GroupOffsets::Open finishes
    // this if the daemon stops in between.
    store::Status forgot = options_.groups->ForgetTopic(name);
    if (!forgot.ok()) spdlog::warn("rmdir {}: forgetting its group positions: {}", name, forgot.ToString());
  }
  // Followers of its partitions wake up to find them gone (ENOENT).
  for (const auto& log : logs) {
    if (log != nullptr) followers_.WakeAll(log.get());
  }
  spdlog::info("deleted topic {}", name);
  return 0;
}

int Filesystem::RefuseFileChange(uint64_t parent, std::string_view name, const char* op) {
  auto node = nodes_.Find(parent);
  if (!node) return ENOENT;
  spdlog::info("{} {}/{}: partitions are append-only files: EPERM", op, node->topic, name);
  return EPERM;
}

int Filesystem::StatFs(struct statvfs* out) {
  if (::statvfs(manager_.data_dir().c_str(), out) != 0) {
    int e = errno;
    spdlog::warn("statfs {}: {}", manager_.data_dir(), store::Status::ErrnoName(e));
    return e;
  }
  out->f_namemax = store::kMaxTopicNameLength;
  return 0;
}

int Filesystem::Open(uint64_t ino, int flags, uint64_t* fh) {
  if (IsViewIno(ino)) {
    auto view = views_.Find(ino);
    if (view == nullptr) return ENOENT;
    return OpenView(*view, flags, fh);
  }
  auto node = nodes_.Find(ino);
  if (!node) return ENOENT;
  if (node->kind != Node::Kind::kPartition) return EISDIR;
  std::string name = node->topic + "/" + std::to_string(node->partition);
  const int access = flags & O_ACCMODE;
  const bool writes = access == O_WRONLY || access == O_RDWR;
  if (writes && store::IsInternalTopic(node->topic)) {
    spdlog::info("open {} for writing: internal topics are read-only: EPERM", name);
    return EPERM;
  }
  if ((flags & O_TRUNC) != 0 || (writes && (flags & O_APPEND) == 0)) {
    spdlog::info("open {}: partitions are append-only, {}: EPERM", name,
                 (flags & O_TRUNC) != 0 ? "O_TRUNC refused" : "writing needs O_APPEND (use >>)");
    return EPERM;
  }
  auto log = manager_.GetLog(node->topic, node->partition);
  if (log == nullptr) return ENOENT;
  if (!log->offline().ok()) {
    spdlog::warn("open {}: {}: EIO", name, log->offline().message());
    return EIO;
  }
  if (writes && log->read_only()) {
    spdlog::warn("open {} for writing: its topic's config could not be read (see the log at mount): EROFS",
                 name);
    return EROFS;
  }
  auto file = std::make_unique<OpenFile>();
  file->log = std::move(log);
  file->topic = node->topic;
  file->partition = node->partition;
  file->writable = writes;
  file->name = std::move(name);
  spdlog::debug("open {} for {}", file->name, writes ? "appending" : "reading");
  return AddOpenFile(std::move(file), fh);
}

int Filesystem::AddOpenFile(std::unique_ptr<OpenFile> file, uint64_t* fh) {
  store::MutexLock lock(&handles_mu_);
  handles_.insert(file.get());
  *fh = reinterpret_cast<uint64_t>(file.release());
  return 0;
}

// REQUIRES: file.mu. The log offset a read at the file position starts
// from: where the last read stopped if it continues it, else the view's
// start + the position.
static store::Offset ReadOffset(const OpenFile& file, int64_t position) REQUIRES(file.mu) {
  if (position == file.next_file_position) return file.next_log_offset;
  return store::Offset(file.view_start.value + position);
}

int Filesystem::Read(uint64_t fh, int64_t position, size_t size, std::string* out) {
  OpenFile& file = *Handle(fh);
  store::MutexLock lock(&file.mu);
  const store::Offset at = ReadOffset(file, position);
  if (file.records_left == 0) {  // a max=N group view has returned its N
    out->clear();
    return 0;
  }
  int64_t max = static_cast<int64_t>(size);
  if (file.view_end) max = std::clamp<int64_t>(file.view_end->value - at.value, 0, max);
  // A read returns at most the bytes up to the log end (offsets are byte
  // positions), so the buffer is sized by that: a follower woken for one
  // line does not zero-fill a 128 KiB request first, on the waker thread.
  const int64_t fill = std::clamp<int64_t>(file.log->log_end_offset().value - at.value, 0, max);
  out->resize(static_cast<size_t>(fill));
  auto r = file.log->Read(at, out->data(), fill, &file.cursor);
  if (!r.ok()) {
    spdlog::error("read {} at {}: {}", file.name, position, r.status().ToString());
    out->clear();
    return ToErrno(r.status());
  }
  out->resize(static_cast<size_t>(r->bytes));
  if (file.records_left > 0) KeepRecordsLeft(file, out, &r.value());
  if (r->bytes == 0) {
    // A deleted partition's log has no segments left, so it reads as empty:
    // say it is gone rather than end a reader's stream mid-line at a false EOF.
    if (manager_.GetLog(file.topic, file.partition) != file.log) {
      spdlog::info("read {} at {}: the partition was deleted: ENOENT", file.name, position);
      return ENOENT;
    }
    // Once stopping, the end of a follow view is the end: EOF.
    return file.follow && max > 0 && !stopping() ? EAGAIN : 0;
  }
  file.next_file_position = position + r->bytes;
  file.next_log_offset = r->next;
  if (!file.group.empty()) {
    // The position after the last whole record returned: a record ends at
    // its "\n", and only the tail after the last one can be partial.
    size_t last_newline = out->rfind('\n');
    if (last_newline != std::string::npos) {
      file.consumed = store::Offset(r->next.value - (r->bytes - static_cast<int64_t>(last_newline) - 1));
    }
  }
  return 0;
}

// REQUIRES: file.mu. Cuts what a read returned after the records a
// max=N group view has left, so that it returns, and commits, N records
// and not the read-ahead a reader such as `head -n 5` would never use.
void Filesystem::KeepRecordsLeft(OpenFile& file, std::string* out, store::ReadResult* r) {
  size_t at = 0;
  while (file.records_left > 0) {
    const size_t newline = out->find('\n', at);
    if (newline == std::string::npos) return;  // a partial record: read again next time
    at = newline + 1;
    --file.records_left;
  }
  const int64_t dropped = static_cast<int64_t>(out->size() - at);
  out->resize(at);
  r->bytes -= dropped;
  r->next = store::Offset(r->next.value - dropped);
}

bool Filesystem::WaitForData(uint64_t fh, int64_t position, uint64_t id, Followers::Wake wake) {
  OpenFile& file = *Handle(fh);
  store::Offset at;
  {
    store::MutexLock lock(&file.mu);
    at = ReadOffset(file, position);
  }
  return followers_.Wait(id, file.log.get(), at, std::move(wake));
}

int Filesystem::Poll(uint64_t fh, Followers::Wake on_ready, unsigned* revents) {
  OpenFile& file = *Handle(fh);
  const unsigned writable = file.writable ? POLLOUT | POLLWRNORM : 0;
  store::Offset at;
  uint64_t earlier = 0;
  {
    store::MutexLock lock(&file.mu);
    at = file.next_file_position < 0 ? file.view_start : file.next_log_offset;
    earlier = std::exchange(file.poll_wait, 0);
  }
  if (earlier != 0) followers_.Cancel(earlier);
  // Only a follow view waiting at its end has nothing to read; elsewhere a
  // read returns at once, data or EOF, as on a regular file.
  const unsigned readable = POLLIN | POLLRDNORM;
  if (!file.follow || file.log->log_end_offset() > at || stopping()) {
    *revents = readable | writable;
    return 0;
  }
  *revents = writable;
  if (!on_ready) return 0;  // the kernel asked for no notification
  uint64_t id = followers_.Reserve();
  {
    store::MutexLock lock(&file.mu);
    file.poll_wait = id;
  }
  if (!followers_.Wait(id, file.log.get(), at, std::move(on_ready))) *revents |= readable;
  return 0;
}

int Filesystem::Flush(uint64_t fh) {
  OpenFile& file = *Handle(fh);
  if (!file.group.empty()) {
    store::MutexLock lock(&file.mu);
    return CommitGroupPosition(file);
  }
  if (!file.writable) return 0;
  store::MutexLock lock(&file.mu);
  if (file.refusing_line) {
    spdlog::warn("close {}: its last line was refused (it outgrew max.message.bytes) and its newline "
                 "has not come yet; nothing of it is appended: EMSGSIZE",
                 file.name);
    return EMSGSIZE;
  }
  if (file.partial.empty()) return 0;
  // The held line is appended at the last close (RELEASE), whose error
  // reaches no one; close(2) waits for FLUSH, so what that append would
  // refuse is said here. The line stays held: a descriptor sharing the open
  // file (a parent shell's, after a child's close) may still finish it.
  store::Status s = file.log->CheckLine(file.partial);
  if (s.ok()) return 0;
  spdlog::warn("close {}: the unfinished last line ({} bytes) cannot be appended as it stands: {}",
               file.name, file.partial.size(), s.ToString());
  return AppendErrno(file, s);
}

size_t Filesystem::OpenFollowViews() {
  store::MutexLock lock(&handles_mu_);
  size_t n = 0;
  for (const OpenFile* file : handles_) n += file->follow ? 1 : 0;
  return n;
}

void Filesystem::Shutdown() {
  stopping_.store(true, std::memory_order_release);
  followers_.Shutdown();
}

int Filesystem::Write(uint64_t fh, std::string_view data, size_t* written) {
  OpenFile& file = *Handle(fh);
  if (!file.writable) return EBADF;
  int err;
  {
    store::MutexLock lock(&file.mu);
    err = AppendLines(file, data);
  }
  if (err == 0) *written = data.size();
  followers_.Notify(file.log.get());
  return err;
}

// REQUIRES: file.mu. Appends the whole lines of partial + data in one call
// and keeps what follows the last newline. All or nothing: a refused write
// appends none of its lines. An EMSGSIZE also drops the held line, which
// the refused write went on with, and the write's own unfinished tail, so
// that none of their bytes ends up in a record later; other errors (a full
// disk, a fenced or deleted partition) leave the held line as it was, so a
// write tried again continues it.
int Filesystem::AppendLines(OpenFile& file, std::string_view data) {
  if (file.refusing_line) return RefuseRestOfLine(file, data);
  const size_t last_newline = data.rfind('\n');
  if (last_newline == std::string_view::npos) {
    file.partial.append(data);
    store::Status fits = file.log->CheckUnfinishedLine(file.partial);
    if (!fits.ok()) return RefuseUnfinishedLine(file, data.size(), fits);
    return 0;
  }
  // A line that begins here and can never be a record refuses the write
  // now, with the lines before it: write(2) then fails with EMSGSIZE rather
  // than return a short count that ends mid-line (the kernel sends a large
  // write(2) as 1 MiB pieces and reports the pieces that succeeded).
  const std::string_view tail = data.substr(last_newline + 1);
  if (!tail.empty()) {
    store::Status fits = file.log->CheckUnfinishedLine(tail);
    if (!fits.ok()) return RefuseUnfinishedLine(file, data.size(), fits);
  }
  // The store finds the lines; the first continues what earlier writes
  // left unfinished.
  auto r = file.log->AppendText(file.partial, data.substr(0, last_newline + 1));
  if (!r.ok()) {
    const bool too_large = r.status().code() == store::Code::kRecordTooLarge;
    spdlog::warn("write {} ({} bytes of lines): {}{}", file.name, file.partial.size() + last_newline + 1,
                 r.status().ToString(),
                 too_large ? "; nothing of the write is appended, and the line it continued "
                             "and the unfinished line it ends with are dropped"
                           : "");
    if (too_large) {
      if (RefusedLineBeganEarlier(file, data)) {
        // This write may be a later piece of a write(2) over 1 MiB whose
        // first piece, holding the line's start, was appended: the kernel
        // then returns a short count, and the writer (stdio, Python's
        // buffered files) sends the rest of the line again. Refuse that
        // too, up to its newline, rather than append it as a line.
        spdlog::warn("write {}: the refused line began in an earlier write; the next write is "
                     "refused up to its newline, in case it sends the line's rest again",
                     file.name);
        file.refusing_line = true;
      }
      file.partial.clear();
      file.partial.shrink_to_fit();
    }
    return AppendErrno(file, r.status());
  }
  spdlog::debug("append {}: {} records in {} batches at {}..{}", file.name, r->records, r->batches,
                r->first_offset.value, r->end_offset.value);
  append_rate_.Record(static_cast<int64_t>(file.partial.size() + last_newline + 1));
  file.partial.assign(tail);
  return 0;
}

// REQUIRES: file.mu, and AppendText refused partial + data as too large.
// Whether the line refused is the first, which began in an earlier write.
bool Filesystem::RefusedLineBeganEarlier(const OpenFile& file, std::string_view data) {
  if (file.partial.empty()) return false;
  // The append validates lines in order and judged every one: if the first
  // is too large, it is the one (a rare error path, so the copy is fine).
  std::string first = file.partial;
  first.append(data.substr(0, data.find('\n')));
  return file.log->CheckLine(first).code() == store::Code::kRecordTooLarge;
}

// REQUIRES: file.mu. The unfinished line this write of write_bytes would
// leave held can never be a record (why says how large it is): the write is
// refused, the held bytes dropped, and the writes that go on with the line
// are refused up to its newline (RefuseRestOfLine).
int Filesystem::RefuseUnfinishedLine(OpenFile& file, size_t write_bytes, const store::Status& why) {
  spdlog::warn("write {} ({} bytes): {}; nothing of the write is appended, the unfinished line is "
               "dropped and the writes that continue it are refused up to its newline: EMSGSIZE",
               file.name, write_bytes, why.message());
  file.partial.clear();
  file.partial.shrink_to_fit();  // it may hold a mebibyte
  file.refusing_line = true;
  return ToErrno(why);
}

// REQUIRES: file.mu, file.refusing_line. A write going on with a refused
// line is refused; so is the one that holds its newline, whatever follows
// the newline in it (nothing of a refused write is appended), and the next
// write starts a new line.
int Filesystem::RefuseRestOfLine(OpenFile& file, std::string_view data) {
  const size_t newline = data.find('\n');
  if (newline == std::string_view::npos) {
    spdlog::warn("write {} ({} bytes): more of a line refused as too long (over max.message.bytes); "
                 "refused up to its newline: EMSGSIZE",
                 file.name, data.size());
    return EMSGSIZE;
  }
  file.refusing_line = false;
  spdlog::warn("write {} ({} bytes): it ends a line refused as too long (over max.message.bytes) "
               "and is refused with it; the next write starts a new line: EMSGSIZE",
               file.name, data.size());
  return EMSGSIZE;
}

int Filesystem::AppendErrno(const OpenFile& file, const store::Status& status) {
  if (manager_.GetLog(file.topic, file.partition) != file.log) {
    spdlog::info("{}: the partition was deleted: ENOENT", file.name);
    return ENOENT;
  }
  return ToErrno(status);
}

int Filesystem::Fsync(uint64_t fh) {
  OpenFile& file = *Handle(fh);
  store::Status s = file.log->Flush();
  if (!s.ok()) {
    spdlog::error("fsync {}/{}: {}", file.topic, file.partition, s.ToString());
    return ToErrno(s);
  }
  return 0;
}

void Filesystem::ReleaseAll() {
  followers_.Shutdown();
  std::vector<OpenFile*> open;
  {
    store::MutexLock lock(&handles_mu_);
    open.assign(handles_.begin(), handles_.end());
  }
  if (!open.empty()) spdlog::info("releasing {} files still open at unmount", open.size());
  for (OpenFile* file : open) (void)Release(reinterpret_cast<uint64_t>(file));
}

int Filesystem::Release(uint64_t fh) {
  std::unique_ptr<OpenFile> file(Handle(fh));
  {
    store::MutexLock lock(&handles_mu_);
    handles_.erase(file.get());
  }
  store::MutexLock lock(&file->mu);
  if (file->poll_wait != 0) followers_.Cancel(std::exchange(file->poll_wait, 0));
  if (!file->group.empty()) return CommitGroupPosition(*file);
  if (file->refusing_line) {
    spdlog::warn("release {}: closed before the newline of a line refused as too long; nothing of "
                 "it was appended",
                 file->name);
    return EMSGSIZE;
  }
  if (file->partial.empty()) return 0;
  std::string_view line = file->partial;
  auto r = file->log->Append({&line, 1});
  lock.Unlock();
  if (!r.ok()) {
    spdlog::error("release {}: the unfinished last line ({} bytes) could not be appended: {}",
                  file->name, line.size(), r.status().ToString());
    return AppendErrno(*file, r.status());
  }
  followers_.Notify(file->log.get());
  return 0;
}

}  // namespace topicfs::fs
