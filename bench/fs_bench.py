#!/usr/bin/env python3
"""topicfs against a direct_io passthrough FUSE filesystem and a local file.

    python3 bench/fs_bench.py --topicfs build-bench/topicfs \
        --passthrough /tmp/passthrough_dio [--size-mib 1024] [--runs 5]

Each run measures three targets (and any --extra-topicfs build, for A/B
runs of a change), in an order rotated from run to run so no target always
goes first:
  local        a file in the work directory (the filesystem holding the
               data directories)
  passthrough  bench/passthrough_dio mounted over a backing directory
               (direct_io, pread/pwrite, O_APPEND honoured)
  topicfs      the daemon on a fresh data directory, one topic per test file
               (partition file <topic>/0)
and on each: `cat src >> dst` of SIZE of 100-byte lines (src generated once
and hot in the page cache), `sync`, `cat dst > /dev/null`, `wc -l dst`,
`tail -n 10 dst` (mean of --tail-calls calls), and one write(2) per 100-byte
line with O_APPEND for --small-seconds (bench/appendlines.c). Every run checks
the results: `cmp src dst`, the wc and tail outputs, and every small-append
line in order. Mounts run with -f as child processes and are always
unmounted; the work directory is removed at the end (unless --keep).

Where the kernel has Firecracker's free page reporting delay knob (root
only), reporting is delayed for the run and restored after, and memory is
touched up front (FreedMemoryHold; --report-freed-memory leaves it alone).

Prints medians over the runs ([min-max]), topicfs/passthrough and
topicfs/local ratios against the targets (docs/fs-benchmark.md), and each
daemon's CPU seconds per operation (from /proc/PID/stat). MB = 10^6 bytes. Python 3 standard library only; needs cc, fusermount3 and coreutils.
"""

import argparse
import json
import mmap
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = 100
MIB = 1 << 20

# metric key -> (label, unit, higher is better)
METRICS = {
    "append_mbs": ("bulk append `cat src >> dst`", "MB/s", True),
    "append_sync_mbs": ("bulk append incl. `sync`", "MB/s", True),
    "read_mbs": ("sequential read `cat dst >/dev/null`", "MB/s", True),
    "wc_s": ("`wc -l dst`", "s", False),
    "tail_ms": ("`tail -n 10 dst`", "ms", False),
    "small_lps": ("small appends (1 write/line)", "lines/s", True),
}
# The goals, as topicfs/passthrough: a throughput at least this fraction of
# the passthrough's, a time at most this multiple of it.
TARGETS = {"append_mbs": 0.8, "read_mbs": 0.8, "small_lps": 0.9, "tail_ms": 2.0}


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, timeout=900, **kw):
    return subprocess.run(cmd, check=True, timeout=timeout, **kw)


def timed(cmd, **kw):
    start = time.perf_counter()
    out = run(cmd, stdout=kw.pop("stdout", subprocess.PIPE), **kw)
    return time.perf_counter() - start, out


def compile_helpers(bindir):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        sys.exit("fs_bench: need a C compiler (cc) for bench/genlines.c and bench/appendlines.c")
    for name in ("genlines", "appendlines"):
        run([cc, "-O2", "-o", os.path.join(bindir, name), os.path.join(HERE, name + ".c")])
    return os.path.join(bindir, "genlines"), os.path.join(bindir, "appendlines")


# On a VM with free page reporting, memory the guest frees is handed back to
# the host, and the first write to such a page later costs a host fault. A
# write to a fresh page-cache folio then runs at a fraction of its speed,
# and which target draws such pages changes from run to run (large folios,
# which aligned writes get, come from the high-order blocks that are
# reported). Firecracker guests here have a knob that delays the report.
PAGE_REPORTING_DELAY = "/sys/module/page_reporting/parameters/min_free_ms"


class FreedMemoryHold:
    """Keeps freed memory with the guest for 100 s (restored by release()),
    after touching `touch_bytes` of it so every target writes to backed pages."""

    def __init__(self):
        self.saved = None

    def hold(self, touch_bytes):
        try:
            with open(PAGE_REPORTING_DELAY) as f:
                self.saved = f.read().strip()
            with open(PAGE_REPORTING_DELAY, "w") as f:
                f.write("100000")
        except OSError:  # not that kernel, or not root: nothing to hold
            self.saved = None
            return
        with open("/proc/meminfo") as f:
            available = next(int(line.split()[1]) * 1024 for line in f
                             if line.startswith("MemAvailable:"))
        touch_bytes = min(touch_bytes, available // 2)
        log(f"fs_bench: free page reporting delayed ({PAGE_REPORTING_DELAY}: "
            f"{self.saved} -> 100000) and {touch_bytes / MIB:.0f} MiB touched")
        m = mmap.mmap(-1, touch_bytes)
        for i in range(0, touch_bytes, mmap.PAGESIZE):
            m[i] = 1
        m.close()

    def release(self):
        if self.saved is not None:
            with open(PAGE_REPORTING_DELAY, "w") as f:
                f.write(self.saved)
            self.saved = None


def is_mounted(path):
    try:
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == path for line in f)
    except OSError:
        return os.path.ismount(path)


class Mount:
    """A FUSE daemon started with -f on `mountpoint`; always unmounted by stop()."""

    def __init__(self, argv, mountpoint, logpath):
        self.mountpoint = mountpoint
        os.makedirs(mountpoint, exist_ok=True)
        self.logfile = open(logpath, "ab")
        self.proc = subprocess.Popen(argv, stdout=self.logfile, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not is_mounted(mountpoint):
            if self.proc.poll() is not None:
                self.logfile.close()
                raise RuntimeError(f"{argv[0]} exited with {self.proc.returncode}; see {logpath}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{argv[0]} did not mount {mountpoint} in 15 s; see {logpath}")
            time.sleep(0.02)

    def cpu_seconds(self):
        """User + system CPU seconds the daemon has used so far."""
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def stop(self):
        if is_mounted(self.mountpoint):
            if subprocess.run(["fusermount3", "-u", self.mountpoint]).returncode != 0:
                log(f"fusermount3 -u {self.mountpoint} failed; lazy unmount")
                subprocess.run(["fusermount3", "-uz", self.mountpoint])
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            log(f"pid {self.proc.pid} did not exit after unmount; killing it")
            self.proc.kill()
            self.proc.wait()
        self.logfile.close()
        return self.proc.returncode


class Local:
    name = "local"
    mount = None

    def __init__(self, root, args):
        self.dir = os.path.join(root, "local")

    def start(self):
        os.makedirs(self.dir)
        return os.path.join(self.dir, "bulk.txt"), os.path.join(self.dir, "small.txt")

    def stop(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Passthrough:
    name = "passthrough"

    def __init__(self, root, args):
        self.backing = os.path.join(root, "pt-backing")
        self.mnt = os.path.join(root, "pt-mnt")
        self.log = os.path.join(root, "passthrough.log")
        self.binary = args.passthrough
        self.mount = None

    def start(self):
        os.makedirs(self.backing)
        self.mount = Mount([self.binary, "-f", self.backing, self.mnt], self.mnt, self.log)
        return os.path.join(self.mnt, "bulk.txt"), os.path.join(self.mnt, "small.txt")

    def stop(self):
        if self.mount is not None:
            rc = self.mount.stop()
            self.mount = None
            if rc != 0:
                log(f"passthrough exited with {rc}; see {self.log}")
        shutil.rmtree(self.backing, ignore_errors=True)


class Topicfs:
    def __init__(self, root, args, name="topicfs", binary=None, flags=()):
        self.name = name
        self.data = os.path.join(root, name + "-data")
        self.mnt = os.path.join(root, name + "-mnt")
        self.log = os.path.join(root, name + ".log")
        self.binary = binary or args.topicfs
        self.flags = list(flags)
        self.mount = None

    def start(self):
        os.makedirs(self.data)
        self.mount = Mount([self.binary, *self.flags, "-f", self.data, self.mnt], self.mnt, self.log)
        for topic in ("bulk", "small"):
            os.mkdir(os.path.join(self.mnt, topic))  # one partition: <topic>/0
        return os.path.join(self.mnt, "bulk", "0"), os.path.join(self.mnt, "small", "0")

    def stop(self):
        if self.mount is not None:
            rc = self.mount.stop()
            self.mount = None
            if rc != 0:
                raise RuntimeError(f"{self.name} exited with {rc}; see {self.log}")
        shutil.rmtree(self.data, ignore_errors=True)


def check_small(path, count):
    """Every line i of the small-append file is line i the writer sent."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) != count * LINE:
        raise AssertionError(f"{path}: {len(data)} bytes, expected {count} lines = {count * LINE}")
    for i in range(count):
        line = data[i * LINE:(i + 1) * LINE]
        if line[:11] != b"%010d " % i or line[-1:] != b"\n":
            raise AssertionError(f"{path}: line {i} is {line[:20]!r}...")


def measure(target, src, lines, src_tail, appendlines, args):
    r = {"load1": os.getloadavg()[0]}
    size = lines * LINE
    bulk, small = target.start()

    def cpu():
        return target.mount.cpu_seconds() if target.mount is not None else float("nan")

    try:
        c = cpu()
        t, _ = timed(["sh", "-c", 'cat "$0" >> "$1"', src, bulk])
        r["append_cpu"] = cpu() - c
        ts, _ = timed(["sync"])
        r["append_mbs"] = size / 1e6 / t
        r["append_sync_mbs"] = size / 1e6 / (t + ts)
        if os.stat(bulk).st_size != size:
            raise AssertionError(f"{bulk}: st_size {os.stat(bulk).st_size}, expected {size}")

        c = cpu()
        t, _ = timed(["cat", bulk], stdout=subprocess.DEVNULL)
        r["read_mbs"] = size / 1e6 / t
        r["read_cpu"] = cpu() - c

        c = cpu()
        t, out = timed(["wc", "-l", bulk])
        r["wc_s"] = t
        r["wc_cpu"] = cpu() - c
        if int(out.stdout.split()[0]) != lines:
            raise AssertionError(f"wc -l {bulk}: {out.stdout!r}, expected {lines}")

        total = 0.0
        for _ in range(args.tail_calls):
            t, out = timed(["tail", "-n", "10", bulk])
            total += t
            if out.stdout != src_tail:
                raise AssertionError(f"tail -n 10 {bulk}: wrong lines {out.stdout[:40]!r}...")
        r["tail_ms"] = total / args.tail_calls * 1000

        if subprocess.run(["cmp", src, bulk]).returncode != 0:
            raise AssertionError(f"cmp {src} {bulk}: contents differ")
        r["bulk_ok"] = True

        c = cpu()
        out = run([appendlines, small, str(args.small_seconds)], stdout=subprocess.PIPE, text=True)
        count, elapsed = out.stdout.split()
        count = int(count)
        r["small_lps"] = count / float(elapsed)
        r["small_cpu_us"] = (cpu() - c) / count * 1e6
        check_small(small, count)
        r["small_lines"] = count
        r["small_ok"] = True
    finally:
        target.stop()
        run(["sync"])
    return r


def fmt(v, unit):
    if unit == "lines/s":
        return f"{v / 1000:.1f} k"
    if unit == "s":
        return f"{v:.2f}"
    if unit == "ms":
        return f"{v:.2f}"
    return f"{v:.0f}"


def median_of(results, name, key):
    vals = [r[name][key] for r in results if key in r.get(name, {})]
    vals = [v for v in vals if v == v]  # drop NaN
    return (statistics.median(vals), min(vals), max(vals)) if vals else None


def summarize(results, names):
    """Markdown tables: medians [min-max] per target, ratios, daemon CPU."""
    out = ["| metric | unit | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for key, (label, unit, _) in METRICS.items():
        cells = []
        for n in names:
            m = median_of(results, n, key)
            cells.append("—" if m is None else
                         f"{fmt(m[0], unit)} [{fmt(m[1], unit)}–{fmt(m[2], unit)}]")
        out.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
    out.append("")

    # topicfs (and any --extra-topicfs build) against passthrough and local,
    # and topicfs against each --extra-topicfs build (A/B).
    pairs = [(t, b) for t in names if t not in ("local", "passthrough")
             for b in ("passthrough", "local") if b in names]
    if "topicfs" in names:
        pairs += [("topicfs", e) for e in names if e not in ("local", "passthrough", "topicfs")]
    if pairs:
        out.append("| metric | kind | " + " | ".join(f"{t}/{b}" for t, b in pairs) +
                   " | target (vs passthrough) |")
        out.append("|---|---|" + "---|" * len(pairs) + "---|")
        for key, (label, unit, higher) in METRICS.items():
            kind = "throughput, higher is better" if higher else "time, lower is better"
            cells = []
            for t, b in pairs:
                mt, mb = median_of(results, t, key), median_of(results, b, key)
                per_run = [r[t][key] / r[b][key] for r in results if key in r.get(t, {}) and
                           key in r.get(b, {})]
                if mt is None or mb is None or not per_run:
                    cells.append("—")
                    continue
                v = mt[0] / mb[0]
                mark = ""
                if b == "passthrough" and key in TARGETS:
                    ok = v >= TARGETS[key] if higher else v <= TARGETS[key]
                    mark = " ✓" if ok else " **✗**"
                cells.append(f"{v:.2f} [{min(per_run):.2f}–{max(per_run):.2f}]{mark}")
            goal = "—"
            if key in TARGETS:
                goal = (">= " if higher else "<= ") + f"{TARGETS[key]}x"
            out.append(f"| {label} | {kind} | " + " | ".join(cells) + f" | {goal} |")
        out.append("")
        out.append("Ratios: ratio of the medians, [min–max] of the per-run ratios; "
                   "✓ / ✗: target met or not.")
        out.append("")

    fuse = [n for n in names if n != "local"]
    if fuse:
        out.append("Daemon CPU (user + system, from /proc/PID/stat), medians:")
        out.append("")
        out.append("| operation | unit | " + " | ".join(fuse) + " |")
        out.append("|---|---|" + "---|" * len(fuse) + "")
        for key, label, unit in (("append_cpu", "bulk append", "s"), ("read_cpu", "sequential read", "s"),
                                 ("wc_cpu", "wc -l", "s"), ("small_cpu_us", "small append", "µs/line")):
            cells = []
            for n in fuse:
                m = median_of(results, n, key)
                cells.append("—" if m is None else f"{m[0]:.2f}")
            out.append(f"| {label} | {unit} | " + " | ".join(cells) + " |")
        out.append("")
    loads = [r[n]["load1"] for r in results for n in names if "load1" in r.get(n, {})]
    if loads:
        out.append(f"1-minute load average at the start of each measurement: median "
                   f"{statistics.median(loads):.2f} [{min(loads):.2f}–{max(loads):.2f}] "
                   f"on {os.cpu_count()} CPUs.")
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--topicfs", required=True, help="the topicfs binary")
    p.add_argument("--passthrough", required=True, help="the passthrough_dio binary")
    p.add_argument("--size-mib", type=int, default=1024, help="bulk file size (default 1024)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--small-seconds", type=float, default=5.0)
    p.add_argument("--tail-calls", type=int, default=20)
    p.add_argument("--targets", default="local,passthrough,topicfs",
                   help="comma-separated subset of local,passthrough,topicfs")
    p.add_argument("--extra-topicfs", action="append", default=[], metavar="LABEL=BINARY [FLAG...]",
                   help="another topicfs build to measure as target LABEL (A/B runs); repeatable")
    p.add_argument("--workdir", default=None,
                   help="parent of the temporary work directory (default: $TMPDIR or /tmp)")
    p.add_argument("--json", default=None, help="also append the raw results (one JSON line per run)")
    p.add_argument("--nice", type=int, default=0,
                   help="run at this nice value (negative needs root): less noise on a shared box")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--report-freed-memory", action="store_true",
                   help=f"leave free page reporting as it is (by default, where {PAGE_REPORTING_DELAY} "
                        "exists, it is delayed for the run and restored after)")
    args = p.parse_args()

    if args.nice:
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)  # inherited by every child
    names = [n for n in args.targets.split(",") if n]
    for n in names:
        if n not in ("local", "passthrough", "topicfs"):
            sys.exit(f"fs_bench: unknown target {n!r}")
    extra = {}
    for spec in args.extra_topicfs:
        label, sep, command = spec.partition("=")
        binary, *flags = command.split()
        if not sep or not label or label in ("local", "passthrough", "topicfs") or "/" in label:
            sys.exit(f"fs_bench: --extra-topicfs wants LABEL=BINARY [FLAG...], got {spec!r}")
        extra[label] = (os.path.abspath(binary), flags)
        names.append(label)
    binaries = [binary for binary, _ in extra.values()]
    if "topicfs" in names:
        binaries.append(args.topicfs)
    if "passthrough" in names:
        binaries.append(args.passthrough)
    for binary in binaries:
        if not os.access(binary, os.X_OK):
            sys.exit(f"fs_bench: {binary} is not an executable")
    args.topicfs = os.path.abspath(args.topicfs)
    args.passthrough = os.path.abspath(args.passthrough)
    if shutil.which("fusermount3") is None:
        sys.exit("fs_bench: fusermount3 not found")

    root = tempfile.mkdtemp(prefix="topicfs-fsbench-", dir=args.workdir)
    lines = args.size_mib * MIB // LINE
    size = lines * LINE
    # The source, one bulk copy (topicfs's segments are ~10% larger than the
    # lines: batch and record headers) and slack.
    need = size * 2.3 + 512 * MIB
    free = shutil.disk_usage(root).free
    if free < need:
        shutil.rmtree(root)
        sys.exit(f"fs_bench: {free / 1e9:.1f} GB free under {root}, need {need / 1e9:.1f} GB")

    targets = {}
    for n in names:
        if n == "local":
            targets[n] = Local(root, args)
        elif n == "passthrough":
            targets[n] = Passthrough(root, args)
        else:
            binary, flags = extra.get(n, (None, ()))
            targets[n] = Topicfs(root, args, n, binary, flags)
    results = []
    freed_memory = FreedMemoryHold()
    try:
        if not args.report_freed_memory:
            freed_memory.hold(int(size * 3) + 1024 * MIB)
        bindir = os.path.join(root, "bin")
        os.mkdir(bindir)
        genlines, appendlines = compile_helpers(bindir)
        src = os.path.join(root, "src.txt")
        log(f"fs_bench: work directory {root}; generating {size} bytes ({lines} lines)")
        run([genlines, str(size), src])
        run(["cat", src], stdout=subprocess.DEVNULL)  # hot in the page cache
        with open(src, "rb") as f:
            f.seek(size - 10 * LINE)
            src_tail = f.read()
        for i in range(args.runs):
            order = names[i % len(names):] + names[:i % len(names)]
            run_result = {}
            for n in order:
                log(f"run {i + 1}/{args.runs}: {n}")
                run_result[n] = measure(targets[n], src, lines, src_tail, appendlines, args)
                log("  " + ", ".join(f"{k}={v:.4g}" for k, v in run_result[n].items()
                                     if isinstance(v, float)))
            results.append(run_result)
            if args.json:
                with open(args.json, "a") as f:
                    f.write(json.dumps({"run": i + 1, "size": size, **run_result}) + "\n")
    finally:
        freed_memory.release()
        for t in targets.values():
            try:
                t.stop()
            except Exception as e:  # report, keep cleaning up
                log(f"stopping {t.name}: {e}")
        if args.keep:
            log(f"fs_bench: kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print(f"\n{args.runs} runs, {size / MIB:.0f} MiB of {LINE}-byte lines, "
          f"small appends {args.small_seconds:g} s, tail mean of {args.tail_calls}; "
          f"medians [min–max]\n")
    print(summarize(results, names))


if __name__ == "__main__":
    main()
