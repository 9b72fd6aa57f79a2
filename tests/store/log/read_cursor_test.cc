// ReadCursor: a sequential reader that passes its cursor to every read gets
// exactly the bytes reads without one return, across records, batches and
// segments, and a cursor that does not match a read changes nothing.

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "store/log/log.h"
#include "tests/common/log_reading.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::TempDir;

class ReadCursorTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> OpenLog(const std::string& name, const LogConfig& config) {
    return testing::OpenTestLog(dir_ / name, config, &clock_);
  }

  // Lines of varying length in writes of `write_bytes`: big batches, so a
  // small read starts mid-batch.
  static std::string Fill(Log& log, int lines, size_t write_bytes) {
    std::string all, pending;
    for (int i = 0; i < lines; ++i) all += std::string(i % 97, 'a' + i % 26) + std::to_string(i) + "\n";
    for (size_t at = 0; at < all.size(); at += write_bytes) {
      std::string_view chunk = std::string_view(all).substr(at, write_bytes);
      size_t last = chunk.rfind('\n');
      if (last == std::string_view::npos) {
        pending.append(chunk);
        continue;
      }
      EXPECT_TRUE(log.AppendText(pending, chunk.substr(0, last + 1)).ok());
      pending.assign(chunk.substr(last + 1));
    }
    EXPECT_TRUE(pending.empty());
    return all;
  }

  // Reads from `from` to the end in reads of `size` bytes through one cursor.
  static std::string ReadWithCursor(const Log& log, Offset from, int64_t size, ReadCursor* cursor) {
    std::string out, buf(static_cast<size_t>(size), '\0');
    Offset at = from;
    for (;;) {
      auto r = log.Read(at, buf.data(), size, cursor);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok() || r->bytes == 0) break;
      out.append(buf.data(), static_cast<size_t>(r->bytes));
      at = r->next;
    }
    return out;
  }

  TempDir dir_;
  FakeClock clock_;
};

TEST_F(ReadCursorTest, SequentialReadsOfAnySizeReturnTheFile) {
  LogConfig config;
  config.segment_bytes = 200'000;  // several segments
  config.segment_index_bytes = 4096;
  auto log = OpenLog("t-0", config);
  const std::string all = Fill(*log, 20'000, 64 * 1024);
  ASSERT_GT(log->Segments().size(), 3u);
  for (int64_t size : {1, 7, 100, 101, 4096, 16384, 131072, 1 << 20}) {
    ReadCursor cursor;
    EXPECT_EQ(ReadWithCursor(*log, Offset(0), size, &cursor), all) << "reads of " << size;
  }
}

TEST_F(ReadCursorTest, AJumpIgnoresTheCursorAndReadsTheNewPlace) {
  auto log = OpenLog("t-0", LogConfig{});
  const std::string all = Fill(*log, 5000, 1 << 20);
  std::mt19937 rng(7);
  ReadCursor cursor;
  std::string buf(4096, '\0');
  for (int i = 0; i < 200; ++i) {
    // Mostly sequential, sometimes a jump (as lseek, or tail, would make).
    Offset at(static_cast<int64_t>(rng() % all.size()));
    for (int step = 0; step < 5; ++step) {
      auto r = log->Read(at, buf.data(), 1000, &cursor);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(std::string(buf.data(), r->bytes), all.substr(at.value, r->bytes));
      if (r->bytes == 0) break;
      at = r->next;
    }
  }
}

TEST_F(ReadCursorTest, ACursorFromAnotherLogIsIgnored) {
  auto a = OpenLog("a-0", LogConfig{});
  auto b = OpenLog("b-0", LogConfig{});
  const std::string in_a = Fill(*a, 3000, 1 << 20);
  const std::string in_b = Fill(*b, 2000, 4096);
  ReadCursor cursor;
  std::string buf(1000, '\0');
  auto r = a->Read(Offset(500), buf.data(), 1000, &cursor);
  ASSERT_TRUE(r.ok());
  // The same offset in b: a's cursor names a segment b does not have.
  r = b->Read(r->next, buf.data(), 1000, &cursor);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(std::string(buf.data(), r->bytes), in_b.substr(1500, r->bytes));
}

TEST_F(ReadCursorTest, ReadsFollowAppendsAndRolls) {
  LogConfig config;
  config.segment_bytes = 50'000;
  config.segment_index_bytes = 4096;
  auto log = OpenLog("t-0", config);
  ReadCursor cursor;
  std::string expected, got;
  Offset at(0);
  std::string buf(3000, '\0');
  for (int round = 0; round < 50; ++round) {
    expected += Fill(*log, 100, 2500);  // appended after the reader reached the end
    for (;;) {
      auto r = log->Read(at, buf.data(), 3000, &cursor);
      ASSERT_TRUE(r.ok());
      if (r->bytes == 0) break;
      got.append(buf.data(), r->bytes);
      at = r->next;
    }
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace topicfs::store
