// Views: `<p>@<from>[..[<to>]]` in a topic directory (docs/contract.md, "Views"). The
// name is resolved to log offsets at lookup (group= views again at open,
// since the group may have moved since), and the open file reads the
// partition from there like the partition file itself does.

#include <fcntl.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "fs/errno_map.h"
#include "fs/filesystem.h"
#include "store/manager/group_offsets.h"

namespace topicfs::fs {
namespace {

// A view names a range fixed at lookup, so the kernel must ask again for
// every open rather than reuse an old resolution.
constexpr double kViewTimeout = 0.0;

}  // namespace

store::Result<store::Offset> Filesystem::ResolveBound(const ViewBound& bound, const store::Log& log,
                                                      const store::TopicPartition& tp) {
  using Kind = ViewBound::Kind;
  switch (bound.kind) {
    case Kind::kOffset:
      return log.FirstRecordAtOrAfter(store::Offset(bound.value));
    case Kind::kLastRecords:
      return log.OffsetOfNthRecordFromEnd(bound.value);
    case Kind::kTime: {
      ASSIGN_OR_RETURN(auto found, log.OffsetForTimestamp(store::Timestamp(bound.value)));
      return found ? *found : log.log_end_offset();
    }
    case Kind::kEnd:
      return log.log_end_offset();
    case Kind::kGroup: {
      if (options_.groups == nullptr) {
        return store::Status::Unsupported("consumer groups are not enabled on this mount");
      }
      // No commit yet: from the log start, as auto.offset.reset=earliest.
      // A committed record that is gone: the next surviving one.
      auto committed = options_.groups->Committed(bound.group, tp);
      return log.FirstRecordAtOrAfter(committed.value_or(log.log_start_offset()));
    }
  }
  return store::Status::InvalidArgument("unknown bound");
}

int Filesystem::LookupView(const Node& topic, std::string_view name, EntryReply* out) {
  const std::string full_name = topic.topic + "/" + std::string(name);
  auto spec = ParseViewName(name, manager_.clock().Now().value);
  if (!spec.ok()) {
    spdlog::info("lookup {}: not a view: {}: ENOENT", full_name, spec.status().message());
    return ENOENT;
  }
  auto log = manager_.GetLog(topic.topic, spec->partition);
  if (log == nullptr) {
    spdlog::info("lookup {}: no partition {} in topic {}: ENOENT", full_name, spec->partition,
                 topic.topic);
    return ENOENT;
  }
  auto view = std::make_shared<View>();
  view->name = full_name;
  view->topic = topic.topic;
  view->partition = spec->partition;
  view->spec = std::move(spec).value();
  const store::TopicPartition tp{view->topic, view->partition};
  // A bound that does not resolve is no such view (ENOENT), but a store
  // that cannot read the partition (damage, an I/O error, an offline
  // partition) says so with its own errno.
  auto unresolved = [&](const store::Status& why) {
    const bool no_such_view = why.code() == store::Code::kInvalidArgument || why.code() == store::Code::kNotFound;
    const int err = no_such_view ? ENOENT : ToErrno(why);
    spdlog::warn("lookup {}: {}: {}", full_name, why.ToString(), store::Status::ErrnoName(err));
    return err;
  };
  auto start = ResolveBound(view->spec.from, *log, tp);
  if (!start.ok()) return unresolved(start.status());
  view->start = *start;
  if (view->spec.to) {
    auto end = ResolveBound(*view->spec.to, *log, tp);
    if (!end.ok()) return unresolved(end.status());
    view->end = std::max(*end, *start);
  }
  spdlog::debug("view {}: offsets {}..{}{}", full_name, view->start.value,
                view->end ? std::to_string(view->end->value) : "end",
                view->spec.follow ? ", following" : "");
  const uint64_t ino = views_.Add(view);
  out->ino = ino;
  out->entry_timeout = kViewTimeout;
  out->attr_timeout = kViewTimeout;
  int err = StatView(*view, ino, &out->attr);
  if (err != 0) views_.Forget(ino, 1);
  return err;
}

int Filesystem::StatView(const View& view, uint64_t ino, struct stat* out) {
  const Node partition{Node::Kind::kPartition, view.topic, view.partition};
  int err = Stat(partition, ino, out);
  if (err != 0) return err;
  // Position 0 is the view's first record; it grows with the log up to its end.
  int64_t end = out->st_size;
  if (view.end) end = std::min(end, view.end->value);
  out->st_size = std::max<int64_t>(0, end - view.start.value);
  out->st_mode = S_IFREG | 0444;
  return 0;
}

int Filesystem::OpenView(const View& view, int flags, uint64_t* fh) {
  if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0) {
    spdlog::info("open {} for writing: views are read-only: EPERM", view.name);
    return EPERM;
  }
  auto log = manager_.GetLog(view.topic, view.partition);
  if (log == nullptr) return ENOENT;
  auto file = std::make_unique<OpenFile>();
  file->topic = view.topic;
  file->partition = view.partition;
  file->name = view.name;
  file->view_start = view.start;
  file->view_end = view.end;
  file->follow = view.spec.follow;
  if (view.spec.from.kind == ViewBound::Kind::kGroup) {
    // Where the group is now, not where it was when the name was looked up.
    auto start = ResolveBound(view.spec.from, *log, {view.topic, view.partition});
    if (!start.ok()) {
      spdlog::warn("open {}: {}", view.name, start.status().ToString());
      return ToErrno(start.status());
    }
    file->view_start = *start;
    if (file->view_end) file->view_end = std::max(*file->view_end, *start);
    file->group = view.spec.from.group;
    store::MutexLock lock(&file->mu);  // not shared yet: taken as file->mu guards these
    file->consumed = *start;
    file->committed = *start;
    if (view.spec.from.max_records > 0) file->records_left = view.spec.from.max_records;
  }
  file->log = std::move(log);
  return AddOpenFile(std::move(file), fh);
}

// REQUIRES: file.mu. Commits the position after the last whole record the
// file returned, if it moved.
int Filesystem::CommitGroupPosition(OpenFile& file) {
  if (file.consumed == file.committed || options_.groups == nullptr) return 0;
  store::Status s = options_.groups->Commit(file.group, {file.topic, file.partition}, file.consumed);
  if (!s.ok()) {
    spdlog::error("{}: committing group {} at {}: {}", file.name, file.group, file.consumed.value,
                  s.ToString());
    return ToErrno(s);
  }
  spdlog::debug("{}: group {} committed {}", file.name, file.group, file.consumed.value);
  file.committed = file.consumed;
  return 0;
}

}  // namespace topicfs::fs
