#pragma once
// `topicfs export-kafka DATA KAFKA_LOG_DIR [--topic NAME]... [--link]`:
// hands a stopped data directory's partitions to a stopped Kafka broker
// (docs/graduate.md). The work is store::KafkaExport
// (store/manager/kafka_export.h); this parses the command line and prints
// what was done, or why nothing was.

namespace topicfs::mountd {

// argv[0] is "export-kafka". Returns the exit status: 0 exported, 1
// refused or failed (the message says why; a refusal changed nothing), 2 a
// usage error.
int RunExportKafkaCommand(int argc, char** argv);

}  // namespace topicfs::mountd
