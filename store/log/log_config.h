#pragma once
// A topic's configuration under Kafka's own names and defaults, plus
// topicfs's `partitions` and `key.separator`. Values are kept as overrides
// (name -> text, as a user set them) and resolved against the data
// directory's defaults, which are themselves overrides of Kafka's defaults.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/io/file_io.h"
#include "store/base/status.h"
#include "store/format/codec.h"

namespace topicfs::store {

// Name -> value text, as set by the user. Only names from ConfigNames().
using ConfigOverrides = std::map<std::string, std::string, std::less<>>;

// compression.type: "producer" keeps each batch as its writer sent it
// (the shell's lines: uncompressed); any other value is the codec appends
// are written with.
enum class CompressionType { kProducer, kUncompressed, kGzip, kSnappy, kLz4, kZstd };

struct LogConfig {
  // cleanup.policy: "delete", "compact", "delete,compact" (either order).
  bool cleanup_delete = true;
  bool cleanup_compact = false;
  int64_t retention_ms = 604'800'000;                 // -1 = unlimited
  int64_t retention_bytes = -1;                       // -1 = unlimited
  // The size segments roll at: segment.bytes (Kafka's minimum 1 MiB since
  // 4.0, KIP-1030), or internal.segment.bytes when set: Kafka's test-only
  // override, which is how tests get small segments.
  int32_t segment_bytes = 1'073'741'824;
  int32_t segment_bytes_setting = 1'073'741'824;      // segment.bytes, >= 1 MiB
  int32_t internal_segment_bytes = 0;                 // 0 = unset; else >= one record's batch
  int64_t segment_ms = 604'800'000;                   // >= 1
  int32_t segment_index_bytes = 10'485'760;           // >= 4
  int32_t index_interval_bytes = 4096;                // >= 0
  int32_t max_message_bytes = 1'048'588;              // >= 0
  double min_cleanable_dirty_ratio = 0.5;             // [0, 1]
  int64_t delete_retention_ms = 86'400'000;           // >= 0
  int64_t min_compaction_lag_ms = 0;                  // >= 0, <= max
  int64_t max_compaction_lag_ms = std::numeric_limits<int64_t>::max();  // >= 1
  int64_t file_delete_delay_ms = 60'000;              // >= 0
  int64_t flush_messages = std::numeric_limits<int64_t>::max();  // >= 1
  int64_t flush_ms = std::numeric_limits<int64_t>::max();        // >= 0
  CompressionType compression_type = CompressionType::kProducer;
  int32_t compression_gzip_level = CodecLevels::kGzipDefault;  // 1..9 or -1
  int32_t compression_lz4_level = CodecLevels::kLz4Default;    // 1..17
  int32_t compression_zstd_level = CodecLevels::kZstdDefault;  // -131072..22
  int32_t partitions = 1;                             // >= 1, only grows
  std::string key_separator;                          // empty = lines have no key

  // segment.ms, capped by max.compaction.lag.ms on compacted topics (Kafka's
  // LogConfig.maxSegmentMs) so the active segment rolls in time to be cleaned.
  int64_t MaxSegmentMs() const;
  // The codec, and its level, that batches the store builds are written
  // with: kNone for "producer" and "uncompressed".
  Codec AppendCodec() const;
  int AppendLevel() const;
  // The topic's level for `codec` (a producer's codec need not be the
  // topic's): 0 for kNone and snappy.
  int LevelFor(Codec codec) const;
};

// Every name the config knows, in a stable order (for getfattr -d). Kafka's
// internal (test-only) names are last; IsInternalConfigName tells them.
const std::vector<std::string>& ConfigNames();
bool IsConfigName(std::string_view name);
bool IsInternalConfigName(std::string_view name);

// Checks one name=value pair: kNotFound for an unknown name, kInvalidArgument
// for text that does not parse (or a bad enumeration value), kOutOfRange for a
// number outside the range. The message says which and why.
Status ValidateConfigValue(std::string_view name, std::string_view value);

// Kafka's defaults with `defaults` then `overrides` applied on top. Checks
// every value and the cross-field rule min.compaction.lag.ms <=
// max.compaction.lag.ms (kInvalidArgument).
Result<LogConfig> ResolveConfig(const ConfigOverrides& defaults, const ConfigOverrides& overrides);

// The value of one name in a resolved config, as text (what getfattr shows);
// empty for an internal name that is not set.
std::string ConfigValueText(const LogConfig& config, std::string_view name);

// Java-properties-style persistence: "name=value" lines, '#' comments. Write
// replaces the file atomically (temp file, fsync, rename, fsync directory).
// A missing file reads as no overrides.
Result<ConfigOverrides> ReadConfigFile(const std::string& path, FileIo& io = FileIo::Default());
Status WriteConfigFile(const std::string& path, const ConfigOverrides& overrides,
                       FileIo& io = FileIo::Default());

}  // namespace topicfs::store
