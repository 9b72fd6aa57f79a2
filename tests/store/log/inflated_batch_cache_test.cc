// InflatedBatchCache: each batch inflated once, whether a reader or the
// read-ahead got there first; failures are the reader's to see; least
// recently used twins go first.

#include "store/log/inflated_batch_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "store/format/batch_builder.h"
#include "store/format/batch_compression.h"

namespace topicfs::store {
namespace {

std::string CompressedBatch(int64_t base, int lines, Codec codec = Codec::kLz4) {
  std::string text;
  for (int i = 0; i < lines; ++i) text += "2026-12-07T03:00:00Z INFO line " + std::to_string(base + i) + "\n";
  BatchBuilder builder;
  builder.Reset(Offset(base), Timestamp(1000));
  builder.AddLines(Offset(base), Timestamp(1000), text);
  std::string packed;
  EXPECT_TRUE(CompressBatch(builder.Finish(), codec, DefaultLevel(codec), &packed).ok());
  return packed;
}

std::string Inflated(std::string_view batch) {
  std::string twin;
  EXPECT_TRUE(InflateBatch(batch, &twin).ok());
  return twin;
}

TEST(InflatedBatchCacheTest, APrefetchedBatchIsInflatedOnceAndThenAnsweredFromTheCache) {
  InflatedBatchCache cache(int64_t{16} << 20);
  const std::string batch = CompressedBatch(0, 2000, Codec::kZstd);
  cache.Prefetch(7, 0, batch);
  auto first = cache.Get(7, 0, batch);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)->view(), Inflated(batch));
  auto again = cache.Get(7, 0, batch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->get(), again->get());
  cache.Prefetch(7, 0, batch);  // cached: not queued again
  EXPECT_EQ(cache.inflations(), 1);
}

TEST(InflatedBatchCacheTest, ABatchThatDoesNotInflateIsForgottenAndItsReaderIsTold) {
  InflatedBatchCache cache(int64_t{16} << 20);
  std::string batch = CompressedBatch(0, 500);
  for (size_t i = 61; i < batch.size(); ++i) batch[i] = static_cast<char>(0xff);
  cache.Prefetch(1, 0, batch);
  EXPECT_EQ(cache.Get(1, 0, batch).status().code(), Code::kCorruption);
  EXPECT_EQ(cache.Get(1, 0, batch).status().code(), Code::kCorruption);
  EXPECT_EQ(cache.inflations(), 0);
}

TEST(InflatedBatchCacheTest, OverCapacityTheLeastRecentlyUsedTwinGoes) {
  const std::string a = CompressedBatch(0, 1000), b = CompressedBatch(100000, 1000), c = CompressedBatch(200000, 1000);
  const int64_t twin_size = static_cast<int64_t>(Inflated(a).size());
  InflatedBatchCache cache(twin_size * 2 + twin_size / 2);  // two twins fit
  ASSERT_TRUE(cache.Get(1, 0, a).ok());
  ASSERT_TRUE(cache.Get(1, 1000, b).ok());
  ASSERT_TRUE(cache.Get(1, 0, a).ok());     // a is now the most recent
  ASSERT_TRUE(cache.Get(1, 2000, c).ok());  // b goes
  EXPECT_EQ(cache.inflations(), 3);
  ASSERT_TRUE(cache.Get(1, 0, a).ok());
  EXPECT_EQ(cache.inflations(), 3);
  ASSERT_TRUE(cache.Get(1, 1000, b).ok());
  EXPECT_EQ(cache.inflations(), 4);
}

TEST(InflatedBatchCacheTest, ReadersOfOneBatchAtOnceShareOneInflation) {
  InflatedBatchCache cache(int64_t{16} << 20);
  const std::string batch = CompressedBatch(0, 5000, Codec::kGzip);
  const std::string expected = Inflated(batch);
  std::vector<std::thread> readers;
  std::vector<const ByteBuffer*> seen(8);
  for (size_t i = 0; i < seen.size(); ++i) {
    readers.emplace_back([&, i] {
      if (i % 2 == 0) cache.Prefetch(3, 64, batch);
      auto twin = cache.Get(3, 64, batch);
      if (twin.ok() && (*twin)->view() == expected) seen[i] = twin->get();
    });
  }
  for (std::thread& t : readers) t.join();
  for (const ByteBuffer* twin : seen) EXPECT_EQ(twin, seen[0]);
  EXPECT_NE(seen[0], nullptr);
  EXPECT_EQ(cache.inflations(), 1);
}

}  // namespace
}  // namespace topicfs::store
