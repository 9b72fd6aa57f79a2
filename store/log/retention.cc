#include "store/log/retention.h"

#include <algorithm>
#include <functional>

namespace topicfs::store {
namespace {

// The length of the prefix of segments for which deletable(i) holds, never
// counting an empty last segment.
size_t DeletablePrefix(std::span<const SegmentSummary> segments,
                       const std::function<bool(size_t)>& deletable) {
  size_t n = 0;
  for (; n < segments.size(); ++n) {
    bool last = n + 1 == segments.size();
    if (last && segments[n].size_bytes == 0) break;
    if (!deletable(n)) break;
  }
  return n;
}

}  // namespace

RetentionPlan PlanRetention(std::span<const SegmentSummary> segments, const LogConfig& config,
                            Timestamp now, Offset log_start_offset) {
  RetentionPlan plan;
  auto take = [&](size_t count, const char* reason) {
    if (count > plan.delete_count) {
      plan.delete_count = count;
      plan.reason = reason;
    }
  };
  take(DeletablePrefix(segments,
                       [&](size_t i) {
                         return i + 1 < segments.size() &&
                                segments[i + 1].base_offset <= log_start_offset;
                       }),
       "log start offset");
  if (config.cleanup_delete) {
    if (config.retention_bytes >= 0) {
      int64_t total = 0;
      for (const auto& s : segments) total += s.size_bytes;
      int64_t diff = total - config.retention_bytes;
      take(DeletablePrefix(segments,
                           [&](size_t i) {
                             if (diff - segments[i].size_bytes < 0) return false;
                             diff -= segments[i].size_bytes;
                             return true;
                           }),
           "retention.bytes");
    }
    if (config.retention_ms >= 0) {
      take(DeletablePrefix(segments,
                           [&](size_t i) {
                             return now - segments[i].largest_timestamp > config.retention_ms;
                           }),
           "retention.ms");
    }
  }
  plan.roll_first = plan.delete_count > 0 && plan.delete_count == segments.size();
  return plan;
}

}  // namespace topicfs::store
