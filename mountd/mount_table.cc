#include "mountd/mount_table.h"

#include <fstream>
#include <sstream>

namespace topicfs::mountd {

std::string UnescapeMountField(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    auto octal = [&](size_t at) { return field[at] >= '0' && field[at] <= '7'; };
    if (field[i] == '\\' && i + 3 < field.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

// "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue":
// id, parent, device, root, mount point, options, optional fields up to
// "-", then type, source, super options (proc(5)).
static std::optional<MountEntry> ParseLine(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> fields;
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() < 7) return std::nullopt;
  size_t dash = 6;
  while (dash < fields.size() && fields[dash] != "-") ++dash;
  if (dash + 2 >= fields.size()) return std::nullopt;
  MountEntry e;
  try {
    e.id = std::stoi(fields[0]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  e.mount_point = UnescapeMountField(fields[4]);
  e.type = UnescapeMountField(fields[dash + 1]);
  e.source = UnescapeMountField(fields[dash + 2]);
  return e;
}

std::vector<MountEntry> ReadMountTable(const std::string& path) {
  std::vector<MountEntry> table;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (auto e = ParseLine(line)) table.push_back(std::move(*e));
  }
  return table;
}

std::optional<MountEntry> FindMount(const std::vector<MountEntry>& table, std::string_view mount_point) {
  std::optional<MountEntry> found;
  for (const MountEntry& e : table) {
    if (e.mount_point == mount_point) found = e;
  }
  return found;
}

bool HasMount(const std::vector<MountEntry>& table, int id) {
  for (const MountEntry& e : table) {
    if (e.id == id) return true;
  }
  return false;
}

}  // namespace topicfs::mountd
