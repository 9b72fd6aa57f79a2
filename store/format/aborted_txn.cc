#include "store/format/aborted_txn.h"

#include "store/base/big_endian.h"

namespace topicfs::store {

std::string EncodeAbortedTxns(std::span<const AbortedTxn> entries) {
  std::string out;
  out.reserve(entries.size() * kAbortedTxnSize);
  for (const AbortedTxn& e : entries) {
    be::Append<int16_t>(&out, kAbortedTxnVersion);
    be::Append<int64_t>(&out, e.producer_id);
    be::Append<int64_t>(&out, e.first_offset.value);
    be::Append<int64_t>(&out, e.last_offset.value);
    be::Append<int64_t>(&out, e.last_stable_offset.value);
  }
  return out;
}

Result<std::vector<AbortedTxn>> DecodeAbortedTxns(std::string_view bytes, Offset segment_base) {
  if (bytes.size() % kAbortedTxnSize != 0) {
    return Status::Corruption(fmt::format("a transaction index of {} bytes is no whole number of {}-byte entries",
                                          bytes.size(), kAbortedTxnSize));
  }
  std::vector<AbortedTxn> out;
  out.reserve(bytes.size() / kAbortedTxnSize);
  for (size_t at = 0; at < bytes.size(); at += kAbortedTxnSize) {
    const char* p = bytes.data() + at;
    const int16_t version = be::Load<int16_t>(p);
    if (version != kAbortedTxnVersion) {
      return Status::Corruption(fmt::format("aborted transaction version {} at byte {}, not {}", version, at,
                                            kAbortedTxnVersion));
    }
    AbortedTxn e{be::Load<int64_t>(p + 2), Offset(be::Load<int64_t>(p + 10)), Offset(be::Load<int64_t>(p + 18)),
                 Offset(be::Load<int64_t>(p + 26))};
    if (e.last_offset < segment_base) {
      return Status::Corruption(fmt::format("aborted transaction at byte {} ends at {}, below the segment's base {}",
                                            at, e.last_offset, segment_base));
    }
    out.push_back(e);
  }
  return out;
}

std::optional<ControlType> ControlTypeOfKey(std::optional<std::string_view> key) {
  if (!key || key->size() < 4) return std::nullopt;
  switch (be::Load<int16_t>(key->data() + 2)) {
    case 0:
      return ControlType::kAbort;
    case 1:
      return ControlType::kCommit;
    default:
      return std::nullopt;
  }
}

}  // namespace topicfs::store
