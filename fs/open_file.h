#pragma once
// The state of one open partition file or view (one FUSE file handle): the
// partial line a writer has not finished yet, where a sequential reader is,
// and for a view the range it shows and the group it commits for.
//
// Thread safety: mu guards the fields below it; those above are set at open.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "store/base/mutex.h"
#include "store/log/log.h"

namespace topicfs::fs {

struct OpenFile {
  std::shared_ptr<store::Log> log;
  std::string topic;
  int32_t partition = 0;
  bool writable = false;
  // Views: position 0 is log offset view_start; reads stop at view_end
  // (exclusive) when set; a follow view's reads at the end wait for data.
  // The partition file itself is the view of everything (start 0, no end).
  store::Offset view_start;
  std::optional<store::Offset> view_end;
  bool follow = false;
  std::string group;  // a group= view commits for this group
  std::string name;   // "<topic>/<p>" or "<topic>/<p>@...", for logs

  store::Mutex mu;
  // Bytes written after the last "\n": a record once its newline arrives or
  // the file is released.
  std::string partial GUARDED_BY(mu);
  // Set when a line was refused before its newline came (it had grown past
  // what any record holds), or at its newline when it began in an earlier
  // write (a writer retrying a short count sends its rest again): its held
  // bytes were dropped, and the writes that go on with it are refused too,
  // up to and including the one holding a newline, so that no fragment of
  // it ever becomes a record. A close meanwhile reports EMSGSIZE.
  bool refusing_line GUARDED_BY(mu) = false;
  // Sequential reads: the kernel position the next read is expected at, and
  // the log offset it continues from. They differ once a read skipped
  // removed records, so a reader going on sees survivors back to back.
  int64_t next_file_position GUARDED_BY(mu) = -1;
  store::Offset next_log_offset GUARDED_BY(mu);
  // Where in the log that read stopped, so the next one need not decode its
  // batch from the start again.
  store::ReadCursor cursor GUARDED_BY(mu);
  // Group views: the offset after the last whole record returned, and what
  // was last committed.
  store::Offset consumed GUARDED_BY(mu);
  store::Offset committed GUARDED_BY(mu);
  uint64_t poll_wait GUARDED_BY(mu) = 0;  // Followers id of a parked poll, 0 if none
  // `group=<name>,max=N` views: the records still to return (then EOF); -1
  // without a limit.
  int64_t records_left GUARDED_BY(mu) = -1;
};

}  // namespace topicfs::fs
