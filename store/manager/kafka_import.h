#pragma once
// `topicfs import`: copies a partition directory a Kafka broker wrote into
// a topicfs partition. Kafka numbers records 0, 1, 2, ...; topicfs's
// offsets are byte positions, so every record gets a new offset, and
// everything else is kept: timestamps, keys, values, headers, the codec of
// its batch, producer ids, epochs and sequences. A transaction's records
// are copied if it committed, as a read_committed consumer sees them (in
// offset order, with the transactional flag dropped: topicfs has no
// transactions); an aborted one's, control batches (the markers) and a
// transaction's still open at the end are not. Beside the partition,
// kafka-offsets.map maps every copied batch's Kafka offsets to topicfs's,
// and a Kafka consumer group's committed positions in the partition (read
// from a Kafka log directory's __consumer_offsets) can be carried over,
// each translated to the topicfs offset of the same record
// (docs/graduate.md, "Importing a Kafka partition").

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "store/base/status.h"
#include "store/base/types.h"
#include "store/manager/log_manager.h"

namespace topicfs::store {

class KafkaImport {
 public:
  struct Options {
    std::string source_dir;  // KAFKA_LOG_DIR/<topic>-<partition>
    // The topicfs topic and partition; by default the source's. A topic
    // that does not exist is created with partition + 1 partitions; the
    // partition must be empty.
    std::string topic;
    int32_t partition = -1;
    // A Kafka log directory (the source's, usually) whose groups'
    // positions in the source partition are committed, translated; empty:
    // none.
    std::string groups_from;
    // Told every few MiB: bytes of the source read so far, of how many.
    std::function<void(int64_t read, int64_t total)> progress;
  };

  struct Summary {
    std::string topic;
    int32_t partition = 0;
    int64_t batches = 0;           // appended (a batch split to fit counts as its parts)
    int64_t records = 0;           // copied
    int64_t control_batches = 0;   // transaction markers, not copied
    int64_t aborted_records = 0;   // of aborted transactions
    int64_t unfinished_records = 0;  // of transactions with no marker by the end
    int64_t empty_batches = 0;     // batches a Kafka cleaner emptied
    int64_t kafka_first = -1;      // the first and last Kafka offsets copied
    int64_t kafka_last = -1;
    Offset end;                    // the partition's end after the import
    int torn_tails = 0;
    std::string map_path;
    std::map<std::string, Offset> groups;  // group -> committed topicfs offset
  };

  // Runs the import against an open manager (the caller holds the data
  // directory). Errors: kNotFound (no source segment, no such partition),
  // kAlreadyExists (the partition is not empty), kInvalidArgument (bad
  // names), the source's kCorruption / kUnsupported naming the segment and
  // position, or the append's. Whatever was appended before an error stays;
  // kafka-offsets.map says how far it got.
  static Result<Summary> Run(LogManager& manager, const Options& options);
};

}  // namespace topicfs::store
