#include "mountd/import_command.h"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include "store/manager/kafka_import.h"
#include "store/manager/log_manager.h"

namespace topicfs::mountd {
namespace {

void PrintImportUsage(FILE* to) {
  std::fprintf(to,
               "usage: topicfs import [--topic=NAME] [--partition=N] [--groups-from=KAFKA_LOG_DIR]\n"
               "                      KAFKA_PARTITION_DIR DATA\n\n"
               "Copies a Kafka partition directory (of a stopped broker) into an empty topicfs\n"
               "partition: every record of it but those of aborted transactions and the\n"
               "transaction markers, with new offsets (byte positions), its timestamps, keys,\n"
               "headers, codec and producer ids kept. DATA must not be mounted.\n\n"
               "    --topic=NAME              the topicfs topic (default: the Kafka topic's name);\n"
               "                              created if missing\n"
               "    --partition=N             the topicfs partition (default: the Kafka one's)\n"
               "    --groups-from=KAFKA_LOG_DIR\n"
               "                              commit every consumer group's position in the Kafka\n"
               "                              partition (from KAFKA_LOG_DIR/__consumer_offsets-*),\n"
               "                              translated to the same record's topicfs offset\n"
               "    -h, --help                print this help\n\n"
               "It writes <partition dir>/kafka-offsets.map: per batch copied, its first and last\n"
               "Kafka offsets and its first and end topicfs offsets.\n");
}

// "\rimported 12 of 40 MiB (30%)" on a terminal; nothing otherwise.
void ShowProgress(int64_t read, int64_t total) {
  if (!::isatty(STDERR_FILENO)) return;
  const double mib = 1024.0 * 1024.0;
  std::fprintf(stderr, "\rimported %.0f of %.0f MiB (%d%%)", static_cast<double>(read) / mib,
               static_cast<double>(total) / mib, total > 0 ? static_cast<int>(read * 100 / total) : 100);
  if (read >= total) std::fprintf(stderr, "\n");
}

}  // namespace

int RunImportCommand(int argc, char** argv) {
  store::KafkaImport::Options options;
  std::string data_dir;
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "-h" || a == "--help") {
      PrintImportUsage(stdout);
      return 0;
    } else if (a.starts_with("--topic=")) {
      options.topic = a.substr(8);
    } else if (a.starts_with("--partition=")) {
      std::string_view v = a.substr(12);
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), options.partition);
      if (ec != std::errc() || p != v.data() + v.size() || options.partition < 0) {
        std::fprintf(stderr, "topicfs import: --partition wants a partition number, not '%.*s'\n",
                     static_cast<int>(v.size()), v.data());
        return 2;
      }
    } else if (a.starts_with("--groups-from=")) {
      options.groups_from = a.substr(14);
    } else if (a.starts_with("-") && a.size() > 1) {
      std::fprintf(stderr, "topicfs import: unknown option '%s'\n", argv[i]);
      PrintImportUsage(stderr);
      return 2;
    } else if (positional == 0) {
      options.source_dir = a;
      ++positional;
    } else if (positional == 1) {
      data_dir = a;
      ++positional;
    } else {
      std::fprintf(stderr, "topicfs import: one KAFKA_PARTITION_DIR and one DATA, not '%s' too\n", argv[i]);
      return 2;
    }
  }
  if (positional != 2) {
    PrintImportUsage(stderr);
    return 2;
  }
  options.progress = ShowProgress;

  store::LogManager::Options manager_options;
  manager_options.data_dir = data_dir;
  auto manager = store::LogManager::Open(manager_options);
  if (!manager.ok()) {
    std::fprintf(stderr, "topicfs import: %s: %s\n", data_dir.c_str(), manager.status().ToString().c_str());
    return 1;
  }
  auto summary = store::KafkaImport::Run(**manager, options);
  store::Status closed = (*manager)->Close();
  if (!summary.ok()) {
    std::fprintf(stderr, "topicfs import: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  if (!closed.ok()) {
    std::fprintf(stderr, "topicfs import: closing %s: %s\n", data_dir.c_str(), closed.ToString().c_str());
    return 1;
  }
  const auto& s = *summary;
  std::printf("%s-%d: %lld records in %lld batches, Kafka offsets %lld..%lld -> topicfs 0..%lld\n",
              s.topic.c_str(), s.partition, static_cast<long long>(s.records), static_cast<long long>(s.batches),
              static_cast<long long>(s.kafka_first), static_cast<long long>(s.kafka_last),
              static_cast<long long>(s.end.value));
  if (s.control_batches + s.aborted_records + s.unfinished_records + s.empty_batches > 0) {
    std::printf("not copied: %lld transaction markers, %lld records of aborted transactions, "
                "%lld of unfinished ones, %lld empty batches\n",
                static_cast<long long>(s.control_batches), static_cast<long long>(s.aborted_records),
                static_cast<long long>(s.unfinished_records), static_cast<long long>(s.empty_batches));
  }
  if (s.torn_tails > 0) std::printf("%d segment(s) ended in a torn batch, not copied\n", s.torn_tails);
  for (const auto& [group, offset] : s.groups) {
    std::printf("group %s: committed at %lld\n", group.c_str(), static_cast<long long>(offset.value));
  }
  std::printf("offset map: %s\n", s.map_path.c_str());
  return 0;
}

}  // namespace topicfs::mountd
