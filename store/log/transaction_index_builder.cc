#include "store/log/transaction_index_builder.h"

namespace topicfs::store {

std::optional<AbortedTxn> TransactionIndexBuilder::Add(const BatchLocation& batch,
                                                       std::optional<ControlType> control) {
  const int64_t pid = batch.producer_id;
  auto it = open_.find(pid);
  if (!batch.control) {
    if (it == open_.end() && batch.records > 0) {
      open_.emplace(pid, batch.base_offset);
      by_first_.emplace(batch.base_offset, pid);
    }
    return std::nullopt;
  }
  if (!control) return std::nullopt;
  const Offset marker = batch.base_offset;
  Offset first = marker;
  if (it != open_.end()) {
    first = it->second;
    by_first_.erase({it->second, pid});
    open_.erase(it);
  }
  if (*control != ControlType::kAbort) return std::nullopt;
  // The producer's own transaction is closed already: the earliest left
  // open is another's.
  const Offset lso = by_first_.empty() ? marker + 1 : by_first_.begin()->first;
  return AbortedTxn{pid, first, marker, lso};
}

}  // namespace topicfs::store
