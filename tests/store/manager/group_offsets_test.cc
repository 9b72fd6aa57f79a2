// Consumer groups' committed positions as records of __consumer_offsets
// through a real LogManager: creation on first commit with Kafka's forced
// configs, the record each commit writes, latest-wins, tombstones, reopen,
// compaction, deleted topics, concurrent commits.

#include "store/manager/group_offsets.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "store/format/consumer_offsets_format.h"
#include "store/log/log_segment.h"
#include "tests/common/test_util.h"

namespace topicfs::store {
namespace {

namespace co = consumer_offsets;
using testing::TempDir;

// One record of a __consumer_offsets partition, decoded.
struct CommitRecord {
  Offset offset;
  co::OffsetCommitKey key;
  std::optional<co::OffsetCommitValue> value;  // nullopt: tombstone
  std::string raw_key;
};

std::vector<CommitRecord> RecordsOf(const Log& log) {
  std::vector<CommitRecord> out;
  for (const auto& segment : log.Segments()) {
    auto batches = segment->Batches();
    EXPECT_TRUE(batches.ok());
    for (const auto& loc : *batches) {
      Status s = segment->ForEachRecord(loc, [&](const RecordView& r) {
        CommitRecord c;
        c.offset = r.offset;
        EXPECT_TRUE(r.key.has_value());
        c.raw_key = std::string(*r.key);
        auto key = co::DecodeKey(*r.key);
        EXPECT_TRUE(key.ok() && key->has_value());
        c.key = **key;
        if (r.value) {
          auto value = co::DecodeValue(*r.value);
          EXPECT_TRUE(value.ok()) << value.status().ToString();
          c.value = *value;
        }
        out.push_back(std::move(c));
      });
      EXPECT_TRUE(s.ok()) << s.ToString();
    }
  }
  return out;
}

class GroupOffsetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpenAll();
    ASSERT_TRUE(manager_->CreateTopic("orders", {{"partitions", "2"}}).ok());
    ASSERT_TRUE(manager_->CreateTopic("other").ok());
  }

  void OpenAll() {
    LogManager::Options o;
    o.data_dir = tmp_ / "data";
    o.clock = &clock_;
    auto m = LogManager::Open(o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    manager_ = std::move(m).value();
    auto g = GroupOffsets::Open(*manager_, clock_);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    groups_ = std::move(g).value();
  }

  void Reopen() {
    groups_.reset();
    ASSERT_TRUE(manager_->Close().ok());
    manager_.reset();
    OpenAll();
  }

  std::shared_ptr<Log> OffsetsLog(std::string_view group) {
    return manager_->GetLog(co::kTopic, co::PartitionForGroup(group, 50));
  }

  void Commit(std::string_view group, const TopicPartition& tp, int64_t offset) {
    Status s = groups_->Commit(group, tp, Offset(offset));
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  TempDir tmp_;
  FakeClock clock_;
  std::unique_ptr<LogManager> manager_;
  std::unique_ptr<GroupOffsets> groups_;
  const TopicPartition orders0_{"orders", 0};
  const TopicPartition orders1_{"orders", 1};
  const TopicPartition other0_{"other", 0};
};

TEST_F(GroupOffsetsTest, OpenWithoutAnyCommitCreatesNothing) {
  EXPECT_FALSE(manager_->TopicExists(co::kTopic));
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  EXPECT_TRUE(groups_->Groups(orders0_).empty());
  Reopen();
  EXPECT_FALSE(manager_->TopicExists(co::kTopic));
}

TEST_F(GroupOffsetsTest, FirstCommitCreatesTheInternalTopicWithKafkasForcedConfigs) {
  Commit("billing", orders0_, 42);
  ASSERT_TRUE(manager_->TopicExists(co::kTopic));
  EXPECT_EQ(*manager_->PartitionCount(co::kTopic), 50);
  auto config = manager_->TopicConfig(co::kTopic);
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->cleanup_compact);
  EXPECT_FALSE(config->cleanup_delete);
  EXPECT_EQ(config->segment_bytes, 104857600);
  // Creating again is a no-op; a user topic name is refused on this path.
  EXPECT_TRUE(manager_->EnsureInternalTopic(co::kTopic, {{"cleanup.policy", "compact"}}).ok());
  EXPECT_EQ(manager_->EnsureInternalTopic("orders2", {}).code(), Code::kInvalidArgument);
  EXPECT_FALSE(manager_->TopicExists("orders2"));
}

TEST_F(GroupOffsetsTest, CommitWritesOneKafkaRecordToTheGroupsPartition) {
  Commit("billing", orders1_, 4242);
  ASSERT_EQ(co::PartitionForGroup("billing", 50), 9);
  for (int32_t p = 0; p < 50; ++p) {
    auto log = manager_->GetLog(co::kTopic, p);
    ASSERT_NE(log, nullptr);
    if (p != 9) {
      EXPECT_EQ(log->log_end_offset(), Offset(0)) << p;
    }
  }
  auto records = RecordsOf(*OffsetsLog("billing"));
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].raw_key, co::EncodeKey({"billing", "orders", 1}));
  ASSERT_TRUE(records[0].value.has_value());
  EXPECT_EQ(records[0].value->version, 3);
  EXPECT_EQ(records[0].value->offset, 4242);
  EXPECT_EQ(records[0].value->leader_epoch, -1);
  EXPECT_EQ(records[0].value->metadata, "");
  EXPECT_EQ(records[0].value->commit_timestamp, clock_.Now().value);
  // Committed means fsynced: the recovery point is at the log end.
  EXPECT_EQ(OffsetsLog("billing")->recovery_point(), OffsetsLog("billing")->log_end_offset());
  EXPECT_EQ(groups_->Committed("billing", orders1_), Offset(4242));
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
}

TEST_F(GroupOffsetsTest, LatestCommitWinsAndSurvivesReopen) {
  for (int64_t offset : {10, 30, 20, 0, 77}) Commit("billing", orders0_, offset);
  Commit("billing", orders1_, 5);
  Commit("audit", orders0_, 9);
  EXPECT_EQ(groups_->Committed("billing", orders0_), Offset(77));
  Reopen();
  EXPECT_EQ(groups_->Committed("billing", orders0_), Offset(77));
  EXPECT_EQ(groups_->Committed("billing", orders1_), Offset(5));
  EXPECT_EQ(groups_->Committed("audit", orders0_), Offset(9));
  EXPECT_TRUE(groups_->warnings().empty());
}

TEST_F(GroupOffsetsTest, GroupsListsThePartitionsGroupsSorted) {
  for (const char* g : {"zeta", "alpha", "Mid", "caf\xc3\xa9"}) Commit(g, orders0_, 1);
  Commit("only-one", orders1_, 1);
  EXPECT_EQ(groups_->Groups(orders0_), (std::vector<std::string>{"Mid", "alpha", "caf\xc3\xa9", "zeta"}));
  EXPECT_EQ(groups_->Groups(orders1_), (std::vector<std::string>{"only-one"}));
  EXPECT_TRUE(groups_->Groups(other0_).empty());
}

TEST_F(GroupOffsetsTest, ForgetWritesATombstoneAndStaysForgottenAfterReopen) {
  Commit("billing", orders0_, 10);
  Commit("billing", orders1_, 11);
  ASSERT_TRUE(groups_->Forget("billing", orders0_).ok());
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  EXPECT_EQ(groups_->Committed("billing", orders1_), Offset(11));
  auto records = RecordsOf(*OffsetsLog("billing"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].raw_key, co::EncodeKey({"billing", "orders", 0}));
  EXPECT_FALSE(records[2].value.has_value());
  // Forgetting what is not there writes nothing.
  ASSERT_TRUE(groups_->Forget("billing", orders0_).ok());
  ASSERT_TRUE(groups_->Forget("nobody", orders0_).ok());
  EXPECT_EQ(RecordsOf(*OffsetsLog("billing")).size(), 3u);
  Reopen();
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  EXPECT_EQ(groups_->Committed("billing", orders1_), Offset(11));
  EXPECT_EQ(groups_->Groups(orders0_), std::vector<std::string>{});
}

TEST_F(GroupOffsetsTest, BadGroupNamesAreRefusedAndWriteNothing) {
  const std::string longest(255, 'g');
  for (const std::string& bad : {std::string(), std::string(256, 'g'), std::string("a/b"),
                                 std::string("a\0b", 3)}) {
    EXPECT_EQ(groups_->Commit(bad, orders0_, Offset(1)).code(), Code::kInvalidArgument) << bad;
    EXPECT_EQ(groups_->Forget(bad, orders0_).code(), Code::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(manager_->TopicExists(co::kTopic));
  Commit(longest, orders0_, 1);
  Commit("\xff\xfe not UTF-8 but a file name", orders0_, 2);
  Reopen();
  EXPECT_EQ(groups_->Committed(longest, orders0_), Offset(1));
  EXPECT_EQ(groups_->Committed("\xff\xfe not UTF-8 but a file name", orders0_), Offset(2));
}

TEST_F(GroupOffsetsTest, CommitsForMissingPartitionsOrNegativeOffsetsAreRefused) {
  EXPECT_EQ(groups_->Commit("g", {"nope", 0}, Offset(1)).code(), Code::kNotFound);
  EXPECT_EQ(groups_->Commit("g", {"orders", 2}, Offset(1)).code(), Code::kNotFound);
  EXPECT_EQ(groups_->Commit("g", {"orders", -1}, Offset(1)).code(), Code::kNotFound);
  EXPECT_EQ(groups_->Commit("g", orders0_, Offset(-1)).code(), Code::kInvalidArgument);
  EXPECT_FALSE(manager_->TopicExists(co::kTopic));
}

TEST_F(GroupOffsetsTest, ForgetTopicForgetsEveryGroupOfTheTopicOnly) {
  for (const char* g : {"a", "b", "billing"}) {
    Commit(g, orders0_, 1);
    Commit(g, orders1_, 2);
  }
  Commit("a", other0_, 3);
  ASSERT_TRUE(manager_->DeleteTopic("orders").ok());
  ASSERT_TRUE(groups_->ForgetTopic("orders").ok());
  EXPECT_TRUE(groups_->Groups(orders0_).empty());
  EXPECT_TRUE(groups_->Groups(orders1_).empty());
  EXPECT_EQ(groups_->Committed("a", other0_), Offset(3));
  ASSERT_TRUE(manager_->CreateTopic("orders", {{"partitions", "2"}}).ok());
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  Reopen();
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  EXPECT_FALSE(groups_->Committed("a", orders1_).has_value());
  EXPECT_EQ(groups_->Committed("a", other0_), Offset(3));
  // Each forgotten position is a tombstone after its commit.
  auto records = RecordsOf(*OffsetsLog("billing"));
  ASSERT_EQ(records.size(), 4u);
  EXPECT_FALSE(records[2].value.has_value());
  EXPECT_FALSE(records[3].value.has_value());
}

TEST_F(GroupOffsetsTest, OpenForgetsPositionsOfATopicDeletedWithoutForgetTopic) {
  Commit("billing", orders0_, 1);
  Commit("billing", other0_, 2);
  ASSERT_TRUE(manager_->DeleteTopic("orders").ok());  // then a crash, say
  Reopen();
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  EXPECT_EQ(groups_->Committed("billing", other0_), Offset(2));
  auto records = RecordsOf(*OffsetsLog("billing"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_FALSE(records[2].value.has_value());
}

TEST_F(GroupOffsetsTest, CompactionKeepsTheLatestPerGroupAndPartition) {
  // One group's positions in three partitions, committed many times, one
  // of them forgotten at the end.
  for (int i = 1; i <= 20; ++i) {
    clock_.Advance(1000);
    Commit("billing", orders0_, i * 10);
    Commit("billing", orders1_, i * 100);
    Commit("billing", other0_, i);
  }
  ASSERT_TRUE(groups_->Forget("billing", other0_).ok());
  auto log = OffsetsLog("billing");
  ASSERT_TRUE(log->Roll().ok());  // the active segment is never cleaned
  auto cleaned = manager_->RunCleaner();
  ASSERT_TRUE(cleaned.ok()) << cleaned.status().ToString();
  ASSERT_TRUE(cleaned->has_value());
  EXPECT_GT((*cleaned)->segments_cleaned, 0);

  auto records = RecordsOf(*log);
  ASSERT_EQ(records.size(), 3u);  // two latest commits and the tombstone
  EXPECT_EQ(records[0].key.partition, 0);
  EXPECT_EQ(records[0].value->offset, 200);
  EXPECT_EQ(records[1].key.partition, 1);
  EXPECT_EQ(records[1].value->offset, 2000);
  EXPECT_EQ(records[2].key.topic, "other");
  EXPECT_FALSE(records[2].value.has_value());

  // Past delete.retention.ms the next cleaning drops the tombstone too.
  clock_.Advance(manager_->TopicConfig(co::kTopic)->delete_retention_ms + 1);
  Commit("billing", orders0_, 999);
  ASSERT_TRUE(log->Roll().ok());
  ASSERT_TRUE(manager_->cleaner().Clean(*log).ok());
  records = RecordsOf(*log);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].value->offset, 2000);
  EXPECT_EQ(records[1].value->offset, 999);

  Reopen();
  EXPECT_EQ(groups_->Committed("billing", orders0_), Offset(999));
  EXPECT_EQ(groups_->Committed("billing", orders1_), Offset(2000));
  EXPECT_FALSE(groups_->Committed("billing", other0_).has_value());
}

TEST_F(GroupOffsetsTest, LoadingSkipsOtherRecordTypesAndReadsOldValueVersions) {
  Commit("billing", orders1_, 1);  // creates the topic
  auto log = OffsetsLog("billing");
  const std::string group_metadata_key("\x00\x02\x00\x07" "billing", 11);
  const std::string v0_key = [] {
    std::string k = co::EncodeKey({"billing", "orders", 0});
    k[1] = 0;  // key version 0
    return k;
  }();
  const std::string v0_value("\x00\x00" "\x00\x00\x00\x00\x00\x00\x01\x00" "\x00\x00"
                             "\x00\x00\x00\x00\x00\x00\x00\x07", 20);  // offset 256
  const std::string truncated_key("\x00\x01\x00\x07" "bil", 7);
  std::vector<KeyValue> records = {{group_metadata_key, "opaque group metadata"},
                                   {v0_key, v0_value},
                                   {truncated_key, "x"},
                                   {std::nullopt, "keyless"}};
  // A keyless record is refused on the compacted topic, and takes the
  // whole append with it.
  EXPECT_EQ(log->AppendRecords(records).status().code(), Code::kInvalidArgument);
  std::vector<KeyValue> keyed(records.begin(), records.begin() + 3);
  ASSERT_TRUE(log->AppendRecords(keyed).ok());
  Reopen();
  EXPECT_EQ(groups_->Committed("billing", orders0_), Offset(256));
  EXPECT_EQ(groups_->Committed("billing", orders1_), Offset(1));
  // The truncated key, and the group metadata value that is not one (the
  // positions load all the same).
  ASSERT_EQ(groups_->warnings().size(), 2u);
  EXPECT_NE(groups_->warnings()[0].find("group metadata of billing"), std::string::npos) << groups_->warnings()[0];
  EXPECT_NE(groups_->warnings()[1].find("__consumer_offsets-9"), std::string::npos) << groups_->warnings()[1];
  EXPECT_TRUE(groups_->LoadedGroupMetadata().empty());
}

TEST_F(GroupOffsetsTest, CommitAllWritesOneBatchAndKeepsEpochAndMetadata) {
  std::vector<GroupOffsets::PositionCommit> commits = {{orders0_, Offset(10), 3, "m0"},
                                                       {orders1_, Offset(20), -1, ""}};
  ASSERT_TRUE(groups_->CommitAll("billing", commits).ok());
  auto batches = OffsetsLog("billing")->Segments().back()->Batches();
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(batches->size(), 1u);  // all or nothing: one append
  Reopen();
  auto p0 = groups_->CommittedPosition("billing", orders0_);
  ASSERT_TRUE(p0.has_value());
  EXPECT_EQ(p0->offset, Offset(10));
  EXPECT_EQ(p0->leader_epoch, 3);
  EXPECT_EQ(p0->metadata, "m0");
  EXPECT_EQ(p0->commit_timestamp_ms, clock_.Now().value);
  EXPECT_EQ(groups_->PositionsOf("billing").size(), 2u);
  EXPECT_EQ(groups_->GroupsWithPositions(), std::vector<std::string>{"billing"});
}

TEST_F(GroupOffsetsTest, CommitAllRefusesTheLotForOneMissingPartition) {
  std::vector<GroupOffsets::PositionCommit> commits = {{orders0_, Offset(10), -1, ""}, {{"orders", 9}, Offset(1), -1, ""}};
  EXPECT_EQ(groups_->CommitAll("billing", commits).code(), Code::kNotFound);
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
}

TEST_F(GroupOffsetsTest, GroupMetadataRecordsLoadBackLatestFirstAndTombstonesForget) {
  co::GroupMetadataValue v;
  v.protocol_type = "consumer";
  v.generation = 1;
  ASSERT_TRUE(groups_->WriteGroupMetadata("billing", v).ok());
  v.generation = 2;
  ASSERT_TRUE(groups_->WriteGroupMetadata("billing", v).ok());
  ASSERT_TRUE(groups_->WriteGroupMetadata("audit", v).ok());
  Commit("billing", orders0_, 5);
  Reopen();
  auto loaded = groups_->LoadedGroupMetadata();
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded["billing"].generation, 2);
  EXPECT_EQ(*groups_->Committed("billing", orders0_), Offset(5));  // metadata is not a position
  EXPECT_TRUE(groups_->warnings().empty());

  ASSERT_TRUE(groups_->DeleteGroup("billing", true).ok());
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  Reopen();
  loaded = groups_->LoadedGroupMetadata();
  EXPECT_EQ(loaded.count("billing"), 0u);
  EXPECT_EQ(loaded.count("audit"), 1u);
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
}

TEST_F(GroupOffsetsTest, ForgetAllTombstonesOnlyHeldPositions) {
  Commit("billing", orders0_, 5);
  Commit("billing", orders1_, 6);
  std::vector<TopicPartition> tps = {orders0_, other0_};
  ASSERT_TRUE(groups_->ForgetAll("billing", tps).ok());
  EXPECT_FALSE(groups_->Committed("billing", orders0_).has_value());
  EXPECT_EQ(*groups_->Committed("billing", orders1_), Offset(6));
}

TEST_F(GroupOffsetsTest, ConcurrentCommitsFromFourThreadsAllLand) {
#ifdef TOPICFS_SANITIZED
  constexpr int kCommits = 25;
#else
  constexpr int kCommits = 60;
#endif
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "group-" + std::to_string(t);
      for (int i = 1; i <= kCommits; ++i) {
        EXPECT_TRUE(groups_->Commit(own, i % 2 ? orders0_ : orders1_, Offset(i)).ok());
        EXPECT_TRUE(groups_->Commit("shared", orders0_, Offset(t * 1000 + i)).ok());
        (void)groups_->Committed("shared", orders0_);
        (void)groups_->Groups(orders0_);
        if (i % 10 == 0) {
          EXPECT_TRUE(groups_->Commit(own, other0_, Offset(i)).ok());
          EXPECT_TRUE(groups_->Forget(own, other0_).ok());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto shared = groups_->Committed("shared", orders0_);
  ASSERT_TRUE(shared.has_value());
  EXPECT_EQ(shared->value % 1000, kCommits);  // some thread's last commit
  Reopen();
  // What memory said is what the log says.
  EXPECT_EQ(groups_->Committed("shared", orders0_), shared);
  for (int t = 0; t < 4; ++t) {
    const std::string own = "group-" + std::to_string(t);
    EXPECT_EQ(groups_->Committed(own, orders0_), Offset(kCommits - 1 + kCommits % 2)) << own;
    EXPECT_EQ(groups_->Committed(own, orders1_), Offset(kCommits - kCommits % 2)) << own;
  }
  EXPECT_EQ(groups_->Groups(orders0_).size(), 5u);
  EXPECT_TRUE(groups_->Groups(other0_).empty());
}

}  // namespace
}  // namespace topicfs::store
