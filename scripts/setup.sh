#!/usr/bin/env bash
# Installs, with apt, whatever the build and the tests use that is missing.
# Safe to run again: it installs nothing when everything is there.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang
  libfuse3-dev fuse3 libfmt-dev libspdlog-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
  attr python3 python3-kafka python3-lz4 python3-snappy python3-zstandard kcat strace
  openjdk-17-jre-headless maven   # Apache Kafka's tools as test oracles (tests/e2e/kafka_tools.py)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Node.js and npm run KafkaJS, a test client (tests/e2e/kafkajs_client.js).
# Checked by command: a machine's own Node.js (a nodesource build carries
# its npm) is used as it is; Debian's packages only where there is none.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
