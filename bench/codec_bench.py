#!/usr/bin/env python3
"""Kafka's compression codecs through the mount, against the uncompressed topic.

    python3 bench/codec_bench.py --topicfs build-bench/topicfs [--size-mib 1024] [--runs 5]

For SIZE of realistic log lines (bench/genloglines.c: timestamps, levels,
loggers, repeated words, numbers and ids), generated once and hot in the
page cache, each run measures every codec in --codecs (default
uncompressed,gzip,snappy,lz4,zstd), in an order rotated from run to run,
each on a fresh data directory and daemon:
  1. mkdir t; setfattr user.topicfs.compression.type=<codec> t (and any
     --level for it); the uncompressed baseline keeps the default,
     producer, which stores the shell's lines uncompressed;
  2. append: `cat src >> t/0`, timed; then `sync`, timed apart;
  3. bytes on disk: the partition's .log files (and user.topicfs.size_bytes);
  4. read: `cat t/0 > /dev/null`, timed (warm: the segments are in the
     page cache, so this is the daemon's decoding and FUSE, not the disk);
  5. check, untimed: `cmp src t/0`, st_size;
  6. unmount (fusermount3 -u, then -uz, then a kill), delete the data.
A codec the build refuses (setfattr fails) is reported and left out.

Prints the medians over the runs ([min-max]) per codec, each codec's
figures as a ratio to the uncompressed topic measured in the same run
(ratio of the medians, [min-max] of the per-run ratios), against the goals
of issue 13: lz4 and zstd append >= 0.7x and cat >= 0.8x the uncompressed
topic's MB/s; zstd >= 5x smaller on disk than the uncompressed topic. Also
the daemon's CPU seconds per operation. MB = 10^6 bytes of presented lines.
Python 3 standard library only; needs cc, fusermount3, setfattr/getfattr
and coreutils. Not a ctest test.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fs_bench import MIB, PAGE_REPORTING_DELAY, FreedMemoryHold, Mount, log, run, timed  # noqa: E402

CODECS = ["uncompressed", "gzip", "snappy", "lz4", "zstd"]
BASELINE = "uncompressed"
LEVELS = {"gzip": "compression.gzip.level", "lz4": "compression.lz4.level", "zstd": "compression.zstd.level"}
# metric -> (label, unit, higher is better)
METRICS = {
    "disk_mb": ("bytes on disk (.log files)", "MB", False),
    "append_mbs": ("append `cat src >> t/0`", "MB/s", True),
    "append_sync_mbs": ("append incl. `sync`", "MB/s", True),
    "cat_mbs": ("read `cat t/0 > /dev/null`", "MB/s", True),
}
# Goals (issue 13), as codec / uncompressed in the same run.
GOALS = {("lz4", "append_mbs"): (">=", 0.7), ("zstd", "append_mbs"): (">=", 0.7),
         ("lz4", "cat_mbs"): (">=", 0.8), ("zstd", "cat_mbs"): (">=", 0.8),
         ("zstd", "smaller"): (">=", 5.0)}


class Refused(Exception):
    """The daemon refused the codec's configuration (a build without it)."""


def measure(binary, root, codec, src, size, levels):
    data, mnt = os.path.join(root, "data"), os.path.join(root, "mnt")
    logpath = os.path.join(root, f"topicfs-{codec}.log")
    os.makedirs(data)
    mount = Mount([binary, "-f", data, mnt], mnt, logpath)
    r = {"load1": os.getloadavg()[0]}
    try:
        topic = os.path.join(mnt, "t")
        os.mkdir(topic)
        # The baseline keeps the default, producer: the shell's lines are
        # stored as the writer sent them, uncompressed (checked below).
        settings = [] if codec == BASELINE else [("compression.type", codec)]
        if codec in levels:
            settings.append((LEVELS[codec], levels[codec]))
        for name, value in settings:
            p = subprocess.run(["setfattr", "-n", f"user.topicfs.{name}", "-v", str(value), topic],
                               capture_output=True, text=True)
            if p.returncode != 0:
                raise Refused(f"setfattr {name}={value}: {p.stderr.strip()}")
        part = os.path.join(topic, "0")

        c = mount.cpu_seconds()
        t, _ = timed(["sh", "-c", 'cat "$0" >> "$1"', src, part])
        r["append_cpu"] = mount.cpu_seconds() - c
        ts, _ = timed(["sync"])
        r["append_mbs"] = size / 1e6 / t
        r["append_sync_mbs"] = size / 1e6 / (t + ts)
        if os.stat(part).st_size != size:
            raise AssertionError(f"{codec}: st_size {os.stat(part).st_size}, expected {size}")

        pdir = os.path.join(data, "t-0")
        disk = sum(os.path.getsize(os.path.join(pdir, n)) for n in os.listdir(pdir) if n.endswith(".log"))
        r["disk_mb"] = disk / 1e6
        if codec == BASELINE and disk < size:
            raise AssertionError(f"the {BASELINE} topic holds {disk} bytes on disk for {size} of lines")
        try:
            r["size_bytes"] = int(os.getxattr(part, "user.topicfs.size_bytes"))
        except OSError:
            pass

        c = mount.cpu_seconds()
        t, _ = timed(["cat", part], stdout=subprocess.DEVNULL)
        r["cat_mbs"] = size / 1e6 / t
        r["cat_cpu"] = mount.cpu_seconds() - c

        if subprocess.run(["cmp", src, part]).returncode != 0:
            raise AssertionError(f"cmp {src} t/0 ({codec}): contents differ")
    finally:
        rc = mount.stop()
        shutil.rmtree(data, ignore_errors=True)
        run(["sync"])
        if rc != 0:
            raise AssertionError(f"topicfs exited with {rc}; see {logpath}")
    return r


def med(results, codec, key):
    vals = [r[codec][key] for r in results if key in r.get(codec, {})]
    return (statistics.median(vals), min(vals), max(vals)) if vals else None


def per_run_ratios(results, codec, key, invert=False):
    out = []
    for r in results:
        if key in r.get(codec, {}) and key in r.get(BASELINE, {}):
            a, b = r[codec][key], r[BASELINE][key]
            out.append(b / a if invert else a / b)
    return out


def goal_mark(codec, key, value):
    goal = GOALS.get((codec, key))
    if goal is None:
        return ""
    op, limit = goal
    ok = value >= limit if op == ">=" else value <= limit
    return " ✓" if ok else " **✗**"


def summarize(results, codecs, size):
    out = ["| metric | unit | " + " | ".join(codecs) + " |", "|---|---|" + "---|" * len(codecs)]
    for key, (label, unit, _) in METRICS.items():
        cells = []
        for c in codecs:
            m = med(results, c, key)
            cells.append("—" if m is None else f"{m[0]:.1f} [{m[1]:.1f}–{m[2]:.1f}]")
        out.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    cells = []
    for c in codecs:
        m = med(results, c, "disk_mb")
        cells.append("—" if m is None else f"{size / 1e6 / m[0]:.2f}")
    out.append("| presented / on disk | x | " + " | ".join(cells) + " |")
    out.append("")

    others = [c for c in codecs if c != BASELINE]
    if BASELINE in codecs and others:
        out.append(f"| vs the {BASELINE} topic, same run | kind | " + " | ".join(others) + " | goal |")
        out.append("|---|---|" + "---|" * len(others) + "---|")
        rows = [("smaller", "disk_mb", "bytes on disk", "times smaller", True),
                ("append_mbs", "append_mbs", METRICS["append_mbs"][0], "throughput", False),
                ("append_sync_mbs", "append_sync_mbs", METRICS["append_sync_mbs"][0], "throughput", False),
                ("cat_mbs", "cat_mbs", METRICS["cat_mbs"][0], "throughput", False)]
        for goal_key, key, label, kind, invert in rows:
            cells = []
            for c in others:
                mc, mb = med(results, c, key), med(results, BASELINE, key)
                ratios = per_run_ratios(results, c, key, invert)
                if mc is None or mb is None or not ratios:
                    cells.append("—")
                    continue
                v = mb[0] / mc[0] if invert else mc[0] / mb[0]
                cells.append(f"{v:.2f} [{min(ratios):.2f}–{max(ratios):.2f}]{goal_mark(c, goal_key, v)}")
            goals = ", ".join(f"{c} {GOALS[(c, goal_key)][0]} {GOALS[(c, goal_key)][1]}x"
                              for c in others if (c, goal_key) in GOALS) or "—"
            out.append(f"| {label} | {kind} | " + " | ".join(cells) + f" | {goals} |")
        out.append("")
        out.append("Ratios: ratio of the medians, [min–max] of the per-run ratios; "
                   "✓ / ✗: goal met or not.")
        out.append("")

    out.append("Daemon CPU (user + system, from /proc/PID/stat), medians:")
    out.append("")
    out.append("| operation | unit | " + " | ".join(codecs) + " |")
    out.append("|---|---|" + "---|" * len(codecs))
    for key, label in (("append_cpu", "append"), ("cat_cpu", "cat")):
        cells = []
        for c in codecs:
            m = med(results, c, key)
            cells.append("—" if m is None else f"{m[0]:.2f}")
        out.append(f"| {label} | s | " + " | ".join(cells) + " |")
    out.append("")
    loads = [r[c]["load1"] for r in results for c in codecs if "load1" in r.get(c, {})]
    if loads:
        out.append(f"1-minute load average at the start of each measurement: median "
                   f"{statistics.median(loads):.2f} [{min(loads):.2f}–{max(loads):.2f}] on {os.cpu_count()} CPUs.")
    return "\n".join(out)


def reference_ratios(src):
    """The source compressed as one stream by the command-line tools, if
    installed: how compressible the lines are, batch boundaries aside."""
    size = os.path.getsize(src)
    out = []
    for name, cmd in (("zstd -3", ["zstd", "-3", "-c", "-q"]), ("lz4 -9", ["lz4", "-9", "-c", "-q"]),
                      ("gzip -6", ["gzip", "-6", "-c"])):
        if shutil.which(cmd[0]) is None:
            continue
        with open(src, "rb") as f:
            p = subprocess.Popen(cmd, stdin=f, stdout=subprocess.PIPE)
            n = 0
            for block in iter(lambda: p.stdout.read(1 << 20), b""):
                n += len(block)
            p.wait()
        out.append(f"{name} {size / n:.2f}x")
    return ", ".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topicfs", required=True, help="the topicfs binary")
    p.add_argument("--size-mib", type=int, default=1024, help="MiB of log lines (default 1024)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--codecs", default=",".join(CODECS),
                   help=f"comma-separated subset of {','.join(CODECS)} (the ratios need {BASELINE})")
    p.add_argument("--level", action="append", default=[], metavar="CODEC=N",
                   help="set compression.<codec>.level (gzip, lz4, zstd); repeatable; default: the topic's default")
    p.add_argument("--seed", type=int, default=13, help="the generator's seed")
    p.add_argument("--reference", action="store_true",
                   help="also compress the source as one stream with zstd, lz4 and gzip's command-line tools")
    p.add_argument("--workdir", default=None, help="parent of the temporary work directory (default: $TMPDIR or /tmp)")
    p.add_argument("--json", default=None, help="also append the raw results (one JSON line per run)")
    p.add_argument("--nice", type=int, default=0, help="run at this nice value (negative needs root)")
    p.add_argument("--keep", action="store_true", help="keep the work directory (the source and daemon logs)")
    p.add_argument("--report-freed-memory", action="store_true",
                   help=f"leave free page reporting alone (by default, where {PAGE_REPORTING_DELAY} exists, "
                        "it is delayed for the run and restored after; bench/FS_BENCH.md)")
    args = p.parse_args()

    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)
    codecs = [c for c in args.codecs.split(",") if c]
    for c in codecs:
        if c not in CODECS:
            sys.exit(f"codec_bench: unknown codec {c!r}")
    levels = {}
    for spec in args.level:
        codec, sep, value = spec.partition("=")
        if not sep or codec not in LEVELS:
            sys.exit(f"codec_bench: --level wants gzip=N, lz4=N or zstd=N, got {spec!r}")
        levels[codec] = value
    binary = os.path.abspath(args.topicfs)
    if not os.access(binary, os.X_OK):
        sys.exit(f"codec_bench: {binary} is not an executable")
    for tool in ("fusermount3", "setfattr", "cc"):
        if shutil.which(tool) is None:
            sys.exit(f"codec_bench: {tool} not found")

    root = tempfile.mkdtemp(prefix="topicfs-codecbench-", dir=args.workdir)
    size_target = args.size_mib * MIB
    # The source, the uncompressed topic (~10% larger: batch and record
    # headers) and slack.
    need = size_target * 2.3 + 512 * MIB
    free = shutil.disk_usage(root).free
    if free < need:
        shutil.rmtree(root)
        sys.exit(f"codec_bench: {free / 1e9:.1f} GB free under {root}, need {need / 1e9:.1f} GB")

    results, refused = [], {}
    freed_memory = FreedMemoryHold()
    try:
        if not args.report_freed_memory:
            freed_memory.hold(int(size_target * 3) + 1024 * MIB)
        gen = os.path.join(root, "genloglines")
        run([shutil.which("cc"), "-O2", "-o", gen, os.path.join(HERE, "genloglines.c")])
        src = os.path.join(root, "src.log")
        log(f"codec_bench: work directory {root}; generating {size_target} bytes of log lines")
        run([gen, str(size_target), src, str(args.seed)])
        size = os.path.getsize(src)
        with open(src, "rb") as f:
            lines = sum(block.count(b"\n") for block in iter(lambda: f.read(1 << 20), b""))
        reference = reference_ratios(src) if args.reference else ""
        for i in range(args.runs):
            live = [c for c in codecs if c not in refused]
            order = live[i % len(live):] + live[:i % len(live)] if live else []
            run_result = {}
            for c in order:
                log(f"run {i + 1}/{args.runs}: {c}")
                try:
                    run_result[c] = measure(binary, root, c, src, size, levels)
                except Refused as e:
                    refused[c] = str(e)
                    log(f"  {c}: refused by this build ({e}); left out")
                    continue
                log("  " + ", ".join(f"{k}={v:.4g}" for k, v in run_result[c].items() if isinstance(v, float)))
            results.append(run_result)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps({"run": i + 1, "size": size, "levels": levels, **run_result}) + "\n")
    finally:
        freed_memory.release()
        if args.keep:
            log(f"codec_bench: kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    measured = [c for c in codecs if c not in refused]
    print(f"\n{args.runs} runs, {size / MIB:.0f} MiB of log lines ({lines} lines, "
          f"{size / max(lines, 1):.0f} bytes each on average, seed {args.seed})"
          + (f", levels {levels}" if levels else "") + "; medians [min–max]\n")
    if reference:
        print(f"The source as one stream: {reference}.\n")
    print(summarize(results, measured, size))
    for c, why in refused.items():
        print(f"\n{c}: not measured, this build refused it: {why}")
    if BASELINE not in measured:
        print(f"\nNo ratios: the {BASELINE} topic was not measured.")


if __name__ == "__main__":
    main()
