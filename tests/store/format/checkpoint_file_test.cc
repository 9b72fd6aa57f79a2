#include "store/format/checkpoint_file.h"

#include <errno.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "store/io/atomic_file.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

using testing::FileExists;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

OffsetMap ReadOk(const std::string& path) {
  Result<OffsetMap> read = ReadCheckpointFile(path);
  EXPECT_TRUE(read.ok()) << read.status().ToString();
  return read.ok() ? *read : OffsetMap{};
}

Status ReadStatus(const std::string& path) { return ReadCheckpointFile(path).status(); }

TEST(TopicPartitionTest, DirNameIsTopicDashPartition) {
  EXPECT_EQ((TopicPartition{"orders", 3}.DirName()), "orders-3");
  EXPECT_EQ((TopicPartition{"my-topic.v2", 0}.DirName()), "my-topic.v2-0");
}

TEST(CheckpointFileTest, WrittenOffsetsReadBack) {
  TempDir dir;
  const std::string path = dir / "recovery-point-offset-checkpoint";
  OffsetMap offsets{{{"orders", 0}, Offset(1234)}, {{"orders", 1}, Offset(99)}, {{"a", 7}, Offset(0)}};
  ASSERT_TRUE(WriteCheckpointFile(path, offsets).ok());
  EXPECT_EQ(ReadOk(path), offsets);
}

TEST(CheckpointFileTest, WritesKafkasTextFormat) {
  TempDir dir;
  const std::string path = dir / "cp";
  ASSERT_TRUE(WriteCheckpointFile(path, {{{"my-topic", 0}, Offset(1234)}, {{"my-topic", 1}, Offset(99)}}).ok());
  EXPECT_EQ(ReadFile(path), "0\n2\nmy-topic 0 1234\nmy-topic 1 99\n");
}

TEST(CheckpointFileTest, SecondWriteReplacesFirst) {
  TempDir dir;
  const std::string path = dir / "cp";
  ASSERT_TRUE(WriteCheckpointFile(path, {{{"a", 0}, Offset(5)}, {{"b", 0}, Offset(6)}}).ok());
  OffsetMap second{{{"a", 0}, Offset(50)}};
  ASSERT_TRUE(WriteCheckpointFile(path, second).ok());
  EXPECT_EQ(ReadOk(path), second);
}

TEST(CheckpointFileTest, EmptyMapRoundTrips) {
  TempDir dir;
  const std::string path = dir / "cp";
  ASSERT_TRUE(WriteCheckpointFile(path, {}).ok());
  EXPECT_EQ(ReadFile(path), "0\n0\n");
  EXPECT_TRUE(ReadOk(path).empty());
}

TEST(CheckpointFileTest, TopicNamesWithDashesAndDotsRoundTrip) {
  TempDir dir;
  const std::string path = dir / "cp";
  OffsetMap offsets{{{"a-b.c_d", 12}, Offset(1)}, {{"x-1", 1}, Offset(2)}, {{"...", 0}, Offset(3)}};
  ASSERT_TRUE(WriteCheckpointFile(path, offsets).ok());
  EXPECT_EQ(ReadOk(path), offsets);
}

TEST(CheckpointFileTest, LargestOffsetRoundTrips) {
  TempDir dir;
  const std::string path = dir / "cp";
  OffsetMap offsets{{{"t", 2147483647}, Offset::Max()}};
  ASSERT_TRUE(WriteCheckpointFile(path, offsets).ok());
  EXPECT_EQ(ReadOk(path), offsets);
}

TEST(CheckpointFileTest, WriteLeavesNoTmpFileBehind) {
  TempDir dir;
  const std::string path = dir / "cp";
  ASSERT_TRUE(WriteCheckpointFile(path, {{{"a", 0}, Offset(1)}}).ok());
  ASSERT_TRUE(WriteCheckpointFile(path, {{{"a", 0}, Offset(2)}}).ok());
  EXPECT_FALSE(FileExists(path + ".tmp"));
}

TEST(CheckpointFileTest, WriteRefusesTopicThatCouldNotBeReadBack) {
  TempDir dir;
  const std::string path = dir / "cp";
  EXPECT_EQ(WriteCheckpointFile(path, {{{"foo bar", 0}, Offset(1)}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(WriteCheckpointFile(path, {{{"", 0}, Offset(1)}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(WriteCheckpointFile(path, {{{"t", -1}, Offset(1)}}).code(), Code::kInvalidArgument);
  EXPECT_EQ(WriteCheckpointFile(path, {{{"t", 0}, Offset(-1)}}).code(), Code::kInvalidArgument);
  EXPECT_FALSE(FileExists(path));
}

TEST(CheckpointFileTest, FailedSyncKeepsOldFileAndErrno) {
  TempDir dir;
  const std::string path = dir / "cp";
  OffsetMap old{{{"a", 0}, Offset(1)}};
  ASSERT_TRUE(WriteCheckpointFile(path, old).ok());
  FaultInjectingFileIo io;
  io.FailSyncAfter(0, ENOSPC);
  Status st = WriteCheckpointFile(path, {{{"a", 0}, Offset(2)}}, io);
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.sys_errno(), ENOSPC);
  EXPECT_EQ(ReadOk(path), old);
  EXPECT_FALSE(FileExists(path + ".tmp"));
}

TEST(CheckpointFileTest, FailedWriteKeepsOldFile) {
  TempDir dir;
  const std::string path = dir / "cp";
  OffsetMap old{{{"a", 0}, Offset(1)}};
  ASSERT_TRUE(WriteCheckpointFile(path, old).ok());
  FaultInjectingFileIo io;
  io.FailWriteAfter(0, EIO);
  EXPECT_EQ(WriteCheckpointFile(path, {{{"a", 0}, Offset(2)}}, io).sys_errno(), EIO);
  EXPECT_EQ(ReadOk(path), old);
}

TEST(CheckpointFileTest, MissingFileReadsAsEmpty) {
  TempDir dir;
  EXPECT_TRUE(ReadOk(dir / "absent").empty());
}

TEST(CheckpointFileTest, EmptyFileReadsAsEmpty) {
  TempDir dir;
  WriteFile(dir / "cp", "");
  EXPECT_TRUE(ReadOk(dir / "cp").empty());
}

TEST(CheckpointFileTest, UnreadableFileIsIoErrorNotEmpty) {
  TempDir dir;
  // A directory where the file should be: open succeeds, read fails with EISDIR.
  ASSERT_EQ(::mkdir((dir / "cp").c_str(), 0755), 0);
  Status st = ReadStatus(dir / "cp");
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.sys_errno(), EISDIR);
}

TEST(CheckpointFileTest, EntriesSeparatedByRunsOfWhitespaceAreRead) {
  TempDir dir;
  WriteFile(dir / "cp", "0\n2\nt  0\t\t5\n  u 1 6  \n");
  EXPECT_EQ(ReadOk(dir / "cp"), (OffsetMap{{{"t", 0}, Offset(5)}, {{"u", 1}, Offset(6)}}));
}

TEST(CheckpointFileTest, FileWithoutFinalNewlineIsRead) {
  TempDir dir;
  WriteFile(dir / "cp", "0\n1\nt 0 5");
  EXPECT_EQ(ReadOk(dir / "cp"), (OffsetMap{{{"t", 0}, Offset(5)}}));
}

TEST(CheckpointFileTest, WrongVersionIsCorruption) {
  TempDir dir;
  WriteFile(dir / "cp", "1\n1\nt 0 5\n");
  Status st = ReadStatus(dir / "cp");
  EXPECT_EQ(st.code(), Code::kCorruption);
  EXPECT_NE(st.message().find("unrecognised version"), std::string::npos) << st.message();
}

TEST(CheckpointFileTest, NonNumericVersionIsCorruption) {
  TempDir dir;
  WriteFile(dir / "cp", "zero\n0\n");
  EXPECT_EQ(ReadStatus(dir / "cp").code(), Code::kCorruption);
}

TEST(CheckpointFileTest, MissingCountIsCorruption) {
  TempDir dir;
  WriteFile(dir / "cp", "0\n");
  EXPECT_EQ(ReadStatus(dir / "cp").code(), Code::kCorruption);
}

TEST(CheckpointFileTest, LineWithWrongFieldCountIsCorruption) {
  TempDir dir;
  for (const char* line : {"t 0", "t 0 5 9", "", "   "}) {
    WriteFile(dir / "cp", std::string("0\n1\n") + line + "\n");
    Status st = ReadStatus(dir / "cp");
    EXPECT_EQ(st.code(), Code::kCorruption) << "line '" << line << "'";
    EXPECT_NE(st.message().find("malformed line"), std::string::npos) << st.message();
  }
}

TEST(CheckpointFileTest, LineWithNonNumericFieldIsCorruption) {
  TempDir dir;
  for (const char* line : {"t x 5", "t 0 5x", "t 0 -5", "t -1 5", "t 0 99999999999999999999", "t 2147483648 1"}) {
    WriteFile(dir / "cp", std::string("0\n1\n") + line + "\n");
    Status st = ReadStatus(dir / "cp");
    EXPECT_EQ(st.code(), Code::kCorruption) << "line '" << line << "'";
    EXPECT_NE(st.message().find("malformed line"), std::string::npos) << st.message();
  }
}

TEST(CheckpointFileTest, FewerEntriesThanCountIsCorruption) {
  TempDir dir;
  WriteFile(dir / "cp", "0\n3\nt 0 5\nt 1 6\n");
  EXPECT_EQ(ReadStatus(dir / "cp").code(), Code::kCorruption);
}

TEST(CheckpointFileTest, MoreEntriesThanCountIsCorruption) {
  TempDir dir;
  WriteFile(dir / "cp", "0\n1\nt 0 5\nt 1 6\n");
  EXPECT_EQ(ReadStatus(dir / "cp").code(), Code::kCorruption);
}

TEST(CheckpointFileTest, TornWriteWithoutEntriesIsCorruption) {
  TempDir dir;
  WriteFile(dir / "cp", "0\n2\nt 0 5\nt 1");
  EXPECT_EQ(ReadStatus(dir / "cp").code(), Code::kCorruption);
}

// A checkpoint (Kafka's format, so its checksum lives in a side file) with
// a flipped byte, or a flipped side file, reads as damaged, never as other
// offsets; one without a side file (a Kafka broker's) is read as it is.
TEST(CheckpointFileTest, AFlippedByteIsRefusedAndOneWithoutSideFileIsRead) {
  TempDir dir;
  const std::string path = dir / "recovery-point-offset-checkpoint";
  const OffsetMap offsets{{{"orders", 0}, Offset(123456)}, {{"orders", 1}, Offset(7)}};
  ASSERT_TRUE(WriteCheckpointFile(path, offsets).ok());
  for (const std::string& target : {path, path + ".crc32c"}) {
    const std::string good = ReadFile(target);
    for (size_t i = 0; i < good.size(); ++i) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      WriteFile(target, bad);
      Result<OffsetMap> read = ReadCheckpointFile(path);
      EXPECT_TRUE(!read.ok() || *read == offsets) << target << " byte " << i;
    }
    WriteFile(target, good);
  }
  ASSERT_EQ(::unlink((path + ".crc32c").c_str()), 0);
  Result<OffsetMap> read = ReadCheckpointFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, offsets);
}

TEST(AtomicFileTest, ReadSmallFileOfMissingFileIsNotFound) {
  TempDir dir;
  Result<std::string> read = ReadSmallFile(dir / "absent");
  EXPECT_EQ(read.status().code(), Code::kNotFound);
}

TEST(AtomicFileTest, WriteIntoMissingDirectoryKeepsErrno) {
  TempDir dir;
  Status st = WriteFileAtomically(dir / "no/such/file", "x");
  EXPECT_EQ(st.code(), Code::kIoError);
  EXPECT_EQ(st.sys_errno(), ENOENT);
}

TEST(AtomicFileTest, SyncDirectoryOfMissingDirectoryKeepsErrno) {
  TempDir dir;
  EXPECT_EQ(SyncDirectory(dir / "absent").sys_errno(), ENOENT);
  EXPECT_TRUE(SyncDirectory(dir.path()).ok());
}

TEST(AtomicFileTest, WrittenBytesReadBackExactly) {
  TempDir dir;
  std::string bytes("a\0b\nc", 5);
  ASSERT_TRUE(WriteFileAtomically(dir / "f", bytes).ok());
  Result<std::string> read = ReadSmallFile(dir / "f");
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, bytes);
}

}  // namespace
}  // namespace topicfs::store
