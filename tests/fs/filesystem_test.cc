// The filesystem's operations called directly, without a mount: lookup,
// topics, appends and reads, xattrs, and the errno each refusal carries.

#include "fs/filesystem.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/format/checkpoint_file.h"
#include "store/format/file_names.h"
#include "tests/fs/fs_fixture.h"
#include "tests/common/test_util.h"

namespace topicfs::fs {
namespace {

class FilesystemTest : public FsFixture {};

TEST_F(FilesystemTest, MkdirMakesATopicWithOnePartitionFile) {
  uint64_t topic = MakeTopic("orders");
  std::vector<DirEntry> root, entries;
  ASSERT_EQ(fs_->ReadDir(kRootIno, &root), 0);
  ASSERT_EQ(root.size(), 3u);
  EXPECT_EQ(root[2].name, "orders");
  ASSERT_EQ(fs_->ReadDir(topic, &entries), 0);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].name, "0");
  EntryReply e;
  ASSERT_EQ(fs_->Lookup(topic, "0", &e), 0);
  EXPECT_TRUE(S_ISREG(e.attr.st_mode));
  EXPECT_EQ(e.attr.st_size, 0);
  EXPECT_EQ(e.attr_timeout, 0.0) << "partition sizes must be fresh on every stat";
  EXPECT_EQ(e.attr.st_blksize, 512 * 1024) << "tools size their I/O by it: one FUSE request each";
}

TEST_F(FilesystemTest, LookupOfMissingNamesIsENOENT) {
  uint64_t topic = MakeTopic("t");
  EntryReply e;
  EXPECT_EQ(fs_->Lookup(kRootIno, "nope", &e), ENOENT);
  EXPECT_EQ(fs_->Lookup(topic, "1", &e), ENOENT);
  EXPECT_EQ(fs_->Lookup(topic, "00", &e), ENOENT);
  EXPECT_EQ(fs_->Lookup(topic, "-0", &e), ENOENT);
  EXPECT_EQ(fs_->Lookup(topic, "99999999999", &e), ENOENT);
  EXPECT_EQ(fs_->Lookup(topic, "x", &e), ENOENT);
}

TEST_F(FilesystemTest, InodeNumbersAreStableAcrossRemount) {
  uint64_t topic = MakeTopic("stable");
  uint64_t part = LookupIno(topic, "0");
  Close();
  Open();
  EXPECT_EQ(LookupIno(kRootIno, "stable"), topic);
  EXPECT_EQ(LookupIno(topic, "0"), part);
  EXPECT_NE(topic, part);
  EXPECT_NE(topic, kRootIno);
}

TEST_F(FilesystemTest, TopicNamesFollowKafkaRules) {
  EntryReply e;
  EXPECT_EQ(fs_->MkDir(kRootIno, "a b", &e), EINVAL);
  EXPECT_EQ(fs_->MkDir(kRootIno, "..", &e), EINVAL);
  EXPECT_EQ(fs_->MkDir(kRootIno, std::string(250, 'x'), &e), EINVAL);
  EXPECT_EQ(fs_->MkDir(kRootIno, "__internal", &e), EPERM);
  MakeTopic("dup");
  EXPECT_EQ(fs_->MkDir(kRootIno, "dup", &e), EEXIST);
  uint64_t topic = LookupIno(kRootIno, "dup");
  EXPECT_EQ(fs_->MkDir(topic, "sub", &e), EPERM);
}

TEST_F(FilesystemTest, WritesAppendLinesAndReadsReturnThem) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  Append(part, "one\ntwo\n");
  Append(part, "three\n");
  EXPECT_EQ(Size(part), 14);
  EXPECT_EQ(Cat(part), "one\ntwo\nthree\n");
  EXPECT_EQ(Cat(part, 3), "one\ntwo\nthree\n") << "small reads stitch records together";
}

TEST_F(FilesystemTest, PartialLineIsHeldUntilNewlineOrRelease) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  size_t n;
  ASSERT_EQ(fs_->Write(fh, "ab", &n), 0);
  EXPECT_EQ(Size(part), 0) << "an unfinished line is not a record yet";
  ASSERT_EQ(fs_->Write(fh, "cd\nef", &n), 0);
  EXPECT_EQ(Cat(part), "abcd\n");
  ASSERT_EQ(fs_->Release(fh), 0);
  EXPECT_EQ(Cat(part), "abcd\nef\n") << "release turns the held line into a record";
}

TEST_F(FilesystemTest, WritesIgnoreTheOffsetAndLandAtTheEnd) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  Append(part, "first\n");
  uint64_t a = OpenFile(part, O_WRONLY | O_APPEND);
  uint64_t b = OpenFile(part, O_WRONLY | O_APPEND);
  size_t n;
  ASSERT_EQ(fs_->Write(a, "from a\n", &n), 0);
  ASSERT_EQ(fs_->Write(b, "from b\n", &n), 0);
  fs_->Release(a);
  fs_->Release(b);
  EXPECT_EQ(Cat(part), "first\nfrom a\nfrom b\n");
}

TEST_F(FilesystemTest, AppendOnlyErrnoTable) {
  uint64_t topic = MakeTopic("t");
  uint64_t part = LookupIno(topic, "0");
  uint64_t fh = 0;
  EXPECT_EQ(fs_->Open(part, O_WRONLY, &fh), EPERM) << "write without O_APPEND";
  EXPECT_EQ(fs_->Open(part, O_RDWR, &fh), EPERM);
  EXPECT_EQ(fs_->Open(part, O_WRONLY | O_APPEND | O_TRUNC, &fh), EPERM) << "O_TRUNC";
  EXPECT_EQ(fs_->Open(part, O_RDONLY | O_TRUNC, &fh), EPERM);
  EXPECT_EQ(fs_->Open(topic, O_RDONLY, &fh), EISDIR);
  struct stat attr {}, out {};
  attr.st_size = 0;
  EXPECT_EQ(fs_->SetAttr(part, /*FUSE_SET_ATTR_SIZE*/ 1 << 3, attr, &out), EPERM) << "truncate";
  EXPECT_EQ(fs_->SetAttr(part, /*FUSE_SET_ATTR_MODE*/ 1 << 0, attr, &out), EPERM) << "chmod";
  EXPECT_EQ(fs_->SetAttr(part, /*FUSE_SET_ATTR_MTIME_NOW*/ 1 << 8, attr, &out), 0) << "touch";
  EXPECT_EQ(fs_->RefuseFileChange(topic, "0", "unlink"), EPERM);
  EXPECT_EQ(fs_->RefuseFileChange(topic, "new", "create"), EPERM);
  EXPECT_EQ(fs_->RefuseFileChange(12345, "x", "create"), ENOENT);
  uint64_t reader = OpenFile(part, O_RDONLY);
  size_t n;
  EXPECT_EQ(fs_->Write(reader, "x\n", &n), EBADF);
  fs_->Release(reader);
}

TEST_F(FilesystemTest, OverlongLineIsEMSGSIZEAndAppendsNothing) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.max.message.bytes", "200"), 0);
  uint64_t part = LookupIno(topic, "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  size_t n;
  std::string data = "short\n" + std::string(300, 'x') + "\n";
  EXPECT_EQ(fs_->Write(fh, data, &n), EMSGSIZE);
  EXPECT_EQ(fs_->Write(fh, std::string(300, 'y'), &n), EMSGSIZE) << "an unfinished line too";
  fs_->Release(fh);
  EXPECT_EQ(Size(part), 0);
}

// ---- Refused writes: nothing of a refused line is appended, now or at close ----

// The default max.message.bytes (1048588) takes a line of up to 1,048,516
// bytes: a million-byte line fits, a mebibyte does not.
constexpr size_t kMiB = 1024 * 1024;

// Write() with the count checked: a successful write takes all of it.
int WriteErr(Filesystem& fs, uint64_t fh, std::string_view data) {
  size_t written = 0;
  int err = fs.Write(fh, data, &written);
  if (err == 0) {
    EXPECT_EQ(written, data.size());
  }
  return err;
}

TEST_F(FilesystemTest, CatSizedWritesOfAnOverlongLineAreRefusedAndNothingIsAppendedAtClose) {
  // cat writes 128 KiB (or the file's 512 KiB st_blksize) at a time, stops
  // at the first error and closes: the bytes already held must not become a
  // record then.
  for (size_t chunk : {128 * size_t{1024}, 512 * size_t{1024}}) {
    SCOPED_TRACE(chunk);
    uint64_t part = LookupIno(MakeTopic("cat" + std::to_string(chunk)), "0");
    Append(part, "before\n");
    const std::string line = std::string(1'500'000, 'L') + "\n";
    uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
    size_t refused_at = 0;
    int err = 0;
    for (size_t at = 0; at < line.size(); at += chunk, ++refused_at) {
      err = WriteErr(*fs_, fh, std::string_view(line).substr(at, chunk));
      if (err != 0) break;
    }
    EXPECT_EQ(err, EMSGSIZE);
    EXPECT_EQ(refused_at, kMiB / chunk - 1) << "refused at the write that holds 1 MiB of the line";
    EXPECT_EQ(Size(part), 7);
    EXPECT_EQ(fs_->Flush(fh), EMSGSIZE) << "close(2) reports that the line was refused";
    EXPECT_EQ(fs_->Release(fh), EMSGSIZE);
    EXPECT_EQ(Size(part), 7);
    EXPECT_EQ(Cat(part), "before\n");
  }
}

TEST_F(FilesystemTest, WriteOfAnUnfinishedLineThatCannotFitIsRefusedWhole) {
  // The first 1 MiB piece of write(2) of "ok line\n" + 2,000,000 bytes + "\n":
  // its unfinished line can already never be a record, so the piece is
  // refused, "ok line" too, and write(2) fails with EMSGSIZE.
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  const std::string first_piece = "ok line\n" + std::string(kMiB - 8, 'x');
  EXPECT_EQ(WriteErr(*fs_, fh, first_piece), EMSGSIZE);
  EXPECT_EQ(Size(part), 0) << "nothing of the refused write, not even its complete line";
  EXPECT_EQ(fs_->Flush(fh), EMSGSIZE);
  EXPECT_EQ(fs_->Release(fh), EMSGSIZE);
  EXPECT_EQ(Size(part), 0);
}

TEST_F(FilesystemTest, WritesThatContinueARefusedLineAreRefusedUpToAndIncludingItsNewline) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  Append(part, "before\n");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "ok line\n" + std::string(kMiB - 8, 'x')), EMSGSIZE);
  EXPECT_EQ(WriteErr(*fs_, fh, std::string(100, 'x')), EMSGSIZE) << "more of the refused line";
  EXPECT_EQ(fs_->Flush(fh), EMSGSIZE) << "a close while the line is being refused";
  EXPECT_EQ(WriteErr(*fs_, fh, "x"), EMSGSIZE) << "another descriptor of the file goes on";
  EXPECT_EQ(WriteErr(*fs_, fh, "xx\nafter\ntail"), EMSGSIZE)
      << "the write holding its newline is refused too, with all it holds";
  EXPECT_EQ(Size(part), 7);
  EXPECT_EQ(WriteErr(*fs_, fh, "fresh\n"), 0) << "the next write starts a new line";
  EXPECT_EQ(fs_->Flush(fh), 0);
  EXPECT_EQ(fs_->Release(fh), 0);
  EXPECT_EQ(Cat(part), "before\nfresh\n");
}

TEST_F(FilesystemTest, TwelveWritesOfOneLineAreRefusedFromTheOneThatOutgrowsAnyRecord) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  const std::string piece(100'000, 'p');
  for (int i = 1; i <= 12; ++i) {
    EXPECT_EQ(WriteErr(*fs_, fh, piece), i <= 10 ? 0 : EMSGSIZE) << "write " << i;
  }
  EXPECT_EQ(Size(part), 0);
  EXPECT_EQ(fs_->Flush(fh), EMSGSIZE);
  EXPECT_EQ(fs_->Release(fh), EMSGSIZE);
  EXPECT_EQ(Size(part), 0) << "the million bytes held before the refusal are not a record";
}

TEST_F(FilesystemTest, AfterARefusedWriteNothingOfItOrOfTheHeldLineIsKept) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.max.message.bytes", "200"), 0);
  uint64_t part = LookupIno(topic, "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "abc"), 0);
  EXPECT_EQ(WriteErr(*fs_, fh, "def\n" + std::string(300, 'x') + "\nok\n"), EMSGSIZE);
  EXPECT_EQ(Size(part), 0);
  EXPECT_EQ(WriteErr(*fs_, fh, "ghi\n"), 0) << "the held \"abc\" went with the refused write";
  ASSERT_EQ(WriteErr(*fs_, fh, "p"), 0);
  EXPECT_EQ(WriteErr(*fs_, fh, "q\n" + std::string(300, 'y') + "\ntail"), EMSGSIZE);
  EXPECT_EQ(WriteErr(*fs_, fh, "end\n"), 0) << "the refused write's unfinished tail is not held";
  EXPECT_EQ(fs_->Flush(fh), 0);
  EXPECT_EQ(fs_->Release(fh), 0);
  EXPECT_EQ(Cat(part), "ghi\nend\n");
}

TEST_F(FilesystemTest, ALineRefusedAtItsNewlineThatBeganEarlierIsRefusedWhenItsRestComesAgain) {
  // A write(2) over 1 MiB from an unaligned buffer: its first piece (less
  // than 1 MiB) held the line's start and was appended, the second ends the
  // line and is refused, and write(2) returns a short count; the writer
  // then sends the rest again. That must not become a record either.
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.max.message.bytes", "200"), 0);
  uint64_t part = LookupIno(topic, "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "ok line\n" + std::string(100, 'x')), 0) << "the first piece";
  const std::string rest = std::string(150, 'x') + "\nnext\n";
  EXPECT_EQ(WriteErr(*fs_, fh, rest), EMSGSIZE) << "the second piece";
  EXPECT_EQ(fs_->Flush(fh), EMSGSIZE);
  EXPECT_EQ(WriteErr(*fs_, fh, rest), EMSGSIZE) << "the retry of the short count";
  EXPECT_EQ(Cat(part), "ok line\n");
  EXPECT_EQ(WriteErr(*fs_, fh, "fresh\n"), 0);
  EXPECT_EQ(fs_->Flush(fh), 0);
  EXPECT_EQ(fs_->Release(fh), 0);
  EXPECT_EQ(Cat(part), "ok line\nfresh\n");
}

TEST_F(FilesystemTest, CloseReportsAKeylessLastLineOnACompactedTopic) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.key.separator", ":"), 0);
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.cleanup.policy", "compact"), 0);
  uint64_t part = LookupIno(topic, "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "k:v\nnokey"), 0) << "its key may still come";
  EXPECT_EQ(Size(part), 4);
  EXPECT_EQ(fs_->Flush(fh), EINVAL) << "close(2) says the last line cannot be appended";
  EXPECT_EQ(fs_->Release(fh), EINVAL);
  EXPECT_EQ(Cat(part), "k:v\n");
}

TEST_F(FilesystemTest, AFlushThatReportsTheHeldLineKeepsItForAnotherDescriptorToFinish) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.key.separator", ":"), 0);
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.cleanup.policy", "compact"), 0);
  uint64_t part = LookupIno(topic, "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "key"), 0);
  EXPECT_EQ(fs_->Flush(fh), EINVAL) << "one descriptor closed with the line keyless";
  ASSERT_EQ(WriteErr(*fs_, fh, ":value\n"), 0) << "another one finishes it";
  EXPECT_EQ(fs_->Flush(fh), 0);
  EXPECT_EQ(fs_->Release(fh), 0);
  EXPECT_EQ(Cat(part), "key:value\n");
}

TEST_F(FilesystemTest, FlushOfAnAppendableHeldLineSucceedsAndLeavesItForRelease) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "abc"), 0);
  EXPECT_EQ(fs_->Flush(fh), 0);
  EXPECT_EQ(Size(part), 0) << "a close is not the last close";
  EXPECT_EQ(fs_->Release(fh), 0);
  EXPECT_EQ(Cat(part), "abc\n");
}

TEST_F(FilesystemTest, FlushOfAHeldLineThatNoLongerFitsIsEMSGSIZE) {
  uint64_t topic = MakeTopic("t");
  uint64_t part = LookupIno(topic, "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, std::string(500, 'x')), 0);
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.max.message.bytes", "200"), 0);
  EXPECT_EQ(fs_->Flush(fh), EMSGSIZE);
  EXPECT_EQ(fs_->Release(fh), EMSGSIZE);
  EXPECT_EQ(Size(part), 0);
}

TEST_F(FilesystemTest, FlushOfAHeldLineOfADeletedPartitionIsENOENT) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "held"), 0);
  ASSERT_EQ(fs_->RmDir(kRootIno, "t"), 0);
  EXPECT_EQ(fs_->Flush(fh), ENOENT);
  EXPECT_EQ(fs_->Release(fh), ENOENT);
}

TEST_F(FilesystemTest, ReadOnlyFilesFlushWithoutError) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  uint64_t fh = OpenFile(part, O_RDONLY);
  EXPECT_EQ(fs_->Flush(fh), 0);
  EXPECT_EQ(fs_->Release(fh), 0);
}

class FencedFilesystemTest : public FsFixture {
 protected:
  FencedFilesystemTest() { io_ = &faults_; }
  store::FaultInjectingFileIo faults_;
};

TEST_F(FencedFilesystemTest, FlushOfAHeldLineOfAFencedPartitionIsEIO) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(WriteErr(*fs_, fh, "a\n"), 0);
  faults_.FailWriteAfter(0, EIO);
  EXPECT_EQ(WriteErr(*fs_, fh, "b\n"), EIO) << "the failed write fences the partition";
  faults_.Clear();
  ASSERT_EQ(WriteErr(*fs_, fh, "held"), 0) << "an unfinished line is judged by its size only";
  EXPECT_EQ(fs_->Flush(fh), EIO);
  EXPECT_EQ(fs_->Release(fh), EIO);
  EXPECT_EQ(Size(part), 2);
}

TEST_F(FilesystemTest, ReadCrossesSegmentBoundaries) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.internal.segment.bytes", "200"), 0);
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.segment.index.bytes", "4096"), 0);
  uint64_t part = LookupIno(topic, "0");
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    std::string line = "record number " + std::to_string(i) + "\n";
    Append(part, line);
    expected += line;
  }
  EXPECT_GT(manager_->GetLog("t", 0)->Segments().size(), 3u);
  EXPECT_EQ(Cat(part, 1 << 20), expected) << "one big read spans segments";
  uint64_t fh = OpenFile(part, O_RDONLY);
  std::string out;
  ASSERT_EQ(fs_->Read(fh, 100, 50, &out), 0);
  EXPECT_EQ(out, expected.substr(100, 50)) << "a read at a position returns the bytes stored there";
  fs_->Release(fh);
}

TEST_F(FilesystemTest, ReadInARemovedRangeContinuesAtTheNextSurvivor) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.internal.segment.bytes", "200"), 0);
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.segment.index.bytes", "4096"), 0);
  uint64_t part = LookupIno(topic, "0");
  std::string expected;
  for (int i = 0; i < 20; ++i) {
    std::string line = "line-" + std::to_string(100 + i) + "\n";
    Append(part, line);
    expected += line;
  }
  auto segments = manager_->GetLog("t", 0)->Segments();
  ASSERT_GT(segments.size(), 2u);
  store::Offset start = segments[1]->base_offset();
  Close();
  // Remove the first segment as retention would and record the new start.
  std::string dir = dir_.path() + "/t-0";
  for (auto suffix : {store::kLogSuffix, store::kIndexSuffix, store::kTimeIndexSuffix}) {
    std::filesystem::remove(store::SegmentFilePath(dir, store::Offset(0), suffix));
  }
  ASSERT_TRUE(store::WriteCheckpointFile(dir_.path() + "/log-start-offset-checkpoint",
                                         {{{"t", 0}, start}})
                  .ok());
  Open();
  part = LookupIno(LookupIno(kRootIno, "t"), "0");
  EXPECT_EQ(Size(part), static_cast<int64_t>(expected.size())) << "st_size never shrinks";
  std::string survivors = expected.substr(static_cast<size_t>(start.value));
  EXPECT_EQ(Cat(part, 7), survivors) << "a sequential reader sees survivors back to back";
  uint64_t fh = OpenFile(part, O_RDONLY);
  std::string out;
  ASSERT_EQ(fs_->Read(fh, 3, 10, &out), 0);
  EXPECT_EQ(out, survivors.substr(0, 10));
  fs_->Release(fh);
  std::string value;
  ASSERT_EQ(fs_->GetXattr(part, "user.topicfs.log_start_offset", &value), 0);
  EXPECT_EQ(value, std::to_string(start.value));
}

TEST_F(FilesystemTest, TopicXattrsValidateAndChangeNothingWhenRefused) {
  uint64_t topic = MakeTopic("t");
  std::string value;
  ASSERT_EQ(fs_->GetXattr(topic, "user.topicfs.retention.ms", &value), 0);
  EXPECT_EQ(value, "604800000");
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.retention.ms", "3600000"), 0);
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.retention.ms", "abc"), EINVAL);
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.segment.bytes", "1"), ERANGE);
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.cleanup.policy", "shred"), EINVAL);
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.no.such", "1"), EINVAL);
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.min.compaction.lag.ms", "10"), 0);
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.max.compaction.lag.ms", "5"), EINVAL);
  EXPECT_EQ(fs_->SetXattr(topic, "security.selinux", "x"), ENOTSUP);
  ASSERT_EQ(fs_->GetXattr(topic, "user.topicfs.retention.ms", &value), 0);
  EXPECT_EQ(value, "3600000");
  EXPECT_EQ(fs_->GetXattr(topic, "security.capability", &value), ENODATA);
  EXPECT_EQ(fs_->GetXattr(topic, "user.other", &value), ENODATA);
  EXPECT_EQ(fs_->RemoveXattr(topic, "user.topicfs.retention.ms"), 0);
  ASSERT_EQ(fs_->GetXattr(topic, "user.topicfs.retention.ms", &value), 0);
  EXPECT_EQ(value, "604800000") << "removing restores the default";
  EXPECT_EQ(fs_->RemoveXattr(topic, "user.topicfs.retention.ms"), ENODATA);
}

TEST_F(FilesystemTest, XattrsSurviveRemountAndRootSetsDefaults) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.cleanup.policy", "compact"), 0);
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.key.separator", ":"), 0);
  ASSERT_EQ(fs_->SetXattr(kRootIno, "user.topicfs.retention.ms", "1000"), 0);
  Close();
  Open();
  topic = LookupIno(kRootIno, "t");
  std::string value;
  ASSERT_EQ(fs_->GetXattr(topic, "user.topicfs.cleanup.policy", &value), 0);
  EXPECT_EQ(value, "compact");
  ASSERT_EQ(fs_->GetXattr(topic, "user.topicfs.retention.ms", &value), 0);
  EXPECT_EQ(value, "1000") << "a root default applies to topics without an override";
  uint64_t other = MakeTopic("u");
  ASSERT_EQ(fs_->GetXattr(other, "user.topicfs.retention.ms", &value), 0);
  EXPECT_EQ(value, "1000");
  std::vector<std::string> names;
  ASSERT_EQ(fs_->ListXattr(topic, &names), 0);
  EXPECT_NE(std::find(names.begin(), names.end(), "user.topicfs.key.separator"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "user.topicfs.partitions"), names.end());
}

TEST_F(FilesystemTest, RaisingPartitionsCreatesFilesAtOnceAndLoweringIsRefused) {
  uint64_t topic = MakeTopic("t");
  ASSERT_EQ(fs_->SetXattr(topic, "user.topicfs.partitions", "4"), 0);
  std::vector<DirEntry> entries;
  ASSERT_EQ(fs_->ReadDir(topic, &entries), 0);
  EXPECT_EQ(entries.size(), 2u + 4u);
  LookupIno(topic, "3");
  EXPECT_EQ(fs_->SetXattr(topic, "user.topicfs.partitions", "2"), EINVAL);
  ASSERT_EQ(fs_->ReadDir(topic, &entries), 0);
  EXPECT_EQ(entries.size(), 2u + 4u);
}

TEST_F(FilesystemTest, PartitionFiguresAreReadOnly) {
  uint64_t part = LookupIno(MakeTopic("t"), "0");
  Append(part, "a\nbb\n");
  std::string value;
  ASSERT_EQ(fs_->GetXattr(part, "user.topicfs.log_end_offset", &value), 0);
  EXPECT_EQ(value, "5");
  ASSERT_EQ(fs_->GetXattr(part, "user.topicfs.records", &value), 0);
  EXPECT_EQ(value, "2");
  EXPECT_EQ(fs_->SetXattr(part, "user.topicfs.records", "0"), EPERM);
  EXPECT_EQ(fs_->RemoveXattr(part, "user.topicfs.records"), EPERM);
  uint64_t fh = OpenFile(part, O_WRONLY | O_APPEND);
  ASSERT_EQ(fs_->Fsync(fh), 0);
  fs_->Release(fh);
  ASSERT_EQ(fs_->GetXattr(part, "user.topicfs.recovery_point", &value), 0);
  EXPECT_EQ(value, "5") << "fsync makes everything appended durable";
}

TEST_F(FilesystemTest, RmdirDeletesTheTopicAndItsData) {
  uint64_t topic = MakeTopic("gone");
  Append(LookupIno(topic, "0"), "data\n");
  EXPECT_EQ(fs_->RmDir(kRootIno, "gone"), 0);
  EntryReply e;
  EXPECT_EQ(fs_->Lookup(kRootIno, "gone", &e), ENOENT);
  EXPECT_EQ(fs_->RmDir(kRootIno, "gone"), ENOENT);
  uint64_t again = MakeTopic("gone");
  EXPECT_EQ(Size(LookupIno(again, "0")), 0);
}

TEST_F(FilesystemTest, StatFsReportsTheDataDirectorysFilesystem) {
  struct statvfs st {};
  ASSERT_EQ(fs_->StatFs(&st), 0);
  EXPECT_GT(st.f_blocks, 0u);
  EXPECT_EQ(st.f_namemax, 249u);
}

}  // namespace
}  // namespace topicfs::fs
