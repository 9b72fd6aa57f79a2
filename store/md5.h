#pragma once
// MD5 (RFC 1321). The log cleaner identifies keys by the MD5 of their bytes,
// as Kafka's SkimpyOffsetMap does; it is not used for anything secret.

#include <array>
#include <cstdint>
#include <string_view>

namespace topicfs::store {

std::array<uint8_t, 16> Md5(std::string_view data);

}  // namespace topicfs::store
