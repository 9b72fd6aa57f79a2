#pragma once
// A CRC-32C over a small text file the store writes, so that a flipped byte
// is refused rather than read as another value: a retention.ms or a log
// start offset off by one digit loses data quietly. Configs carry it as a
// last comment line "# crc32c=xxxxxxxx" (a comment to any other reader);
// Kafka's checkpoint files, whose format Kafka's own readers check line by
// line, carry it in a side file "<checkpoint>.crc32c" (docs/format.md).
//
// A file without its checksum (written by hand, by an older topicfs, or by
// Kafka) is taken as it is. One with a checksum that does not match is
// damaged, whichever of the two was hit.

#include <string>
#include <string_view>

#include "store/io/file_io.h"
#include "store/base/status.h"

namespace topicfs::store {

// text followed by its checksum line.
std::string AppendChecksumLine(std::string text);
// contents without its checksum line; kCorruption if the line is there and
// does not match. `path` names the file in the message.
Result<std::string_view> StripChecksumLine(std::string_view contents, std::string_view path);

// "<path>.crc32c": the side file holding the checksum of `path`.
std::string ChecksumFilePath(const std::string& path);
// The side file's contents for `contents`: eight hex digits and a newline.
std::string ChecksumFileText(std::string_view contents);
// kCorruption unless `side` (the side file's contents) matches `contents`.
Status VerifyChecksumFile(std::string_view contents, std::string_view side, std::string_view path);

}  // namespace topicfs::store
