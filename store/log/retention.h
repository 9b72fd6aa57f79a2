#pragma once
// Which old segments retention deletes: a pure function of segment
// metadata, the config, the clock and the log start, as Kafka's
// UnifiedLog.deleteOldSegments decides it (docs/cleanup.md).
//
// Only a prefix of the log is ever deleted. A segment goes when
//   - the next segment starts at or below the log start offset (always), or,
//     with cleanup.policy containing "delete":
//   - its newest record is older than retention.ms, or
//   - the log stays at least retention.bytes without it (oldest first).
// The walk stops at the first segment that stays. The last segment goes only
// if it is not empty, and then the log rolls first so one segment remains.

#include <cstdint>
#include <span>
#include <string>

#include "store/log/log_config.h"
#include "store/base/types.h"

namespace topicfs::store {

struct SegmentSummary {
  Offset base_offset;
  Offset next_offset;           // where the next segment would start
  int64_t size_bytes = 0;
  Timestamp largest_timestamp;  // newest record (or the file's mtime)
};

struct RetentionPlan {
  size_t delete_count = 0;  // oldest segments to delete
  bool roll_first = false;  // every segment goes: roll so one remains
  std::string reason;       // "retention.ms", "retention.bytes", "log start offset"
};

// segments: oldest first; the last one is the active segment.
RetentionPlan PlanRetention(std::span<const SegmentSummary> segments, const LogConfig& config,
                            Timestamp now, Offset log_start_offset);

}  // namespace topicfs::store
