#include "kafka/protocol/request_header.h"

#include <gtest/gtest.h>

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(RequestHeaderTest, V1HeaderOfANonFlexibleRequest) {
  // Metadata v4, correlation 7, client "kcat"; the body follows.
  ByteReader in("\x00\x03\x00\x04\x00\x00\x00\x07\x00\x04kcat" "BODY"sv);
  RequestHeader h;
  ASSERT_TRUE(h.Decode(in));
  EXPECT_EQ(h.api_key, 3);
  EXPECT_EQ(h.api_version, 4);
  EXPECT_EQ(h.correlation_id, 7);
  EXPECT_EQ(h.client_id, "kcat");
  EXPECT_EQ(in.Raw(in.remaining()), "BODY");
}

TEST(RequestHeaderTest, V2HeaderSkipsTaggedFieldsAndKeepsANonCompactClientId) {
  // Metadata v9 (flexible): client id null, then one tagged field.
  ByteReader in("\x00\x03\x00\x09\x00\x00\x00\x01\xff\xff\x01\x00\x01Z" "B"sv);
  RequestHeader h;
  ASSERT_TRUE(h.Decode(in));
  EXPECT_EQ(h.client_id, std::nullopt);
  EXPECT_EQ(in.Raw(in.remaining()), "B");
}

TEST(RequestHeaderTest, TruncatedHeaderFails) {
  ByteReader in("\x00\x03\x00\x04\x00\x00"sv);
  RequestHeader h;
  EXPECT_FALSE(h.Decode(in));
}

TEST(ResponseHeaderTest, V0ForApiVersionsEvenWhenFlexible) {
  std::string out;
  EncodeResponseHeader(&out, 18, 3, 9);
  EXPECT_EQ(out, "\x00\x00\x00\x09"s);
  out.clear();
  EncodeResponseHeader(&out, 3, 9, 9);  // Metadata v9: header v1
  EXPECT_EQ(out, "\x00\x00\x00\x09\x00"s);
  out.clear();
  EncodeResponseHeader(&out, 3, 8, 9);
  EXPECT_EQ(out, "\x00\x00\x00\x09"s);
}

}  // namespace
}  // namespace topicfs::kafka
