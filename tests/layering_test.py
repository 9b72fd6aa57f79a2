#!/usr/bin/env python3
"""The layering of README.md ("Code map"), checked on the
sources: every #include of the project's own headers goes down, never up.

- store/<folder> includes only store folders at or below it, in the order
  base < io < format < index < log < cleanup < manager < groups, and nothing of fs/,
  mountd/ or tests/;
- fs/ includes from the store only its public headers (PUBLIC below);
  the store includes nothing of fs/;
- kafka/ (the Kafka front end) likewise includes from the store only its
  public headers, and nothing of fs/ or mountd/; fs/ includes nothing of
  kafka/; inside kafka/, protocol/ includes nothing of the repo but itself,
  and server/ nothing of broker/;
- mountd/ includes fs/, kafka/ and the store's public headers.

The libraries' link dependencies (store/*/CMakeLists.txt) enforce the same
order at link time; this catches a header-only reach upward too.
Exit status 1, listing every offending include, if one is found.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER = ["base", "io", "format", "index", "log", "cleanup", "manager", "groups"]
# What a front end may include of the store.
PUBLIC = {
    "store/base/status.h", "store/base/types.h", "store/base/clock.h",
    "store/base/mutex.h",  # the annotated locks (docs/threading.md)
    "store/base/owned_fd.h",  # the segment descriptors of a fetch (Log::SlicesForFetch)
    "store/log/log.h", "store/log/log_config.h", "store/format/topic_name.h",
    "store/manager/log_manager.h", "store/manager/group_offsets.h",
    "store/manager/kafka_export.h",  # `topicfs export-kafka` (mountd/)
    "store/manager/kafka_import.h",  # `topicfs import` (mountd/)
    # the group coordinator and the plain types it takes and answers with
    "store/groups/group_coordinator.h", "store/groups/group_requests.h",
    "store/groups/group_error.h", "store/groups/classic_group.h",
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
    for folder in ("fs", "kafka", "mountd"):
        for path, text in sources(folder):
            for inc in INCLUDE.findall(text):
                if inc.startswith("store/") and inc not in PUBLIC:
                    bad.append(f"{path}: includes {inc}, not one of the store's public headers")
                if folder in ("fs", "kafka") and inc.startswith("mountd/"):
                    bad.append(f"{path}: includes {inc}: {folder}/ is below mountd/")
                if folder == "fs" and inc.startswith("kafka/"):
                    bad.append(f"{path}: includes {inc}: fs/ and kafka/ are front ends side by side")
                if folder == "kafka" and inc.startswith("fs/"):
                    bad.append(f"{path}: includes {inc}: kafka/ and fs/ are front ends side by side")
                if path.startswith("kafka/protocol/") and not inc.startswith("kafka/protocol/"):
                    bad.append(f"{path}: includes {inc}: the wire format is pure")
                if path.startswith("kafka/server/") and inc.startswith("kafka/broker/"):
                    bad.append(f"{path}: includes {inc}: the network layer knows no API")
    for line in bad:
        print(line)
    print(f"layering: {len(bad)} includes against the layering" if bad else "layering: every include goes down")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
