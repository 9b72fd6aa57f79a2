#pragma once
// Decodes `bytes` as a request header and then as the body of every API
// and version the protocol library knows, as the broker would: what the
// decoder robustness test and the libFuzzer target both feed. Decoding
// must fail cleanly or succeed; it must never read outside `bytes`
// (AddressSanitizer and the fuzzer's own checks catch that) or crash.

#include <string_view>

#include "kafka/protocol/api_versions.h"
#include "kafka/protocol/fetch.h"
#include "kafka/protocol/list_offsets.h"
#include "kafka/protocol/metadata.h"
#include "kafka/protocol/produce.h"
#include "kafka/protocol/request_header.h"

namespace topicfs::kafka {

// Returns how many decodes succeeded (so the work is not optimised away).
inline int DecodeAnyRequest(std::string_view bytes) {
  int ok = 0;
  {
    ByteReader in(bytes);
    RequestHeader header;
    ok += header.Decode(in);
  }
  for (int16_t v = 0; v <= 3; ++v) {
    ByteReader in(bytes);
    ApiVersionsRequest r;
    ok += r.Decode(in, v);
  }
  for (int16_t v = 0; v <= 12; ++v) {
    ByteReader in(bytes);
    MetadataRequest r;
    ok += r.Decode(in, v);
  }
  for (int16_t v = 0; v <= 9; ++v) {
    ByteReader in(bytes);
    ProduceRequest r;
    ok += r.Decode(in, v);
  }
  for (int16_t v = 4; v <= 11; ++v) {
    ByteReader in(bytes);
    FetchRequest r;
    ok += r.Decode(in, v);
  }
  for (int16_t v = 1; v <= 7; ++v) {
    ByteReader in(bytes);
    ListOffsetsRequest r;
    ok += r.Decode(in, v);
  }
  return ok;
}

}  // namespace topicfs::kafka
