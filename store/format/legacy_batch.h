#pragma once
// Recognises Kafka's legacy message format (magic 0 and 1) so that recovery
// can tell "a valid batch topicfs does not read" from garbage. topicfs never
// decodes these: a segment holding one is set aside, never misread.

#include <string_view>

namespace topicfs::store {

// True if `entry` (offset, size, then the message) frames a magic 0 or 1
// message whose CRC-32 (IEEE) over magic..end matches.
bool IsValidLegacyEntry(std::string_view entry);

}  // namespace topicfs::store
