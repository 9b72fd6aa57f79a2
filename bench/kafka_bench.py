#!/usr/bin/env python3
"""kcat through the Kafka listener against the shell through the mount, on
one daemon, in one run: produce N lines of 100 bytes with `kcat -P -l`
against `cat FILE >> MNT/t/0`, and consume them with `kcat -C -e` against
`cat MNT/t/0`. Each pair runs REPS times, interleaved, on fresh topics;
prints the medians, their ratio and the load average (KAFKA_BENCH.md).

  bench/kafka_bench.py [BUILD_DIR] [LINES] [REPS]
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
LINES = int(sys.argv[2]) if len(sys.argv) > 2 else 500_000
REPS = int(sys.argv[3]) if len(sys.argv) > 3 else 3


def timed(cmd, **kw):
    start = time.monotonic()
    subprocess.run(cmd, check=True, **kw)
    return time.monotonic() - start


def main():
    tmp = tempfile.mkdtemp(prefix="topicfs-kafka-bench-")
    data, mnt, src = os.path.join(tmp, "data"), os.path.join(tmp, "mnt"), os.path.join(tmp, "lines")
    os.mkdir(mnt)
    with open(src, "w") as f:
        for i in range(LINES):
            f.write(f"{i:012d} {'x' * 86}\n")  # 100 bytes with the newline
    size = os.path.getsize(src)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    broker = f"127.0.0.1:{port}"
    daemon = subprocess.Popen([os.path.join(BUILD, "topicfs"), "-f", f"--kafka-listen={broker}",
                               data, mnt], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not os.path.ismount(mnt) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        figures = {"kcat -P": [], "cat >>": [], "kcat -C": [], "cat": []}
        for rep in range(REPS):
            for how in ("kcat", "shell"):
                topic = f"{how}{rep}"
                os.mkdir(os.path.join(mnt, topic))
                part = os.path.join(mnt, topic, "0")
                if how == "kcat":
                    figures["kcat -P"].append(timed(["kcat", "-b", broker, "-P", "-t", topic, "-p", "0",
                                                     "-l", src]))
                    assert os.path.getsize(part) == size, (os.path.getsize(part), size)
                    with open(os.devnull, "w") as null:
                        figures["kcat -C"].append(timed(["kcat", "-b", broker, "-C", "-t", topic, "-p", "0",
                                                         "-o", "beginning", "-e", "-q"], stdout=null))
                else:
                    figures["cat >>"].append(timed(["sh", "-c", f"cat {src} >> {part}"]))
                    with open(os.devnull, "w") as null:
                        figures["cat"].append(timed(["cat", part], stdout=null))
        load = open("/proc/loadavg").read().split()[:3]
        print(f"{LINES} lines, {size / 1e6:.0f} MB, {REPS} runs each, load average {' '.join(load)}")
        for name, runs in figures.items():
            med = statistics.median(runs)
            print(f"  {name:8s} median {med:6.2f} s  {size / 1e6 / med:7.1f} MB/s  {LINES / med:10.0f} lines/s"
                  f"  runs {' '.join(f'{r:.2f}' for r in runs)}")
        print(f"  produce: kcat -P / cat >> = {statistics.median(figures['kcat -P']) / statistics.median(figures['cat >>']):.2f}x the time")
        print(f"  consume: kcat -C / cat    = {statistics.median(figures['kcat -C']) / statistics.median(figures['cat']):.2f}x the time")
    finally:
        subprocess.run(["fusermount3", "-u", mnt])
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
