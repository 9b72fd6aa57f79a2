#include "store/groups/group_member.h"

namespace topicfs::store {

std::string GroupMember::Metadata(const std::string& protocol) const {
  for (const JoinGroupProtocol& p : protocols) {
    if (p.name == protocol) return p.metadata;
  }
  return {};
}

bool GroupMember::Supports(const std::string& protocol) const {
  for (const JoinGroupProtocol& p : protocols) {
    if (p.name == protocol) return true;
  }
  return false;
}

std::string GroupMember::Vote(const std::set<std::string>& candidates) const {
  for (const JoinGroupProtocol& p : protocols) {
    if (candidates.count(p.name) != 0) return p.name;
  }
  return {};
}

}  // namespace topicfs::store
