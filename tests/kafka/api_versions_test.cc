#include "kafka/protocol/api_versions.h"

#include <gtest/gtest.h>

namespace topicfs::kafka {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

TEST(ApiVersionsTest, V3RequestCarriesTheClientSoftware) {
  ByteReader in("\x0b" "librdkafka" "\x06" "2.0.2" "\x00"sv);
  ApiVersionsRequest r;
  ASSERT_TRUE(r.Decode(in, 3));
  EXPECT_EQ(r.client_software_name, "librdkafka");
  EXPECT_EQ(r.client_software_version, "2.0.2");
}

TEST(ApiVersionsTest, V0RequestIsEmpty) {
  ByteReader in(""sv);
  ApiVersionsRequest r;
  EXPECT_TRUE(r.Decode(in, 0));
}

TEST(ApiVersionsTest, TruncatedV3RequestFails) {
  ByteReader in("\x0alibrd"sv);
  ApiVersionsRequest r;
  EXPECT_FALSE(r.Decode(in, 3));
}

TEST(ApiVersionsTest, V0ResponseBytes) {
  ApiVersionsResponse r;
  r.error_code = 35;
  r.api_keys = {{18, 0, 3}};
  std::string out;
  r.Encode(&out, 0);
  EXPECT_EQ(out, "\x00\x23" "\x00\x00\x00\x01" "\x00\x12\x00\x00\x00\x03"s);
}

TEST(ApiVersionsTest, V3ResponseIsCompactWithTaggedFields) {
  ApiVersionsResponse r;
  r.api_keys = {{0, 0, 9}, {18, 0, 3}};
  std::string out;
  r.Encode(&out, 3);
  EXPECT_EQ(out, "\x00\x00" "\x03" "\x00\x00\x00\x00\x00\x09\x00" "\x00\x12\x00\x00\x00\x03\x00"
                 "\x00\x00\x00\x00" "\x00"s);
}

}  // namespace
}  // namespace topicfs::kafka
