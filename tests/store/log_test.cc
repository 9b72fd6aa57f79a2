// Partition log behaviour: appends, offsets in the one coordinate, reads,
// roll, flush and reopen. (Kafka's UnifiedLogTest cases live here.)

#include "store/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/store/test_util.h"

namespace topicfs::store {
namespace {

using testing::TempDir;

class LogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(const LogConfig& config, bool clean = false,
                               Offset recovery_point = Offset(0)) {
    Log::Options o;
    o.dir = dir_ / "t-0";
    o.topic_partition = {"t", 0};
    o.config = config;
    o.clock = &clock_;
    o.had_clean_shutdown = clean;
    o.recovery_point = recovery_point;
    auto log = Log::Open(o);
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return std::move(log).value();
  }

  static std::string ReadAll(const Log& log, Offset from = Offset(0)) {
    std::string out;
    char buf[4096];
    Offset at = from;
    while (true) {
      auto r = log.Read(at, buf, sizeof(buf));
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok() || r->bytes == 0) break;
      out.append(buf, r->bytes);
      at = r->next;
    }
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(LogTest, LineOffsetsAreBytePositionsOfThePresentedFile) {
  auto log = OpenLog(LogConfig{});
  std::vector<std::string_view> lines = {"hello", "", "world!"};
  std::vector<Offset> offsets;
  auto r = log->Append(lines, &offsets);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(offsets, (std::vector<Offset>{Offset(0), Offset(6), Offset(7)}));
  EXPECT_EQ(r->end_offset, Offset(14));
  EXPECT_EQ(log->log_end_offset(), Offset(14));
  EXPECT_EQ(ReadAll(*log), "hello\n\nworld!\n");
  EXPECT_EQ(ReadAll(*log, Offset(8)), "orld!\n");
}

TEST_F(LogTest, ReadsCrossSegmentsAndSurviveCleanReopen) {
  LogConfig config;
  config.segment_bytes = 300;
  config.index_interval_bytes = 50;
  std::string expected;
  {
    auto log = OpenLog(config);
    for (int i = 0; i < 200; ++i) {
      std::string line = "line-" + std::to_string(i);
      std::string_view v = line;
      ASSERT_TRUE(log->Append({&v, 1}).ok());
      expected += line + "\n";
    }
    EXPECT_GT(log->Segments().size(), 5u);
    EXPECT_EQ(ReadAll(*log), expected);
    Status closed = log->Close();
    ASSERT_TRUE(closed.ok()) << closed.ToString();
  }
  auto log = OpenLog(config, /*clean=*/true);
  EXPECT_EQ(log->log_end_offset(), Offset(static_cast<int64_t>(expected.size())));
  EXPECT_EQ(ReadAll(*log), expected);
  for (int64_t at : {1, 17, 500, 1000}) EXPECT_EQ(ReadAll(*log, Offset(at)), expected.substr(at));
  auto unclean = OpenLog(config, /*clean=*/false);
}

}  // namespace
}  // namespace topicfs::store
