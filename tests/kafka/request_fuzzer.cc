// libFuzzer target for the request decoders (issue 14, "the request
// decoder is fuzzed"): built with clang only, when TOPICFS_BUILD_FUZZERS
// is on (tests/kafka/CMakeLists.txt):
//   CC=clang CXX=clang++ cmake -S . -B build-fuzz -DTOPICFS_BUILD_FUZZERS=ON -DTOPICFS_SANITIZE=address
//   ninja -C build-fuzz kafka_request_fuzzer && build-fuzz/kafka_request_fuzzer -max_total_time=60

#include <cstddef>
#include <cstdint>

#include "tests/kafka/decode_any_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  topicfs::kafka::DecodeAnyRequest(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
