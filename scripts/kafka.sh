#!/usr/bin/env bash
# Apache Kafka's own tools, as the tests use them (tests/e2e/kafka_tools.py):
#   scripts/kafka.sh fetch                 resolve Kafka's jars into ~/.cache/topicfs (once)
#   scripts/kafka.sh run CLASS ARGS...     run one Kafka main class, e.g.
#     scripts/kafka.sh run org.apache.kafka.tools.DumpLogSegments --deep-iteration --files data/t-0/00000000000000000000.log
#   scripts/kafka.sh broker                a single-node KRaft broker on loopback until Ctrl-C
set -euo pipefail
exec python3 "$(dirname "$0")/../tests/e2e/kafka_tools.py" "$@"
