#pragma once
// The state of one open partition file (one FUSE file handle): the partial
// line a writer has not finished yet, and where a sequential reader is.
//
// Thread safety: mu guards every field but log, which is set at open.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "store/log.h"

namespace topicfs::fs {

struct OpenFile {
  std::shared_ptr<store::Log> log;
  std::string topic;
  int32_t partition = 0;
  bool writable = false;

  std::mutex mu;
  // Bytes written after the last "\n": a record once its newline arrives or
  // the file is released.
  std::string partial;
  // Sequential reads: the kernel position the next read is expected at, and
  // the log offset it continues from. They differ once a read skipped
  // removed records, so a reader going on sees survivors back to back.
  int64_t next_file_position = -1;
  store::Offset next_log_offset;
};

}  // namespace topicfs::fs
