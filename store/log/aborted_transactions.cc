#include "store/log/aborted_transactions.h"

#include <algorithm>

namespace topicfs::store {

void AbortedTransactions::Publish(std::span<const AbortedTxn> entries) {
  auto table = std::make_shared<Table>();
  for (const AbortedTxn& e : entries) (*table)[e.producer_id].push_back(e);
  for (auto& [pid, list] : *table) {
    std::sort(list.begin(), list.end(),
              [](const AbortedTxn& a, const AbortedTxn& b) { return a.first_offset < b.first_offset; });
  }
  MutexLock lock(&mu_);
  table_ = std::move(table);
}

std::shared_ptr<const AbortedTransactions::Table> AbortedTransactions::Snapshot() const {
  MutexLock lock(&mu_);
  return table_;
}

bool AbortedTransactions::Covers(int64_t producer_id, Offset base, Offset last) const {
  auto table = Snapshot();
  auto it = table->find(producer_id);
  if (it == table->end()) return false;
  // The last transaction starting at or before the batch's end; a batch of
  // an earlier one that ended (committed or aborted) before it cannot
  // overlap a later one's range.
  const auto& list = it->second;
  auto t = std::upper_bound(list.begin(), list.end(), last,
                            [](Offset v, const AbortedTxn& x) { return v < x.first_offset; });
  if (t == list.begin()) return false;
  --t;
  return base < t->last_offset;
}

std::vector<AbortedTxn> AbortedTransactions::Collect(Offset from, Offset to) const {
  auto table = Snapshot();
  std::vector<AbortedTxn> out;
  for (const auto& [pid, list] : *table) {
    for (const AbortedTxn& e : list) {
      if (e.last_offset >= from && e.first_offset < to) out.push_back(e);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const AbortedTxn& a, const AbortedTxn& b) { return a.first_offset < b.first_offset; });
  return out;
}

bool AbortedTransactions::empty() const { return Snapshot()->empty(); }

}  // namespace topicfs::store
