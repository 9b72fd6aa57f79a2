#pragma once
// Reads Kafka's primitive types (docs/protocol.html, "Protocol Primitive
// Types") from a request's bytes, strictly: the first read past the end or
// of a bad length fails the reader, and every later read returns a zero
// value, so a decoder reads all its fields and checks ok() once. Nothing is
// ever read outside the span; strings and bytes are views into it.
//
// Not thread-safe; one reader per request being decoded.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace topicfs::kafka {

using Uuid = std::array<uint8_t, 16>;

class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  // The reader keeps a view: a temporary string would dangle.
  explicit ByteReader(std::string&&) = delete;

  bool ok() const { return error_.empty(); }
  // What failed first ("truncated int32 at 12"), empty while ok().
  const std::string& error() const { return error_; }
  size_t position() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }
  // Fails the reader with `why` (a decoder's own check, such as a bad enum).
  void Fail(std::string_view why);

  int8_t Int8();
  int16_t Int16();
  int32_t Int32();
  int64_t Int64();
  uint32_t Uint32();
  bool Bool();
  // Kafka's UNSIGNED_VARINT (at most 5 bytes) and the zig-zag VARINT/VARLONG.
  uint32_t UnsignedVarint();
  int32_t Varint();
  int64_t Varlong();
  Uuid ReadUuid();

  // STRING / COMPACT_STRING; a null one fails the reader.
  std::string_view String(bool compact);
  // NULLABLE_STRING / COMPACT_NULLABLE_STRING.
  std::optional<std::string_view> NullableString(bool compact);
  // NULLABLE_BYTES / COMPACT_NULLABLE_BYTES (a produce request's records).
  std::optional<std::string_view> NullableBytes(bool compact);
  std::string_view Bytes(bool compact);
  // The element count of an ARRAY / COMPACT_ARRAY; -1 for a null array. A
  // count larger than the bytes left (each element takes one at least)
  // fails the reader, so a decoder never reserves memory for a lie.
  int32_t ArrayLength(bool compact);
  // Skips a TAGGED_FIELDS section: we know no tagged field yet.
  void SkipTaggedFields();
  // The next n bytes, as a view.
  std::string_view Raw(size_t n);

 private:
  bool Need(size_t n, const char* what);
  // A length read as Kafka writes it: int16/int32 (-1 null) or, compact,
  // unsigned varint N meaning N - 1 (0 null).
  int64_t Length(bool compact, bool wide);

  std::string_view bytes_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace topicfs::kafka
