// Every decoder against truncations and byte flips of valid requests and
// against random bytes, seeded: none crashes or reads outside its input
// (run under AddressSanitizer by scripts/test.sh), and a truncated valid
// request never decodes as whole. request_fuzzer.cc feeds the same
// function from libFuzzer.

#include <random>
#include <string>

#include <gtest/gtest.h>

#include "kafka/protocol/byte_writer.h"
#include "tests/kafka/decode_any_request.h"

namespace topicfs::kafka {
namespace {

// A Produce v3 body and a Fetch v11 body, built field by field.
std::string ProduceV3() {
  ByteWriter w;
  w.NullableString(std::nullopt, false);
  w.Int16(1);
  w.Int32(1000);
  w.ArrayLength(1, false);
  w.String("topic", false);
  w.ArrayLength(1, false);
  w.Int32(0);
  w.NullableBytes(std::string(70, 'r'), false);
  return w.buffer();
}

std::string FetchV11() {
  ByteWriter w;
  w.Int32(-1);
  w.Int32(500);
  w.Int32(1);
  w.Int32(1 << 20);
  w.Int8(0);
  w.Int32(0);
  w.Int32(-1);
  w.ArrayLength(1, false);
  w.String("topic", false);
  w.ArrayLength(1, false);
  w.Int32(0);
  w.Int32(-1);
  w.Int64(42);
  w.Int64(-1);
  w.Int32(1 << 20);
  w.ArrayLength(0, false);
  w.String("", false);
  return w.buffer();
}

TEST(DecoderRobustnessTest, TruncatedRequestsNeverDecodeWhole) {
  const std::string produce = ProduceV3();
  const std::string fetch = FetchV11();
  for (size_t n = 0; n < produce.size(); ++n) {
    ByteReader in(std::string_view(produce).substr(0, n));
    ProduceRequest r;
    EXPECT_FALSE(r.Decode(in, 3)) << "produce cut at " << n;
  }
  for (size_t n = 0; n < fetch.size(); ++n) {
    ByteReader in(std::string_view(fetch).substr(0, n));
    FetchRequest r;
    EXPECT_FALSE(r.Decode(in, 11)) << "fetch cut at " << n;
  }
  ByteReader whole(produce);
  ProduceRequest r;
  EXPECT_TRUE(r.Decode(whole, 3));
}

TEST(DecoderRobustnessTest, FlippedBytesAndRandomInputDoNotCrash) {
  std::mt19937 rng(14);
  const std::string seeds[] = {ProduceV3(), FetchV11()};
  for (int round = 0; round < 20000; ++round) {
    std::string bytes = seeds[round % 2];
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    if (rng() % 3 == 0) bytes.resize(rng() % bytes.size());
    DecodeAnyRequest(bytes);
  }
  for (int round = 0; round < 5000; ++round) {
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    DecodeAnyRequest(bytes);
  }
}

}  // namespace
}  // namespace topicfs::kafka
