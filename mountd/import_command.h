#pragma once
// `topicfs import [--topic=NAME] [--partition=N] [--groups-from=KAFKA_LOG_DIR]
// KAFKA_PARTITION_DIR DATA`: copies a partition directory a stopped Kafka
// broker wrote into a topicfs data directory (not mounted), with progress
// on a terminal (store/manager/kafka_import.h says what is kept).

namespace topicfs::mountd {

// argv[0] is "import". Returns the exit status: 0 imported, 1 refused or
// failed (the reason on stderr), 2 a usage error.
int RunImportCommand(int argc, char** argv);

}  // namespace topicfs::mountd
