#!/usr/bin/env python3
"""The layering of README.md ("Code map"), checked on the
sources: every #include of the project's own headers goes down, never up.

- store/<folder> includes only store folders at or below it, in the order
  base < io < format < index < log < cleanup < manager, and nothing of fs/,
  mountd/ or tests/;
- fs/ includes from the store only its public headers (PUBLIC below);
  the store includes nothing of fs/;
- mountd/ includes fs/ and the store's public headers.

The libraries' link dependencies (store/*/CMakeLists.txt) enforce the same
order at link time; this catches a header-only reach upward too.
Exit status 1, listing every offending include, if one is found.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = ["base", "io", "format", "index", "log", "cleanup", "manager"]
# What a front end may include of the store.
PUBLIC = {
    "store/base/status.h", "store/base/types.h", "store/base/clock.h",
    "store/base/mutex.h",  # the annotated locks (docs/threading.md)
    "store/base/owned_fd.h",  # the segment descriptors of a fetch (Log::SlicesForFetch)
    "store/log/log.h", "store/log/log_config.h", "store/format/topic_name.h",
    "store/manager/log_manager.h", "store/manager/group_offsets.h",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(folder):
    for root, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in files:
            if name.endswith((".h", ".cc")):
                path = os.path.join(root, name)
                yield os.path.relpath(path, ROOT), open(path, encoding="utf-8").read()


def main():
    bad = []
    for path, text in sources("store"):
        lib = path.split("/")[1]
        for inc in INCLUDE.findall(text):
            if inc.startswith(("fs/", "mountd/", "tests/", "kafka/")):
                bad.append(f"{path}: includes {inc}: the store knows no front end")
            elif inc.startswith("store/"):
                target = inc.split("/")[1]
                if target not in ORDER or ORDER.index(target) > ORDER.index(lib):
                    bad.append(f"{path}: includes {inc}: store/{lib} may not reach up to store/{target}")
    for folder in ("fs", "mountd"):
        for path, text in sources(folder):
            for inc in INCLUDE.findall(text):
                if inc.startswith("store/") and inc not in PUBLIC:
                    bad.append(f"{path}: includes {inc}, not one of the store's public headers")
                if folder == "fs" and inc.startswith("mountd/"):
                    bad.append(f"{path}: includes {inc}: fs/ is below mountd/")
    for line in bad:
        print(line)
    print(f"layering: {len(bad)} includes against the layering" if bad else "layering: every include goes down")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
