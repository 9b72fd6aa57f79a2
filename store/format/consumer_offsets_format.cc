#include "store/format/consumer_offsets_format.h"

#include <cstdlib>
#include <limits>

#include "store/base/big_endian.h"

namespace topicfs::store::consumer_offsets {
namespace {

void PutString(std::string* out, std::string_view s) {
  be::Append<int16_t>(out, static_cast<int16_t>(s.size()));
  out->append(s);
}

void PutNullableString(std::string* out, const std::optional<std::string>& s) {
  if (!s) return be::Append<int16_t>(out, -1);
  PutString(out, *s);
}

void PutBytes(std::string* out, std::string_view b) {
  be::Append<int32_t>(out, static_cast<int32_t>(b.size()));
  out->append(b);
}

// Reads the fields of a non-flexible message front to back; the first field
// that does not fit sets the error and every later read fails too.
class FieldReader {
 public:
  FieldReader(std::string_view bytes, const char* what) : rest_(bytes), what_(what) {}

  template <typename T>
  T Read(const char* field) {
    if (!status_.ok()) return T{};
    if (rest_.size() < sizeof(T)) {
      Fail(fmt::format("{} ends inside {}", what_, field));
      return T{};
    }
    T v = be::Load<T>(rest_.data());
    rest_.remove_prefix(sizeof(T));
    return v;
  }

  // A non-nullable string; a null one (length -1) reads as empty, since
  // Kafka's own writers never produce it for these fields.
  std::string ReadString(const char* field) {
    int16_t len = Read<int16_t>(field);
    if (!status_.ok()) return {};
    if (len < -1) {
      Fail(fmt::format("{} has a negative length {} for {}", what_, len, field));
      return {};
    }
    if (len == -1) return {};
    if (rest_.size() < static_cast<size_t>(len)) {
      Fail(fmt::format("{} ends inside {} ({} bytes announced, {} left)", what_, field, len, rest_.size()));
      return {};
    }
    std::string s(rest_.substr(0, static_cast<size_t>(len)));
    rest_.remove_prefix(static_cast<size_t>(len));
    return s;
  }

  // A flexible version's COMPACT_STRING: an unsigned varint of length + 1,
  // then the bytes; null (0) reads as empty.
  std::string ReadCompactString(const char* field) {
    uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
      if (!status_.ok()) return {};
      if (rest_.empty() || shift > 28) {
        Fail(fmt::format("{} ends inside the length of {}", what_, field));
        return {};
      }
      const uint8_t byte = static_cast<uint8_t>(rest_[0]);
      rest_.remove_prefix(1);
      n |= uint64_t{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0) break;
    }
    if (n == 0) return {};
    const size_t len = static_cast<size_t>(n - 1);
    if (rest_.size() < len) {
      Fail(fmt::format("{} ends inside {} ({} bytes announced, {} left)", what_, field, len, rest_.size()));
      return {};
    }
    std::string s(rest_.substr(0, len));
    rest_.remove_prefix(len);
    return s;
  }

  std::optional<std::string> ReadNullableString(const char* field) {
    if (!status_.ok()) return std::nullopt;
    if (rest_.size() >= 2 && be::Load<int16_t>(rest_.data()) == -1) {
      rest_.remove_prefix(2);
      return std::nullopt;
    }
    return ReadString(field);
  }

  // int32 length + bytes; null (-1) reads as empty.
  std::string ReadBytes(const char* field) {
    int32_t len = Read<int32_t>(field);
    if (!status_.ok()) return {};
    if (len < -1) {
      Fail(fmt::format("{} has a negative length {} for {}", what_, len, field));
      return {};
    }
    if (len == -1) return {};
    if (rest_.size() < static_cast<size_t>(len)) {
      Fail(fmt::format("{} ends inside {} ({} bytes announced, {} left)", what_, field, len, rest_.size()));
      return {};
    }
    std::string b(rest_.substr(0, static_cast<size_t>(len)));
    rest_.remove_prefix(static_cast<size_t>(len));
    return b;
  }

  size_t remaining() const { return rest_.size(); }
  const Status& status() const { return status_; }

 private:
  void Fail(std::string message) { status_ = Status::Corruption(std::move(message)); }

  std::string_view rest_;
  const char* what_;
  Status status_;
};

// Decodes one code point at s[*i], advancing *i. Ill-formed input yields
// U+FFFD and advances over its maximal subpart (Unicode chapter 3, "U+FFFD
// Substitution of Maximal Subparts"), the replacement Java's decoder makes,
// with Java's one exception: an encoded surrogate (ED A0..BF xx) is one
// U+FFFD for all three bytes, and ED A0..BF alone one for both.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  auto byte = [&](size_t at) { return static_cast<unsigned char>(s[at]); };
  unsigned char lead = byte(*i);
  if (lead < 0x80) {
    ++*i;
    return lead;
  }
  // Well-formed sequences (Unicode Table 3-7): how many continuation bytes
  // follow, and the range the first of them must fall in.
  int more = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  uint32_t cp = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    more = 1;
    cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    more = 2;
    cp = lead & 0x0F;
    if (lead == 0xE0) lo = 0xA0;  // no overlong forms
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    more = 3;
    cp = lead & 0x07;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    ++*i;
    return 0xFFFD;
  }
  size_t at = *i + 1;
  for (int k = 0; k < more; ++k, ++at) {
    if (at >= s.size() || byte(at) < lo || byte(at) > hi) {
      *i = at;
      return 0xFFFD;
    }
    cp = (cp << 6) | (byte(at) & 0x3F);
    lo = 0x80;
    hi = 0xBF;
  }
  *i = at;
  return cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp;
}

}  // namespace

std::string EncodeKey(const OffsetCommitKey& key) {
  std::string out;
  out.reserve(2 + 2 + key.group.size() + 2 + key.topic.size() + 4);
  be::Append<int16_t>(&out, kOffsetCommitKeyVersion);
  PutString(&out, key.group);
  PutString(&out, key.topic);
  be::Append<int32_t>(&out, key.partition);
  return out;
}

std::string EncodeValue(const OffsetCommitValue& value) {
  std::string out;
  out.reserve(kValueV3SizeEmptyMetadata + value.metadata.size());
  be::Append<int16_t>(&out, kOffsetCommitValueVersion);
  be::Append<int64_t>(&out, value.offset);
  be::Append<int32_t>(&out, value.leader_epoch);
  PutString(&out, value.metadata);
  be::Append<int64_t>(&out, value.commit_timestamp);
  return out;
}

Result<std::optional<OffsetCommitKey>> DecodeKey(std::string_view bytes) {
  FieldReader r(bytes, "__consumer_offsets key");
  int16_t version = r.Read<int16_t>("the version");
  RETURN_IF_ERROR(r.status());
  if (version < 0) return Status::Corruption(fmt::format("__consumer_offsets key version {}", version));
  // The key version doubles as the record type: 0 and 1 are offset commits.
  if (version > 1) return std::optional<OffsetCommitKey>();
  OffsetCommitKey key;
  key.group = r.ReadString("the group");
  key.topic = r.ReadString("the topic");
  key.partition = r.Read<int32_t>("the partition");
  RETURN_IF_ERROR(r.status());
  return std::optional<OffsetCommitKey>(std::move(key));
}

Result<OffsetCommitValue> DecodeValue(std::string_view bytes) {
  FieldReader r(bytes, "__consumer_offsets value");
  OffsetCommitValue v;
  v.version = r.Read<int16_t>("the version");
  RETURN_IF_ERROR(r.status());
  if (v.version < 0 || v.version > 4) {
    return Status::Unsupported(fmt::format("OffsetCommitValue version {} (topicfs reads 0 to 4)", v.version));
  }
  v.offset = r.Read<int64_t>("the offset");
  if (v.version >= 3) v.leader_epoch = r.Read<int32_t>("the leader epoch");
  // Version 4 (Kafka 4's coordinator) is flexible: a compact metadata
  // string, and tagged fields (the topic id) after the last field, which
  // are not read.
  v.metadata = v.version >= 4 ? r.ReadCompactString("the metadata") : r.ReadString("the metadata");
  v.commit_timestamp = r.Read<int64_t>("the commit timestamp");
  if (v.version == 1) v.expire_timestamp = r.Read<int64_t>("the expire timestamp");
  RETURN_IF_ERROR(r.status());
  return v;
}

std::string EncodeGroupMetadataKey(std::string_view group) {
  std::string out;
  out.reserve(2 + 2 + group.size());
  be::Append<int16_t>(&out, kGroupMetadataKeyVersion);
  PutString(&out, group);
  return out;
}

Result<std::optional<std::string>> DecodeGroupMetadataKey(std::string_view bytes) {
  FieldReader r(bytes, "__consumer_offsets key");
  int16_t version = r.Read<int16_t>("the version");
  RETURN_IF_ERROR(r.status());
  if (version != kGroupMetadataKeyVersion) return std::optional<std::string>();
  std::string group = r.ReadString("the group");
  RETURN_IF_ERROR(r.status());
  return std::optional<std::string>(std::move(group));
}

std::string EncodeGroupMetadataValue(const GroupMetadataValue& value) {
  std::string out;
  be::Append<int16_t>(&out, kGroupMetadataValueVersion);
  PutString(&out, value.protocol_type);
  be::Append<int32_t>(&out, value.generation);
  PutNullableString(&out, value.protocol);
  PutNullableString(&out, value.leader);
  be::Append<int64_t>(&out, value.current_state_timestamp);
  be::Append<int32_t>(&out, static_cast<int32_t>(value.members.size()));
  for (const GroupMemberMetadata& m : value.members) {
    PutString(&out, m.member_id);
    PutNullableString(&out, m.group_instance_id);
    PutString(&out, m.client_id);
    PutString(&out, m.client_host);
    be::Append<int32_t>(&out, m.rebalance_timeout_ms);
    be::Append<int32_t>(&out, m.session_timeout_ms);
    PutBytes(&out, m.subscription);
    PutBytes(&out, m.assignment);
  }
  return out;
}

Result<GroupMetadataValue> DecodeGroupMetadataValue(std::string_view bytes) {
  FieldReader r(bytes, "group metadata value");
  GroupMetadataValue v;
  v.version = r.Read<int16_t>("the version");
  RETURN_IF_ERROR(r.status());
  if (v.version < 0 || v.version > 3) {
    return Status::Unsupported(fmt::format("GroupMetadataValue version {} (topicfs reads 0 to 3)", v.version));
  }
  v.protocol_type = r.ReadString("the protocol type");
  v.generation = r.Read<int32_t>("the generation");
  v.protocol = r.ReadNullableString("the protocol");
  v.leader = r.ReadNullableString("the leader");
  if (v.version >= 2) v.current_state_timestamp = r.Read<int64_t>("the current state timestamp");
  int32_t count = r.Read<int32_t>("the member count");
  RETURN_IF_ERROR(r.status());
  // Each member takes at least 18 bytes, so a count the bytes cannot hold
  // is damage, refused before it sizes an allocation.
  if (count < 0 || static_cast<size_t>(count) > r.remaining() / 18) {
    return Status::Corruption(fmt::format("group metadata value announces {} members in {} bytes", count,
                                          r.remaining()));
  }
  for (int32_t i = 0; i < count; ++i) {
    GroupMemberMetadata m;
    m.member_id = r.ReadString("a member id");
    if (v.version >= 3) m.group_instance_id = r.ReadNullableString("a group instance id");
    m.client_id = r.ReadString("a client id");
    m.client_host = r.ReadString("a client host");
    if (v.version >= 1) m.rebalance_timeout_ms = r.Read<int32_t>("a rebalance timeout");
    m.session_timeout_ms = r.Read<int32_t>("a session timeout");
    if (v.version == 0) m.rebalance_timeout_ms = m.session_timeout_ms;
    m.subscription = r.ReadBytes("a subscription");
    m.assignment = r.ReadBytes("an assignment");
    RETURN_IF_ERROR(r.status());
    v.members.push_back(std::move(m));
  }
  return v;
}

int32_t JavaStringHashCode(std::string_view utf8) {
  // Java's int arithmetic wraps; unsigned arithmetic wraps the same way.
  uint32_t h = 0;
  auto add = [&h](uint32_t unit) { h = h * 31u + unit; };
  size_t i = 0;
  while (i < utf8.size()) {
    uint32_t cp = NextCodePoint(utf8, &i);
    if (cp < 0x10000) {
      add(cp);
    } else {  // a surrogate pair in UTF-16
      cp -= 0x10000;
      add(0xD800 + (cp >> 10));
      add(0xDC00 + (cp & 0x3FF));
    }
  }
  return static_cast<int32_t>(h);
}

int32_t PartitionForGroup(std::string_view group, int32_t partitions) {
  int32_t h = JavaStringHashCode(group);
  // Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE (whose
  // Math.abs is itself, negative) maps to 0.
  int32_t abs = h == std::numeric_limits<int32_t>::min() ? 0 : std::abs(h);
  return abs % partitions;
}

}  // namespace topicfs::store::consumer_offsets
