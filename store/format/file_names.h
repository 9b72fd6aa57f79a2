#pragma once
// Every file name the store writes is built and parsed here (docs/format.md,
// "Files").

#include <optional>
#include <string>
#include <string_view>

#include "store/base/types.h"
#include "store/format/topic_name.h"

namespace topicfs::store {

inline constexpr std::string_view kLogSuffix = ".log";
inline constexpr std::string_view kIndexSuffix = ".index";
inline constexpr std::string_view kTimeIndexSuffix = ".timeindex";
inline constexpr std::string_view kTxnIndexSuffix = ".txnindex";
inline constexpr std::string_view kSnapshotSuffix = ".snapshot";
// State suffixes, appended after the file's own suffix.
inline constexpr std::string_view kDeletedSuffix = ".deleted";
inline constexpr std::string_view kCleanedSuffix = ".cleaned";
inline constexpr std::string_view kSwapSuffix = ".swap";
// A segment that could not be read, renamed aside for a person to look at.
inline constexpr std::string_view kUnreadableSuffix = ".unreadable";
// A .log being rewritten without a damaged range (LogSegment::Recover);
// removed at the next load if a crash left it.
inline constexpr std::string_view kRepairSuffix = ".repair";
// Bytes recovery cut out of a .log, kept for a person to look at:
// <base>.log.<position>.corrupt (a second cut at the same position gets
// <position>-2, -3, ...). Nothing reads them back; Kafka ignores them too.
inline constexpr std::string_view kCorruptSuffix = ".corrupt";

// The store's own files: regular files at the data directory's root, beside
// the partition directories. A Kafka broker loads every directory of its
// log directory as a partition (and stops at one that is not named like
// one) but reads no file there except its own, so these travel with a
// data directory handed to a broker (docs/graduate.md).
inline constexpr std::string_view kDefaultsFile = "topicfs-defaults.properties";
// A topic's config is <topic>.conf: 249 + 5 characters fit a file name, no
// partition directory's name ends so (theirs end in -<digits>), nor does
// kDefaultsFile's, so no topic's file can be another file of the store.
inline constexpr std::string_view kTopicConfigSuffix = ".conf";

// The layout before (configs under .topicfs/), read once to move them.
inline constexpr std::string_view kOldMetaDir = ".topicfs";
inline constexpr std::string_view kOldTopicsDir = ".topicfs/topics";
inline constexpr std::string_view kOldDefaultsFile = ".topicfs/defaults.properties";
inline constexpr std::string_view kOldTopicConfigFile = "config.properties";
inline constexpr std::string_view kOldDeletingMarker = "deleting";

inline constexpr std::string_view kRecoveryPointCheckpoint = "recovery-point-offset-checkpoint";
inline constexpr std::string_view kLogStartOffsetCheckpoint = "log-start-offset-checkpoint";
inline constexpr std::string_view kCleanerOffsetCheckpoint = "cleaner-offset-checkpoint";
inline constexpr std::string_view kCleanShutdownFile = ".kafka_cleanshutdown";
inline constexpr std::string_view kLockFile = ".lock";

// The base offset zero-padded to 20 digits: 368769 -> "00000000000000368769".
std::string FilenamePrefixFromOffset(Offset offset);

// "<dir>/<20 digits><file_suffix><state_suffix>".
std::string SegmentFilePath(const std::string& dir, Offset base, std::string_view file_suffix,
                            std::string_view state_suffix = "");

// "<dir>/<20 digits>.log.<position>[-<n>].corrupt"; n == 1 leaves it out.
std::string CorruptFilePath(const std::string& dir, Offset base, int64_t position, int n = 1);

// "<topic>-<partition>" (orders-0): the partition directory's name, split
// at the last '-'; nullopt for a name that is not one (a bad topic name, a
// partition that is not a non-negative number).
std::optional<TopicPartition> ParsePartitionDirName(std::string_view name);

// A deleted topic's partition directory on its way out:
// "<dir>.<32 hex>-delete", the directory's own name shortened so that the
// whole fits 255 bytes (as Kafka names it).
std::string DeletedPartitionDirName(std::string_view dir_name);
bool IsDeletedPartitionDirName(std::string_view name);
// "<topic>.conf", and the topic of such a name (nullopt for any other name).
std::string TopicConfigFileName(std::string_view topic);
std::optional<std::string> TopicOfConfigFileName(std::string_view name);

// A topic being deleted: "~<32 hex>.deleting" (no topic name has a '~'),
// a file holding the topic's name.
std::string DeletingMarkerName();
bool IsDeletingMarkerName(std::string_view name);

enum class SegmentFileKind { kLog, kIndex, kTimeIndex, kTxnIndex, kSnapshot };

struct SegmentFileName {
  Offset base_offset;
  SegmentFileKind kind = SegmentFileKind::kLog;
  std::string_view state_suffix;  // "", ".deleted", ".cleaned", ".swap", ".unreadable", ".repair"
};

// Parses a file name (no directory) of a segment file; nullopt for anything else.
std::optional<SegmentFileName> ParseSegmentFileName(std::string_view name);

}  // namespace topicfs::store
