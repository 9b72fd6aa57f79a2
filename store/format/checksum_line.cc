#include "store/format/checksum_line.h"

#include <fmt/format.h>

#include "store/base/crc32c.h"

namespace topicfs::store {
namespace {

constexpr std::string_view kPrefix = "# crc32c=";
constexpr size_t kHexDigits = 8;

std::string Hex(std::string_view bytes) {
  return fmt::format("{:08x}", crc32c::Value(bytes.data(), bytes.size()));
}

}  // namespace

std::string AppendChecksumLine(std::string text) {
  std::string line = fmt::format("{}{}\n", kPrefix, Hex(text));
  return text + line;
}

Result<std::string_view> StripChecksumLine(std::string_view contents, std::string_view path) {
  const size_t line_size = kPrefix.size() + kHexDigits + 1;
  if (contents.size() < line_size) return contents;
  std::string_view line = contents.substr(contents.size() - line_size);
  if (!line.starts_with(kPrefix) || line.back() != '\n') return contents;
  std::string_view body = contents.substr(0, contents.size() - line_size);
  std::string_view stored = line.substr(kPrefix.size(), kHexDigits);
  if (stored != Hex(body)) {
    return Status::Corruption(fmt::format("{}: damaged (its crc32c line says {}, the text has {})", path,
                                          stored, Hex(body)));
  }
  return body;
}

std::string ChecksumFilePath(const std::string& path) { return path + ".crc32c"; }

std::string ChecksumFileText(std::string_view contents) { return Hex(contents) + "\n"; }

Status VerifyChecksumFile(std::string_view contents, std::string_view side, std::string_view path) {
  if (side == ChecksumFileText(contents)) return Status::Ok();
  return Status::Corruption(fmt::format("{}: damaged (it does not match {}.crc32c)", path, path));
}

}  // namespace topicfs::store
