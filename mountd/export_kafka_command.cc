#include "mountd/export_kafka_command.h"

#include <cstdio>
#include <string>
#include <string_view>

#include "store/manager/kafka_export.h"

namespace topicfs::mountd {
namespace {

void PrintExportUsage(FILE* to) {
  std::fprintf(to,
               "usage: topicfs export-kafka DATA KAFKA_LOG_DIR [--topic NAME]... [--link]\n\n"
               "Puts the partitions of a topicfs data directory (unmounted, cleanly shut down)\n"
               "into a Kafka broker's log directory (broker stopped), which then serves them\n"
               "with topicfs's offsets. Create each topic in the broker first, with the same\n"
               "partition count, and stop the broker.\n\n"
               "    --topic NAME   export this topic (repeatable; default: every topic but\n"
               "                   the internal ones, named __*)\n"
               "    --link         hard-link the segments instead of copying them (one\n"
               "                   filesystem; the last segment of each partition is copied)\n"
               "    -h, --help     print this help\n");
}

}  // namespace

int RunExportKafkaCommand(int argc, char** argv) {
  store::KafkaExportOptions options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      PrintExportUsage(stdout);
      return 0;
    } else if (a == "--link") {
      options.link = true;
    } else if (a == "--topic" || a.starts_with("--topic=")) {
      std::string name;
      if (a == "--topic") {
        if (++i == argc) {
          std::fprintf(stderr, "topicfs export-kafka: --topic needs a topic name\n");
          return 2;
        }
        name = argv[i];
      } else {
        name = std::string(a.substr(8));
      }
      if (name.empty()) {
        std::fprintf(stderr, "topicfs export-kafka: --topic needs a topic name\n");
        return 2;
      }
      options.topics.push_back(std::move(name));
    } else if (a.starts_with("-") && a != "-") {
      std::fprintf(stderr, "topicfs export-kafka: unknown option '%s' (see topicfs export-kafka --help)\n",
                   argv[i]);
      return 2;
    } else {
      positional.emplace_back(a);
    }
  }
  if (positional.size() != 2) {
    if (!positional.empty()) {
      std::fprintf(stderr, "topicfs export-kafka: needs DATA and KAFKA_LOG_DIR, %zu given\n", positional.size());
    }
    PrintExportUsage(stderr);
    return 2;
  }
  options.data_dir = positional[0];
  options.kafka_log_dir = positional[1];
  auto report = store::KafkaExport::Run(options);
  if (!report.ok()) {
    std::fprintf(stderr, "topicfs export-kafka: %s\n", report.status().message().c_str());
    return 1;
  }
  for (const auto& w : report->warnings) std::fprintf(stderr, "topicfs export-kafka: warning: %s\n", w.c_str());
  for (const store::PartitionExport& p : report->partitions) {
    std::string epochs;
    for (const auto& [epoch, offset] : p.epochs) {
      epochs += (epochs.empty() ? "" : ", ") + std::to_string(epoch) + " from " + std::to_string(offset.value);
    }
    std::printf("%s: %d segment%s, %lld bytes, log start %lld, log end %lld, "
                "%d file%s copied, %d linked, leader epochs: %s\n",
                p.tp.DirName().c_str(), p.segments, p.segments == 1 ? "" : "s", static_cast<long long>(p.bytes),
                static_cast<long long>(p.log_start.value), static_cast<long long>(p.log_end.value),
                p.files_copied, p.files_copied == 1 ? "" : "s", p.files_linked,
                epochs.empty() ? "none" : epochs.c_str());
  }
  if (!report->broker_clean_shutdown) {
    std::fprintf(stderr,
                 "topicfs export-kafka: note: %s has no .kafka_cleanshutdown: the broker recovers every "
                 "partition (rereads every segment) at its next start\n",
                 options.kafka_log_dir.c_str());
  }
  std::printf("exported %zu partition%s into %s; start the broker\n", report->partitions.size(),
              report->partitions.size() == 1 ? "" : "s", options.kafka_log_dir.c_str());
  return 0;
}

}  // namespace topicfs::mountd
