#pragma once
// Writes Kafka's primitive types (docs/protocol.html) to a growing buffer:
// the encoding side of ByteReader. A response is built in one string, its
// size field patched in at the end (PatchInt32).
//
// Not thread-safe; one writer per response being encoded.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "kafka/protocol/byte_reader.h"

namespace topicfs::kafka {

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(std::string* out) : out_(out) {}

  void Int8(int8_t v) { out_->push_back(static_cast<char>(v)); }
  void Int16(int16_t v);
  void Int32(int32_t v);
  void Int64(int64_t v);
  void Bool(bool v) { Int8(v ? 1 : 0); }
  void UnsignedVarint(uint32_t v);
  void Varint(int32_t v);
  void Varlong(int64_t v);
  void WriteUuid(const Uuid& u) { Raw(std::string_view(reinterpret_cast<const char*>(u.data()), 16)); }

  void String(std::string_view s, bool compact);
  void NullableString(std::optional<std::string_view> s, bool compact);
  void NullableBytes(std::optional<std::string_view> b, bool compact);
  // The length of an ARRAY / COMPACT_ARRAY of n elements (-1: null).
  void ArrayLength(int32_t n, bool compact);
  // An empty TAGGED_FIELDS section.
  void EmptyTaggedFields() { UnsignedVarint(0); }
  void Raw(std::string_view bytes) { out_->append(bytes); }

  size_t size() const { return out_->size(); }
  // Overwrites 4 bytes at `at` (a size or count known only later).
  void PatchInt32(size_t at, int32_t v);
  std::string& buffer() { return *out_; }

 private:
  std::string own_;
  std::string* out_ = &own_;
};

}  // namespace topicfs::kafka
