// segment_tool: a small CLI over the store, so that a test written against an
// independent Kafka implementation (python3-kafka,
// tests/store/tools/python_kafka_format_test.py) can make the store write segments and read
// segments it did not write.
//
//   segment_tool write <data_dir> <topic> [--config NAME=VALUE]...
//                [--lines-per-append K] [--clock-start MS] [--clock-step MS]
//     Opens the data directory, creates the topic if it does not exist (with
//     the given config), appends the '\n'-terminated lines read from stdin,
//     K lines per Append call, then closes the manager cleanly. Record
//     timestamps come from a fake clock: Append call i (from 0) runs at
//     clock-start + i * clock-step. Prints one JSON line per Append call:
//       {"append":i,"timestamp":T,"first_offset":O,"end_offset":E,"records":R,"batches":B}
//
//   segment_tool read <data_dir> <topic> <partition>
//     Opens the data directory (recovering what needs recovery), then prints
//     JSON lines, byte strings hex-encoded:
//       {"warning":"..."}                                 what loading repaired
//       {"segment":BASE,"log":"<path>","size":N}          per segment, then its batches:
//       {"batch":BASE,"last":L,"position":P,"size":S,"records":R,"max_timestamp":T}
//       {"record":O,"timestamp":T,"key":hex|null,"value":hex|null,"headers":[[hex,hex|null],...]}
//       {"presented":"<hex of every byte Log::Read returns from offset 0>"}
//       {"log_start_offset":S,"log_end_offset":E,"records":R,"segments":N}
//     and closes the manager cleanly.
//
//   segment_tool clean <data_dir> <topic> <partition> [--clock-start MS] [--roll]
//     Opens the data directory, optionally rolls the active segment (so that
//     everything written becomes cleanable), then runs the log cleaner
//     (LogCleaner::Clean) on the partition pass after pass until a pass
//     moves the cleaner's checkpoint no further, and closes the manager
//     cleanly. The cleaner's clock (delete horizons = now +
//     delete.retention.ms, the compaction lags) is a fake clock at MS
//     (default: the real time). Prints one JSON line per pass:
//       {"pass":i,"now":T,"first_dirty":D,"end_offset":E,"segments_cleaned":N,
//        "records_read":R,"records_kept":K,"bytes_read":B,"bytes_written":W}
//     then {"checkpoint":C,"log_start_offset":S,"log_end_offset":E,"segments":N}.
//
//   segment_tool groups <data_dir> [--clock-start MS]
//     Opens the data directory and GroupOffsets, then runs the commands read
//     from stdin, one per line, tab-separated, the group hex-encoded (any
//     bytes a file name may hold):
//       commit <group hex> <topic> <partition> <offset>
//       forget <group hex> <topic> <partition>
//     A topic named for the first time is created with 4 partitions. The
//     commit timestamps come from a fake clock at MS (default: the real
//     time). Prints one JSON line per command:
//       {"command":i,"group_partition":P}   the __consumer_offsets partition
//     and closes the manager cleanly.
//
// Exit status 0 on success; 2 for a usage error, 1 for a store error (the
// message on stderr).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "store/base/clock.h"
#include "store/format/consumer_offsets_format.h"
#include "store/manager/group_offsets.h"
#include "store/log/log.h"
#include "store/cleanup/log_cleaner.h"
#include "store/log/log_config.h"
#include "store/manager/log_manager.h"
#include "store/log/log_segment.h"
#include "store/format/record_reader.h"
#include "store/base/status.h"
#include "store/base/varint.h"

namespace {

using namespace topicfs::store;

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

std::string HexOrNull(const std::optional<std::string_view>& bytes) {
  return bytes ? "\"" + Hex(*bytes) + "\"" : "null";
}

int Fail(const Status& status, std::string_view what) {
  std::cerr << "segment_tool: " << what << ": " << status.ToString() << "\n";
  return 1;
}

// The data directory's manager, stamping records with `clock` (the system
// clock when nullptr).
Result<std::unique_ptr<LogManager>> OpenManager(const std::string& data_dir, const Clock* clock) {
  LogManager::Options options;
  options.data_dir = data_dir;
  if (clock != nullptr) options.clock = clock;
  return LogManager::Open(options);
}

int Usage() {
  std::cerr << "usage: segment_tool write <data_dir> <topic> [--config NAME=VALUE]...\n"
               "                          [--lines-per-append K] [--clock-start MS] [--clock-step MS]\n"
               "       segment_tool read <data_dir> <topic> <partition>\n"
               "       segment_tool clean <data_dir> <topic> <partition> [--clock-start MS] [--roll]\n"
               "       segment_tool groups <data_dir> [--clock-start MS] < commands\n";
  return 2;
}

// The header section of a record as [[key, value|null], ...], hex-encoded.
std::optional<std::string> HeadersJson(const RecordView& rec) {
  const char* p = rec.headers.data();
  const char* limit = p + rec.headers.size();
  std::string out = "[";
  for (int32_t i = 0; i < rec.header_count; ++i) {
    int64_t key_len = 0, value_len = 0;
    p = varint::DecodeInt(p, limit, &key_len);
    if (p == nullptr || key_len < 0 || key_len > limit - p) return std::nullopt;
    std::string_view key(p, static_cast<size_t>(key_len));
    p += key_len;
    p = varint::DecodeInt(p, limit, &value_len);
    if (p == nullptr || value_len > limit - p) return std::nullopt;
    std::optional<std::string_view> value;
    if (value_len >= 0) {
      value = std::string_view(p, static_cast<size_t>(value_len));
      p += value_len;
    }
    out += fmt::format("{}[\"{}\",{}]", i == 0 ? "" : ",", Hex(key), HexOrNull(value));
  }
  return out + "]";
}

int Write(int argc, char** argv) {
  if (argc < 4) return Usage();
  const std::string data_dir = argv[2];
  const std::string topic = argv[3];
  ConfigOverrides overrides;
  size_t lines_per_append = 100;
  int64_t clock_start = 1'764'064'800'000;  // 2025-11-25T10:00:00Z
  int64_t clock_step = 1;
  for (int i = 4; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (i + 1 >= argc) return Usage();
    std::string_view arg = argv[++i];
    if (flag == "--config") {
      size_t eq = arg.find('=');
      if (eq == std::string_view::npos) return Usage();
      overrides[std::string(arg.substr(0, eq))] = std::string(arg.substr(eq + 1));
    } else if (flag == "--lines-per-append") {
      lines_per_append = std::strtoull(std::string(arg).c_str(), nullptr, 10);
      if (lines_per_append == 0) return Usage();
    } else if (flag == "--clock-start") {
      clock_start = std::strtoll(std::string(arg).c_str(), nullptr, 10);
    } else if (flag == "--clock-step") {
      clock_step = std::strtoll(std::string(arg).c_str(), nullptr, 10);
    } else {
      return Usage();
    }
  }

  std::string input(std::istreambuf_iterator<char>(std::cin), {});
  if (!input.empty() && input.back() != '\n') {
    std::cerr << "segment_tool: input must end with a newline\n";
    return 2;
  }
  std::vector<std::string_view> lines;
  for (size_t pos = 0; pos < input.size();) {
    size_t nl = input.find('\n', pos);
    lines.emplace_back(input.data() + pos, nl - pos);
    pos = nl + 1;
  }

  FakeClock clock(clock_start);
  auto manager = OpenManager(data_dir, &clock);
  if (!manager.ok()) return Fail(manager.status(), "open " + data_dir);
  if (!(*manager)->TopicExists(topic)) {
    Status created = (*manager)->CreateTopic(topic, overrides);
    if (!created.ok()) return Fail(created, "create topic " + topic);
  }
  std::shared_ptr<Log> log = (*manager)->GetLog(topic, 0);
  if (log == nullptr) return Fail(Status::NotFound(topic + "-0"), "get log");

  for (size_t first = 0, call = 0; first < lines.size(); first += lines_per_append, ++call) {
    size_t n = std::min(lines_per_append, lines.size() - first);
    auto appended = log->Append(std::span<const std::string_view>(lines.data() + first, n));
    if (!appended.ok()) return Fail(appended.status(), fmt::format("append call {}", call));
    std::cout << fmt::format(
        "{{\"append\":{},\"timestamp\":{},\"first_offset\":{},\"end_offset\":{},\"records\":{},"
        "\"batches\":{}}}\n",
        call, clock.Now(), appended->first_offset, appended->end_offset, appended->records,
        appended->batches);
    clock.Advance(clock_step);
  }
  Status closed = (*manager)->Close();
  if (!closed.ok()) return Fail(closed, "close");
  return 0;
}

int Read(int argc, char** argv) {
  if (argc != 5) return Usage();
  const std::string data_dir = argv[2];
  const std::string topic = argv[3];
  const int32_t partition = std::atoi(argv[4]);

  auto manager = OpenManager(data_dir, nullptr);
  if (!manager.ok()) return Fail(manager.status(), "open " + data_dir);
  for (const std::string& w : (*manager)->warnings()) {
    std::cout << "{\"warning\":" << JsonString(w) << "}\n";
  }
  std::shared_ptr<Log> log = (*manager)->GetLog(topic, partition);
  if (log == nullptr) {
    return Fail(Status::NotFound(fmt::format("{}-{}", topic, partition)), "get log");
  }
  for (const std::string& w : log->warnings()) {
    std::cout << "{\"warning\":" << JsonString(w) << "}\n";
  }

  for (const auto& segment : log->Segments()) {
    std::cout << fmt::format("{{\"segment\":{},\"log\":{},\"size\":{}}}\n", segment->base_offset(),
                             JsonString(segment->log_path()), segment->size());
    auto batches = segment->Batches();
    if (!batches.ok()) return Fail(batches.status(), "batches of " + segment->log_path());
    for (const BatchLocation& loc : *batches) {
      std::cout << fmt::format(
          "{{\"batch\":{},\"last\":{},\"position\":{},\"size\":{},\"records\":{},"
          "\"max_timestamp\":{}}}\n",
          loc.base_offset, loc.last_offset, loc.position, loc.size, loc.records, loc.max_timestamp);
      bool bad_headers = false;
      Status s = segment->ForEachRecord(loc, [&](const RecordView& rec) {
        std::optional<std::string> headers = HeadersJson(rec);
        if (!headers) bad_headers = true;
        std::cout << fmt::format(
            "{{\"record\":{},\"timestamp\":{},\"key\":{},\"value\":{},\"headers\":{}}}\n",
            rec.offset, rec.timestamp, HexOrNull(rec.key), HexOrNull(rec.value),
            headers.value_or("null"));
      });
      if (!s.ok()) return Fail(s, fmt::format("records of batch {}", loc.base_offset));
      if (bad_headers) return Fail(Status::Corruption("malformed headers"), "headers");
    }
  }

  // Every presented byte from offset 0, read in odd-sized chunks so that
  // reads start and stop inside records.
  std::string presented;
  std::vector<char> buf(4093);
  for (Offset at(0);;) {
    auto r = log->Read(at, buf.data(), static_cast<int64_t>(buf.size()));
    if (!r.ok()) return Fail(r.status(), fmt::format("read at {}", at));
    if (r->bytes == 0) break;
    presented.append(buf.data(), static_cast<size_t>(r->bytes));
    at = r->next;
  }
  std::cout << "{\"presented\":\"" << Hex(presented) << "\"}\n";

  LogFigures f = log->Figures();
  std::cout << fmt::format(
      "{{\"log_start_offset\":{},\"log_end_offset\":{},\"records\":{},\"segments\":{}}}\n",
      f.log_start_offset, f.log_end_offset, f.records, f.segments);
  Status closed = (*manager)->Close();
  if (!closed.ok()) return Fail(closed, "close");
  return 0;
}

int Clean(int argc, char** argv) {
  if (argc < 5) return Usage();
  const std::string data_dir = argv[2];
  const std::string topic = argv[3];
  char* end = nullptr;
  const long partition = std::strtol(argv[4], &end, 10);
  if (*argv[4] == '\0' || *end != '\0' || partition < 0) return Usage();
  std::optional<int64_t> clock_start;
  bool roll = false;
  for (int i = 5; i < argc; ++i) {
    std::string_view flag = argv[i];
    if (flag == "--roll") {
      roll = true;
    } else if (flag == "--clock-start" && i + 1 < argc) {
      clock_start = std::strtoll(argv[++i], nullptr, 10);
    } else {
      return Usage();
    }
  }

  FakeClock fake(clock_start.value_or(0));
  const Clock& clock = clock_start ? static_cast<const Clock&>(fake) : Clock::System();
  auto manager = OpenManager(data_dir, &clock);
  if (!manager.ok()) return Fail(manager.status(), "open " + data_dir);
  std::shared_ptr<Log> log = (*manager)->GetLog(topic, static_cast<int32_t>(partition));
  if (log == nullptr) {
    return Fail(Status::NotFound(fmt::format("{}-{}", topic, partition)), "get log");
  }
  if (roll) {
    Status rolled = log->Roll();
    if (!rolled.ok()) return Fail(rolled, "roll");
  }
  LogCleaner& cleaner = (*manager)->cleaner();
  const TopicPartition tp{topic, static_cast<int32_t>(partition)};
  for (int pass = 0;; ++pass) {
    if (pass == 1000) return Fail(Status::Corruption("no end after 1000 passes"), "clean");
    const Offset before = cleaner.CheckpointedOffset(tp);
    const Timestamp now = clock.Now();
    auto r = cleaner.Clean(*log);
    if (!r.ok()) return Fail(r.status(), fmt::format("cleaner pass {}", pass));
    std::cout << fmt::format(
        "{{\"pass\":{},\"now\":{},\"first_dirty\":{},\"end_offset\":{},\"segments_cleaned\":{},"
        "\"records_read\":{},\"records_kept\":{},\"bytes_read\":{},\"bytes_written\":{}}}\n",
        pass, now, r->first_dirty, r->end_offset, r->segments_cleaned, r->records_read,
        r->records_kept, r->bytes_read, r->bytes_written);
    if (r->segments_cleaned == 0 || cleaner.CheckpointedOffset(tp) == before) break;
  }
  LogFigures f = log->Figures();
  std::cout << fmt::format(
      "{{\"checkpoint\":{},\"log_start_offset\":{},\"log_end_offset\":{},\"segments\":{}}}\n",
      cleaner.CheckpointedOffset(tp), f.log_start_offset, f.log_end_offset, f.segments);
  Status closed = (*manager)->Close();
  if (!closed.ok()) return Fail(closed, "close");
  return 0;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::vector<std::string> SplitTabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t from = 0;
  while (true) {
    size_t tab = line.find('\t', from);
    fields.push_back(line.substr(from, tab == std::string::npos ? std::string::npos : tab - from));
    if (tab == std::string::npos) return fields;
    from = tab + 1;
  }
}

int Groups(int argc, char** argv) {
  if (argc < 3) return Usage();
  const std::string data_dir = argv[2];
  std::optional<int64_t> clock_start;
  for (int i = 3; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--clock-start" && i + 1 < argc) {
      clock_start = std::strtoll(argv[++i], nullptr, 10);
    } else {
      return Usage();
    }
  }
  FakeClock fake(clock_start.value_or(0));
  const Clock& clock = clock_start ? static_cast<const Clock&>(fake) : Clock::System();
  auto manager = OpenManager(data_dir, &clock);
  if (!manager.ok()) return Fail(manager.status(), "open " + data_dir);
  auto groups = GroupOffsets::Open(**manager, clock);
  if (!groups.ok()) return Fail(groups.status(), "open group offsets");

  std::string line;
  for (int i = 0; std::getline(std::cin, line); ++i) {
    std::vector<std::string> f = SplitTabs(line);
    const bool commit = f[0] == "commit" && f.size() == 5;
    if (!commit && !(f[0] == "forget" && f.size() == 4)) return Usage();
    std::optional<std::string> group = Unhex(f[1]);
    if (!group) return Usage();
    const TopicPartition tp{f[2], static_cast<int32_t>(std::strtol(f[3].c_str(), nullptr, 10))};
    if (!(*manager)->TopicExists(tp.topic)) {
      Status created = (*manager)->CreateTopic(tp.topic, {{"partitions", "4"}});
      if (!created.ok()) return Fail(created, "create " + tp.topic);
    }
    Status s = commit ? (*groups)->Commit(*group, tp, Offset(std::strtoll(f[4].c_str(), nullptr, 10)))
                      : (*groups)->Forget(*group, tp);
    if (!s.ok()) return Fail(s, fmt::format("command {}", i));
    std::cout << fmt::format("{{\"command\":{},\"group_partition\":{}}}\n", i,
                             consumer_offsets::PartitionForGroup(*group, 50));
  }
  groups->reset();
  Status closed = (*manager)->Close();
  if (!closed.ok()) return Fail(closed, "close");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string_view command = argv[1];
  if (command == "write") return Write(argc, argv);
  if (command == "read") return Read(argc, argv);
  if (command == "clean") return Clean(argc, argv);
  if (command == "groups") return Groups(argc, argv);
  return Usage();
}
