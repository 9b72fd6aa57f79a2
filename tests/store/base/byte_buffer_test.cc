// ByteBuffer: the bytes written stay across growth; clear keeps capacity.

#include "store/base/byte_buffer.h"

#include <gtest/gtest.h>

#include <string>

namespace topicfs::store {
namespace {

TEST(ByteBufferTest, AppendedBytesSurviveGrowthAndClearKeepsCapacity) {
  ByteBuffer buffer;
  EXPECT_TRUE(buffer.empty());
  std::string expected;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece = std::to_string(i) + ",";
    buffer.Append(piece);
    expected += piece;
  }
  EXPECT_EQ(buffer.view(), expected);
  const size_t capacity = buffer.capacity();
  buffer.clear();
  EXPECT_TRUE(buffer.empty());
  EXPECT_EQ(buffer.capacity(), capacity);
  buffer.Append("again");
  EXPECT_EQ(std::string_view(buffer), "again");
}

TEST(ByteBufferTest, ResizeUninitializedKeepsThePrefixAndShrinks) {
  ByteBuffer buffer;
  buffer.Append("head");
  buffer.ResizeUninitialized(1 << 20);
  EXPECT_EQ(buffer.size(), size_t{1} << 20);
  EXPECT_EQ(buffer.view().substr(0, 4), "head");
  buffer.data()[(1 << 20) - 1] = 'x';
  buffer.ResizeUninitialized(2);
  EXPECT_EQ(buffer.view(), "he");
}

}  // namespace
}  // namespace topicfs::store
