#pragma once
// `topicfs export-kafka`: hands a stopped data directory's partitions to a
// stopped Apache Kafka broker, whose log directory then serves them as its
// own (docs/graduate.md). No FUSE, no protocol: files only.
//
// The broker must have created each topic (with the same partition count):
// its controller assigns topic ids, and a partition directory without its
// partition.metadata is set aside as stray. For every partition exported,
// the broker's directory is rebuilt beside it under a name Kafka deletes at
// startup (<dir>.<32 hex>-delete: what a crash would leave) and swapped in
// with one rename (RENAME_EXCHANGE): topicfs's segment files, indexes and
// producer snapshots, the broker's partition.metadata and other files, and
// a leader-epoch-checkpoint computed from the batches. Then the partitions'
// entries of the broker's recovery-point-offset-checkpoint (the log end) and
// log-start-offset-checkpoint are set, the other entries kept. Every check
// comes first: a refusal changes nothing on either side.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/base/status.h"
#include "store/base/types.h"
#include "store/format/topic_name.h"
#include "store/io/file_io.h"

namespace topicfs::store {

struct KafkaExportOptions {
  std::string data_dir;       // topicfs's, cleanly shut down
  std::string kafka_log_dir;  // the broker's (one of its log.dirs), broker stopped
  // Topics to export; empty: every topic of data_dir but the internal ones
  // (names starting "__": the broker keeps its own __consumer_offsets).
  std::vector<std::string> topics;
  // Hard-link the segment files instead of copying them, but the last
  // segment's, which the broker appends to (and whose indexes it resizes):
  // copied. Both directories must be on one filesystem.
  bool link = false;
  FileIo* io = &FileIo::Default();
};

// What was done to one partition.
struct PartitionExport {
  TopicPartition tp;
  int segments = 0;
  int64_t bytes = 0;   // of the .log files
  int files_copied = 0;
  int files_linked = 0;
  Offset log_start;
  Offset log_end;      // the last batch's last offset + 1
  // The leader-epoch-checkpoint written: (epoch, start offset) pairs.
  std::vector<std::pair<int32_t, Offset>> epochs;
};

struct KafkaExportReport {
  std::vector<PartitionExport> partitions;
  // False when the broker's log directory has no .kafka_cleanshutdown: the
  // broker then recovers every partition (the exported ones too) at start.
  bool broker_clean_shutdown = true;
  std::vector<std::string> warnings;
};

// Not thread-safe; one export at a time per directory pair (the locks see
// to it across processes). A refusal writes nothing but this process's pid
// into data_dir/.lock, as any holder of the lock does.
class KafkaExport {
 public:
  // Refusals, each changing nothing:
  //   kBusy             a daemon (or another export) holds data_dir, or a
  //                     broker (or topicfs) holds kafka_log_dir/.lock
  //   kInvalidArgument  data_dir not cleanly shut down, kafka_log_dir
  //                     without meta.properties, a topic not in data_dir,
  //                     a partition directory of the broker missing or
  //                     without partition.metadata, partition counts that
  //                     differ, --link across filesystems (all named)
  //   kCorruption       a segment whose batches do not frame, a checkpoint
  //                     file that does not parse
  //   kUnsupported      a magic 0/1 batch
  // An I/O error after the checks leaves each partition either as the
  // broker had it or as exported (the swap is one rename).
  static Result<KafkaExportReport> Run(const KafkaExportOptions& options);
};

}  // namespace topicfs::store
