#include "fs/view_table.h"

namespace topicfs::fs {

uint64_t ViewTable::Add(std::shared_ptr<const View> view) {
  store::MutexLock lock(&mu_);
  uint64_t ino = kViewInoBit | next_++;
  entries_.emplace(ino, Entry{std::move(view), 1});
  return ino;
}

std::shared_ptr<const View> ViewTable::Find(uint64_t ino) const {
  store::MutexLock lock(&mu_);
  auto it = entries_.find(ino);
  return it == entries_.end() ? nullptr : it->second.view;
}

void ViewTable::Forget(uint64_t ino, uint64_t nlookup) {
  store::MutexLock lock(&mu_);
  auto it = entries_.find(ino);
  if (it == entries_.end()) return;
  if (it->second.lookups <= nlookup) {
    entries_.erase(it);
  } else {
    it->second.lookups -= nlookup;
  }
}

size_t ViewTable::size() const {
  store::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace topicfs::fs
