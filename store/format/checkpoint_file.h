#pragma once
// Kafka's offset checkpoint files (recovery-point-offset-checkpoint,
// log-start-offset-checkpoint, cleaner-offset-checkpoint): a version line
// "0", an entry-count line, then "topic partition offset" lines. Written
// atomically. docs/format.md shows an example.

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "store/io/file_io.h"
#include "store/base/status.h"
#include "store/base/types.h"
#include "store/format/topic_name.h"

namespace topicfs::store {


using OffsetMap = std::map<TopicPartition, Offset>;

// A missing or empty file reads as an empty map. A wrong version, a malformed
// line or a count that does not match the entries is kCorruption.
Result<OffsetMap> ReadCheckpointFile(const std::string& path, FileIo& io = FileIo::Default());
Status WriteCheckpointFile(const std::string& path, const OffsetMap& offsets,
                           FileIo& io = FileIo::Default());

}  // namespace topicfs::store
