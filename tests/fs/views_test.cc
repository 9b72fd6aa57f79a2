// Views called without a mount: `<p>@<from>[..[<to>]]` resolved on lookup,
// read from their first record, bounded by <to>, following (parked reads,
// poll), and group views committing what they returned.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <string>
#include <vector>

#include "fs/filesystem.h"
#include "tests/fs/fs_fixture.h"

namespace topicfs::fs {
namespace {

class ViewsTest : public FsFixture {
 protected:
  ViewsTest() { use_fake_clock_ = true; }

  void SetUp() override {
    FsFixture::SetUp();
    topic_ = MakeTopic("v");
    part_ = LookupIno(topic_, "0");
  }
  // "line-<i>\n" for i in [from, to), one write each, clock advancing 1 s.
  void AppendLines(int from, int to) {
    for (int i = from; i < to; ++i) {
      Append(part_, "line-" + std::to_string(i) + "\n");
      clock_.Advance(1000);
    }
  }
  std::string Lines(int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s += "line-" + std::to_string(i) + "\n";
    return s;
  }
  int LookupView(const std::string& name, uint64_t* ino) {
    EntryReply e;
    int err = fs_->Lookup(topic_, name, &e);
    *ino = e.ino;
    return err;
  }
  std::string CatView(const std::string& name) { return Cat(LookupIno(topic_, name)); }

  uint64_t topic_ = 0;
  uint64_t part_ = 0;
};

TEST_F(ViewsTest, OffsetStartsAtThatRecordOrTheNextOne) {
  AppendLines(0, 10);
  const std::string all = Lines(0, 10);
  const int64_t third = static_cast<int64_t>(Lines(0, 2).size());
  EXPECT_EQ(CatView("0@" + std::to_string(third)), all.substr(third));
  // Inside the third record: starts at the fourth, as a Kafka fetch would.
  const int64_t fourth = static_cast<int64_t>(Lines(0, 3).size());
  EXPECT_EQ(CatView("0@" + std::to_string(third + 2)), all.substr(fourth));
  EXPECT_EQ(CatView("0@0"), all);
  EXPECT_EQ(CatView("0@999999"), "");
}

TEST_F(ViewsTest, LastRecordsAreWhatTailPrints) {
  AppendLines(0, 20);
  EXPECT_EQ(CatView("0@-3"), Lines(17, 20));
  EXPECT_EQ(CatView("0@-100"), Lines(0, 20));
  EXPECT_EQ(CatView("0@-10..-5"), Lines(10, 15));
}

TEST_F(ViewsTest, TimeRangeReturnsTheRecordsAppendedInside) {
  const int64_t t0 = clock_.Now().value;
  AppendLines(0, 10);  // line-i stamped t0 + i s
  const std::string from = std::to_string(t0 + 3000) + "ms";
  const std::string to = std::to_string(t0 + 7000) + "ms";
  EXPECT_EQ(CatView("0@" + from + ".." + to), Lines(3, 7));
  EXPECT_EQ(CatView("0@" + from), Lines(3, 10));
  EXPECT_EQ(CatView("0@1970-01-01T00:00:00Z..end"), Lines(0, 10));
}

TEST_F(ViewsTest, ViewsOverRemovedSegmentsStartAtTheNextSurvivor) {
  // Small segments, then retention keeps only the newest ~200 bytes.
  ASSERT_TRUE(manager_->SetTopicConfig("v", "internal.segment.bytes", "200").ok());
  AppendLines(0, 40);
  ASSERT_TRUE(manager_->SetTopicConfig("v", "retention.bytes", "200").ok());
  auto deleted = manager_->RunRetention();
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  ASSERT_GT(*deleted, 0);
  auto log = manager_->GetLog("v", 0);
  const int64_t start = log->log_start_offset().value;
  const std::string all = Lines(0, 40);
  ASSERT_GT(start, 0);
  const std::string survivors = all.substr(static_cast<size_t>(start));
  EXPECT_EQ(CatView("0@0"), survivors);
  EXPECT_EQ(CatView("0@" + std::to_string(start / 2)), survivors);
  EXPECT_EQ(CatView("0@-1000"), survivors);
  EXPECT_EQ(CatView("0@1970-01-01T00:00:00Z"), survivors);
  // A group committed inside the removed range resumes at the first survivor.
  ASSERT_EQ(fs_->SetXattr(part_, "user.topicfs.group.g", "7"), 0);
  EXPECT_EQ(CatView("0@group=g"), survivors);
}

TEST_F(ViewsTest, ViewSizeCountsFromItsFirstRecordAndStopsAtItsEnd) {
  AppendLines(0, 10);
  uint64_t ino = 0;
  ASSERT_EQ(LookupView("0@-4", &ino), 0);
  EXPECT_EQ(Size(ino), static_cast<int64_t>(Lines(6, 10).size()));
  AppendLines(10, 12);  // an open-ended view grows with the partition
  EXPECT_EQ(Size(ino), static_cast<int64_t>(Lines(6, 12).size()));
  ASSERT_EQ(LookupView("0@0..-4", &ino), 0);
  EXPECT_EQ(Size(ino), static_cast<int64_t>(Lines(0, 8).size()));
}

TEST_F(ViewsTest, ViewsAreReadOnlyUnlistedAndBadNamesAreENOENT) {
  AppendLines(0, 2);
  uint64_t ino = 0, fh = 0;
  ASSERT_EQ(LookupView("0@0", &ino), 0);
  EXPECT_EQ(fs_->Open(ino, O_WRONLY | O_APPEND, &fh), EPERM);
  std::vector<DirEntry> entries;
  ASSERT_EQ(fs_->ReadDir(topic_, &entries), 0);
  EXPECT_EQ(entries.size(), 3u);  // ".", "..", "0"
  EXPECT_EQ(LookupView("0@soon", &ino), ENOENT);
  EXPECT_EQ(LookupView("1@0", &ino), ENOENT);
  EXPECT_EQ(LookupView("0@0..group=g", &ino), ENOENT);
}

TEST_F(ViewsTest, FollowReadAtTheEndParksUntilAnAppend) {
  AppendLines(0, 2);
  uint64_t fh = OpenFile(LookupIno(topic_, "0@end.."), O_RDONLY);
  std::string out;
  EXPECT_EQ(fs_->Read(fh, 0, 4096, &out), EAGAIN);
  std::atomic<int> woken{0};
  const uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->WaitForData(fh, 0, id, [&](bool data) { woken = data ? 1 : -1; }));
  EXPECT_EQ(woken, 0);
  AppendLines(2, 3);
  EXPECT_TRUE(Eventually([&] { return woken == 1; }));
  EXPECT_EQ(fs_->Read(fh, 0, 4096, &out), 0);
  EXPECT_EQ(out, Lines(2, 3));
  EXPECT_EQ(fs_->Release(fh), 0);
}

TEST_F(ViewsTest, InterruptedWaitIsWokenWithFalseAndAnEarlyCancelRefusesTheWait) {
  uint64_t fh = OpenFile(LookupIno(topic_, "0@end.."), O_RDONLY);
  int woken = 0;
  uint64_t id = fs_->followers().Reserve();
  ASSERT_TRUE(fs_->WaitForData(fh, 0, id, [&](bool data) { woken = data ? 1 : -1; }));
  EXPECT_TRUE(fs_->followers().Cancel(id));
  EXPECT_EQ(woken, -1);
  // An interrupt that comes before the read parks.
  id = fs_->followers().Reserve();
  EXPECT_FALSE(fs_->followers().Cancel(id));
  EXPECT_FALSE(fs_->WaitForData(fh, 0, id, [&](bool) { woken = 2; }));
  EXPECT_EQ(woken, -1);
  EXPECT_EQ(fs_->followers().parked(), 0u);
  EXPECT_EQ(fs_->Release(fh), 0);
}

TEST_F(ViewsTest, PollIsReadyOnlyWhenAFollowViewHasData) {
  AppendLines(0, 1);
  unsigned revents = 0;
  uint64_t plain = OpenFile(part_, O_RDONLY);
  EXPECT_EQ(fs_->Poll(plain, nullptr, &revents), 0);
  EXPECT_TRUE(revents & POLLIN) << "regular files are always readable";
  EXPECT_EQ(fs_->Release(plain), 0);

  uint64_t fh = OpenFile(LookupIno(topic_, "0@end.."), O_RDONLY);
  std::atomic<int> notified{0};
  EXPECT_EQ(fs_->Poll(fh, [&](bool data) { notified += data ? 1 : 100; }, &revents), 0);
  EXPECT_FALSE(revents & POLLIN);
  AppendLines(1, 2);
  EXPECT_TRUE(Eventually([&] { return notified == 1; }));
  EXPECT_EQ(fs_->Poll(fh, nullptr, &revents), 0);
  EXPECT_TRUE(revents & POLLIN);
  EXPECT_EQ(fs_->Release(fh), 0);
}

TEST_F(ViewsTest, DeletingTheTopicWakesFollowersWhoThenSeeENOENT) {
  uint64_t fh = OpenFile(LookupIno(topic_, "0@end.."), O_RDONLY);
  int woken = 0;
  ASSERT_TRUE(fs_->WaitForData(fh, 0, fs_->followers().Reserve(), [&](bool data) { woken = data; }));
  ASSERT_EQ(fs_->RmDir(kRootIno, "v"), 0);
  EXPECT_EQ(woken, 1);
  std::string out;
  EXPECT_EQ(fs_->Read(fh, 0, 4096, &out), ENOENT);
  EXPECT_EQ(fs_->Release(fh), 0);
}

TEST_F(ViewsTest, GroupViewPrintsEachRecordOnceAndCommitsAtClose) {
  AppendLines(0, 5);
  EXPECT_EQ(CatView("0@group=g"), Lines(0, 5));
  EXPECT_EQ(CatView("0@group=g"), "");
  AppendLines(5, 7);
  EXPECT_EQ(CatView("0@group=g"), Lines(5, 7));
  std::string committed;
  ASSERT_EQ(fs_->GetXattr(part_, "user.topicfs.group.g", &committed), 0);
  EXPECT_EQ(committed, std::to_string(Size(part_)));
  std::vector<std::string> names;
  ASSERT_EQ(fs_->ListXattr(part_, &names), 0);
  EXPECT_NE(std::find(names.begin(), names.end(), "user.topicfs.group.g"), names.end());
}

TEST_F(ViewsTest, GroupCommitsOnlyWholeRecords) {
  AppendLines(0, 3);
  uint64_t fh = OpenFile(LookupIno(topic_, "0@group=g"), O_RDONLY);
  std::string out;
  const size_t part_way = Lines(0, 1).size() + 3;  // the first line and part of the second
  ASSERT_EQ(fs_->Read(fh, 0, part_way, &out), 0);
  ASSERT_EQ(fs_->Flush(fh), 0);
  ASSERT_EQ(fs_->Release(fh), 0);
  EXPECT_EQ(CatView("0@group=g"), Lines(1, 3));
}

TEST_F(ViewsTest, GroupPositionsSurviveARemountAndCanBeMovedAndForgotten) {
  AppendLines(0, 4);
  EXPECT_EQ(CatView("0@group=g"), Lines(0, 4));
  Close();
  Open();
  topic_ = LookupIno(kRootIno, "v");
  part_ = LookupIno(topic_, "0");
  AppendLines(4, 5);
  EXPECT_EQ(CatView("0@group=g"), Lines(4, 5));
  // Move it back to the start, to -2, then forget it.
  ASSERT_EQ(fs_->SetXattr(part_, "user.topicfs.group.g", "0"), 0);
  EXPECT_EQ(CatView("0@group=g"), Lines(0, 5));
  ASSERT_EQ(fs_->SetXattr(part_, "user.topicfs.group.g", "-2"), 0);
  EXPECT_EQ(CatView("0@group=g"), Lines(3, 5));
  ASSERT_EQ(fs_->SetXattr(part_, "user.topicfs.group.g", "end"), 0);
  EXPECT_EQ(CatView("0@group=g"), "");
  EXPECT_EQ(fs_->SetXattr(part_, "user.topicfs.group.g", "later"), EINVAL);
  ASSERT_EQ(fs_->RemoveXattr(part_, "user.topicfs.group.g"), 0);
  std::string value;
  EXPECT_EQ(fs_->GetXattr(part_, "user.topicfs.group.g", &value), ENODATA);
  EXPECT_EQ(fs_->RemoveXattr(part_, "user.topicfs.group.g"), ENODATA);
  EXPECT_EQ(CatView("0@group=g"), Lines(0, 5)) << "a forgotten group starts at the log start";
}

TEST_F(ViewsTest, ConsumerOffsetsIsReadOnlyAndKeepsItsForcedConfigs) {
  AppendLines(0, 2);
  EXPECT_EQ(CatView("0@group=g"), Lines(0, 2));
  const uint64_t offsets = LookupIno(kRootIno, "__consumer_offsets");
  EXPECT_EQ(fs_->SetXattr(offsets, "user.topicfs.partitions", "60"), EPERM);
  EXPECT_EQ(fs_->SetXattr(offsets, "user.topicfs.cleanup.policy", "delete"), EPERM);
  EXPECT_EQ(fs_->RemoveXattr(offsets, "user.topicfs.cleanup.policy"), EPERM);
  std::string policy;
  ASSERT_EQ(fs_->GetXattr(offsets, "user.topicfs.cleanup.policy", &policy), 0);
  EXPECT_EQ(policy, "compact");
  uint64_t fh = 0;
  EXPECT_EQ(fs_->Open(LookupIno(offsets, "0"), O_WRONLY | O_APPEND, &fh), EPERM);
  EXPECT_EQ(fs_->RmDir(kRootIno, "__consumer_offsets"), EPERM);
}

}  // namespace
}  // namespace topicfs::fs
