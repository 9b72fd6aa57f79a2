#!/usr/bin/env bash
# Builds store_bench (Release) and runs it with 5 repetitions, then prints the
# medians, the store/plain ratios and the targets from bench/README.md.
#
#   bench/run_store_bench.sh                         # the whole suite (~1 min)
#   bench/run_store_bench.sh --benchmark_filter=append   # extra flags go to store_bench
#
# Environment: BUILD_DIR (default <repo>/build-bench), TMPDIR (where the
# ~2.5 GB of scratch files go; same filesystem for store and plain files).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$repo/build-bench}

cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target store_bench

scratch=$(mktemp -d "${TMPDIR:-/tmp}/topicfs-store-bench-run.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
json="$build/store_bench.json"

# Other work on this 2-core machine stretches wall-clock figures; CPU time
# (this thread's user + system time) is much less affected, so both are shown.
read -r load1 _ < /proc/loadavg
echo "load average (1 min) before the run: $load1 on $(nproc) cores" >&2

TMPDIR=$scratch "$build/store_bench" \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_out="$json" --benchmark_out_format=json "$@"

read -r load1 _ < /proc/loadavg
echo "load average (1 min) after the run: $load1" >&2

python3 - "$json" <<'EOF'
import json, sys

runs = json.load(open(sys.argv[1]))["benchmarks"]
med = {}
for r in runs:
    if r.get("aggregate_name") == "median":
        med[r["run_name"].split("/iterations:")[0]] = r

def get(name, key):
    r = med.get(name)
    return None if r is None else r.get(key)

def fmt(v, spec):
    if v is None:
        width = spec.split(".")[0]
        return "-".rjust(int(width)) if width.isdigit() else "-"
    return format(v, spec)

print()
print(f"{'median of 5 repetitions':34} {'wall/op':>11} {'cpu/op':>11} {'GB/s':>7} {'Mlines/s':>9} {'p50 us':>7} {'p99 us':>7}")
for name, r in med.items():
    unit = r["time_unit"]
    lines = r.get("lines/s")
    print(f"{name:34} {r['real_time']:9.2f}{unit:>2} {r['cpu_time']:9.2f}{unit:>2} "
          f"{fmt(r.get('GB/s'), '7.2f')} {fmt(None if lines is None else lines / 1e6, '9.2f')} "
          f"{fmt(r.get('p50_us'), '7.2f')} {fmt(r.get('p99_us'), '7.2f')}")

def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b

def verdict(ok):
    return "-" if ok is None else ("PASS" if ok else "FAIL")

print()
print("targets (ratios: store / plain syscall on the same bytes, from the medians above)")
w, s, s64 = "append/write2", "append/store/segment_MiB:1024", "append/store/segment_MiB:64"
lines = get(s, "lines/s")
vs_wall = ratio(get(s, "GB/s"), get(w, "GB/s"))
vs_cpu = ratio(get(w, "cpu_time"), get(s, "cpu_time"))
print(f"  append lines/s >= 5 M              {fmt(None if lines is None else lines / 1e6, '.2f'):>8} M     "
      f"{verdict(None if lines is None else lines >= 5e6)}")
print(f"  append vs write(2) >= 0.50         {fmt(vs_wall, '.2f'):>8} wall  {fmt(vs_cpu, '.2f')} cpu  "
      f"{verdict(None if vs_wall is None else vs_wall >= 0.5)}")
vs64 = ratio(get(s64, "GB/s"), get(w, "GB/s"))
print(f"    (segment.bytes=64 MiB, rolling)  {fmt(vs64, '.2f'):>8} wall  "
      f"{fmt(ratio(get(w, 'cpu_time'), get(s64, 'cpu_time')), '.2f')} cpu")
gbs = get("seq_read/store", "GB/s")
print(f"  sequential read >= 2 GB/s          {fmt(gbs, '.2f'):>8} GB/s  "
      f"{verdict(None if gbs is None else gbs >= 2)}   vs read(2) "
      f"{fmt(ratio(gbs, get('seq_read/read2', 'GB/s')), '.2f')} wall  "
      f"{fmt(ratio(get('seq_read/read2', 'cpu_time'), get('seq_read/store', 'cpu_time')), '.2f')} cpu")
p50 = get("rand_read/store", "p50_us")
print(f"  random 4 KiB read p50 <= 20 us     {fmt(p50, '.2f'):>8} us    "
      f"{verdict(None if p50 is None else p50 <= 20)}   pread(2) p50 {fmt(get('rand_read/pread2', 'p50_us'), '.2f')} us, "
      f"store/pread {fmt(ratio(p50, get('rand_read/pread2', 'p50_us')), '.1f')}x")
# One iteration is 1,000 lines, so microseconds per iteration = ns per line.
noio_cpu = get("append/store_discard_io", "cpu_time")
print(f"  (diagnostic) Log::Append with writes discarded: {fmt(get('append/store_discard_io', 'ns/line'), '.1f')} ns/line wall, "
      f"{fmt(noio_cpu, '.1f')} ns/line cpu")
EOF
