#!/usr/bin/env python3
"""Retention and compaction seen through the mount (issue 4): setfattr a
short retention.ms and segment.bytes, keep appending, and watch old segments
go while tail -f follows and st_size keeps growing; on a compacted topic,
1,000 keys x 10 versions shrink to one line per key outside the active
segment, tombstoned keys vanish after delete.retention.ms, keyless lines are
refused; the settings survive a remount and cleanup resumes after it.

The daemon runs with --retention-check-interval-ms=200 and
--cleaner-backoff-ms=200 so that all of this happens within seconds."""

import errno
import os
import select
import shlex
import subprocess
import time

from mount_fixture import PREFIX, Daemon, MountedTestCase, main, topicfs_bin

DAEMON_ARGS = ["--retention-check-interval-ms=200", "--cleaner-backoff-ms=200"]


class CleanupTestCase(MountedTestCase):
    """A mount whose daemon checks retention and looks for logs to clean
    every 200 ms (on every start, remounts included)."""

    def start_daemon(self):
        self._starts += 1
        self.daemon = Daemon(topicfs_bin(), self.data, self.mnt,
                             os.path.join(self.tmp, f"daemon-{self._starts}.log"),
                             extra_args=DAEMON_ARGS)
        self.daemon.start()

    def setfattrs(self, rel, **config):
        for name, value in config.items():
            self.sh(f"setfattr -n user.topicfs.{name.replace('_', '.')} -v {shlex.quote(str(value))} "
                    f"{shlex.quote(rel)}")

    def figure(self, rel, name):
        return int(os.getxattr(self.path(rel), PREFIX + name))

    def cat(self, rel):
        return self.sh(f"cat {shlex.quote(rel)}").stdout

    def active_base(self, topic):
        """Base offset of the partition's active segment, from the data
        directory (Kafka's layout: the newest <base>.log)."""
        names = [n for n in os.listdir(os.path.join(self.data, f"{topic}-0"))
                 if n.endswith(".log") and n[:20].isdigit() and len(n) == 24]
        return max(int(n[:20]) for n in names)


def read_available(proc, into, timeout):
    """Appends what proc.stdout has within `timeout` seconds to `into`."""
    fd = proc.stdout.fileno()
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, left))
        if not ready:
            return
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        into += chunk


def offsets_of(lines_written):
    """{line: offset} for unique lines written back to back from offset 0."""
    out, offset = {}, 0
    for line in lines_written:
        out[line] = offset
        offset += len(line) + 1
    return out


class RetentionTest(CleanupTestCase):

    def test_old_segments_go_while_tail_f_follows_and_st_size_only_grows(self):
        self.mkdir("t")
        self.setfattrs("t", internal_segment_bytes=2000, retention_ms=1000, file_delete_delay_ms=0)
        written = bytearray()
        first = "".join(f"before tail {i:04d} {'x' * 20}\n" for i in range(40)).encode()
        self.append("t/0", first)
        written += first

        # tail -f: the last 10 lines, then everything appended afterwards.
        tail = subprocess.Popen(["tail", "-f", "-s", "0.1", self.path("t", "0")],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: (tail.kill(), tail.wait(), tail.stdout.close(), tail.stderr.close()))
        tailed = bytearray()
        expected_tail = b"".join(first.splitlines(keepends=True)[-10:])
        deadline = time.monotonic() + 5
        while len(tailed) < len(expected_tail) and time.monotonic() < deadline:
            read_available(tail, tailed, 0.2)
        self.assertEqual(bytes(tailed), expected_tail, "tail -f's first 10 lines")

        # ~4 s of appends, one open + write per line as echo >> does,
        # sampling the figures and stat between appends.
        samples = []  # (st_size, st_blocks, log_start, log_end, segments)
        n = 0
        start = time.monotonic()
        while time.monotonic() - start < 4.0:
            line = f"line {n:06d} appended at {time.monotonic() - start:.3f} s\n".encode()
            self.append("t/0", line)
            written += line
            n += 1
            if n % 10 == 0:
                st = os.stat(self.path("t", "0"))
                samples.append((st.st_size, st.st_blocks, self.figure("t/0", "log_start_offset"),
                                self.figure("t/0", "log_end_offset"), self.figure("t/0", "segments")))
                self.assertEqual(st.st_size, len(written), "st_size vs the bytes appended")
            read_available(tail, tailed, 0.0)
            time.sleep(0.003)

        # st_size only grows and always equals the log end offset.
        sizes = [s[0] for s in samples]
        self.assertEqual(sizes, sorted(sizes), "st_size shrank")
        for size, _, _, end, _ in samples:
            self.assertEqual(size, end, "st_size vs log_end_offset")
        starts = [s[2] for s in samples]
        self.assertEqual(starts, sorted(starts), "log_start_offset went back")
        self.assertGreater(starts[-1], len(first), "retention never moved the log start")

        # cat: exactly the suffix of what was written from the log start.
        before = self.figure("t/0", "log_start_offset")
        out = self.cat("t/0")
        after = self.figure("t/0", "log_start_offset")
        self.assertTrue(bytes(written).endswith(out), "cat is not a suffix of what was written")
        self.assertTrue(before <= len(written) - len(out) <= after,
                        f"cat started at {len(written) - len(out)}, log start {before}..{after}")
        self.assertGreater(len(written) - len(out), 0, "cat still shows the first line")
        self.assertEqual(self.sh("tail -n 3 t/0").stdout,
                         b"".join(bytes(written).splitlines(keepends=True)[-3:]))

        # A read below the log start continues at the first survivor (dd
        # from offset 0 too), and SEEK_HOLE reports no hole.
        fd = os.open(self.path("t", "0"), os.O_RDONLY)
        try:
            for _ in range(20):  # until no retention run falls between
                log_start = self.figure("t/0", "log_start_offset")
                at_zero = os.pread(fd, 100, 0)
                halfway = os.pread(fd, 100, log_start // 2)
                dd = self.sh("dd if=t/0 bs=64 count=1 status=none").stdout
                if self.figure("t/0", "log_start_offset") == log_start:
                    break
            self.assertEqual(at_zero, bytes(written[log_start:log_start + 100]))
            self.assertEqual(halfway, bytes(written[log_start:log_start + 100]))
            self.assertEqual(dd, bytes(written[log_start:log_start + 64]))
            self.assertEqual(len(at_zero), 100, "the whole log went")
            self.assertEqual(os.lseek(fd, 0, os.SEEK_HOLE), len(written))
            self.assertEqual(os.lseek(fd, 0, os.SEEK_DATA), 0)
        finally:
            os.close(fd)

        # tail -f saw every line, in order, while segments went under it.
        expected_tail += bytes(written[len(first):])
        deadline = time.monotonic() + 5
        while len(tailed) < len(expected_tail) and time.monotonic() < deadline:
            read_available(tail, tailed, 0.2)
        self.assertEqual(len(tailed), len(expected_tail), "tail -f missed or repeated bytes")
        self.assertEqual(bytes(tailed), expected_tail, "tail -f output")

        # Once appends stop, segments past retention.ms go: the segment
        # count and st_blocks fall from their peaks; st_size stays.
        peak_blocks = max(s[1] for s in samples)
        peak_segments = max(s[4] for s in samples)
        self.assertGreater(peak_segments, 3, "the appends never made several segments")
        self.wait_for(lambda: self.figure("t/0", "segments") <= 2, 5.0, "old segments deleted")
        st = os.stat(self.path("t", "0"))
        self.assertEqual(st.st_size, len(written), "st_size after retention")
        self.assertLess(st.st_blocks, peak_blocks, "st_blocks did not shrink")
        figures = self.figures("t/0")  # through getfattr -d
        self.assertEqual(figures["log_end_offset"], len(written))
        self.assertLess(figures["segments"], peak_segments)
        self.assertGreater(figures["log_start_offset"], starts[-1] - 1)
        # No .deleted file is left (file.delete.delay.ms 0).
        left = [n for n in os.listdir(os.path.join(self.data, "t-0")) if n.endswith(".deleted")]
        self.assertEqual(left, [])


class CompactionTest(CleanupTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("c")
        self.setfattrs("c", key_separator=":", cleanup_policy="compact", internal_segment_bytes=4096,
                       min_cleanable_dirty_ratio=0.01, delete_retention_ms=1000)

    def write_versions(self, rel, keys, versions):
        """keys x versions lines "key-N:version-V", version after version,
        with cat >>. Returns the lines."""
        lines = [f"key-{k}:version-{v}" for v in range(versions) for k in keys]
        # Writes of at most 2 KB: a write's lines go into one segment, and
        # the test wants many segments of 4 KB.
        self.append_in_writes(rel, "".join(line + "\n" for line in lines), 2048)
        return lines

    def check_order(self, out_lines, offsets):
        """cat shows written lines only, in offset order; returns their offsets."""
        seen = []
        for line in out_lines:
            self.assertIn(line, offsets, f"cat shows a line never written: {line!r}")
            seen.append(offsets[line])
        self.assertTrue(all(a < b for a, b in zip(seen, seen[1:])), "cat is out of offset order")
        return seen

    def key_of(self, line):
        return line.split(":", 1)[0]

    def test_one_line_per_key_outside_the_active_segment_then_tombstoned_keys_go(self):
        written = self.write_versions("c/0", range(1000), 10)
        offsets = offsets_of(written)
        end = sum(len(l) + 1 for l in written)
        self.assertEqual(os.stat(self.path("c", "0")).st_size, end)
        blocks_before = os.stat(self.path("c", "0")).st_blocks
        self.assertLessEqual(self.figure("c/0", "records"), 10000)

        def compacted():
            out = self.cat("c/0").decode().splitlines()
            active = self.active_base("c")
            outside = [l for l in out if offsets[l] < active]
            keys = [self.key_of(l) for l in outside]
            if len(keys) != len(set(keys)):
                return None
            return out, active
        out, active = self.wait_for(compacted, 10.0, "one line per key outside the active segment")
        self.check_order(out, offsets)
        in_active = sum(1 for l in out if offsets[l] >= active)
        self.assertLessEqual(len(out), 1000 + in_active)
        last = {}
        for line in out:
            last[self.key_of(line)] = line
        self.assertEqual(len(last), 1000, "a key vanished")
        for k in range(1000):
            self.assertEqual(last[f"key-{k}"], f"key-{k}:version-9")
        # Reads positioned in removed data continue at the next survivor:
        # pread at key-0:version-0 (gone) returns the first surviving line.
        fd = os.open(self.path("c", "0"), os.O_RDONLY)
        try:
            first = (out[0] + "\n").encode()
            self.assertEqual(os.pread(fd, len(first), 0), first)
            gone = f"key-500:version-3"
            self.assertNotIn(gone, out)
            after = next(l for l in out if offsets[l] > offsets[gone])
            self.assertEqual(os.pread(fd, len(after) + 1, offsets[gone]), (after + "\n").encode())
            self.assertEqual(os.lseek(fd, 0, os.SEEK_HOLE), end)
        finally:
            os.close(fd)
        # Line tools see the survivors.
        self.assertEqual(self.sh("tail -n 2 c/0").stdout.decode().splitlines(), out[-2:])
        self.wait_for(lambda: self.figure("c/0", "records") == len(self.cat("c/0").splitlines()),
                      5.0, "the records figure vs the lines cat shows")
        st = os.stat(self.path("c", "0"))
        self.assertEqual(st.st_size, end, "compaction changed st_size")
        self.assertLess(st.st_blocks, blocks_before, "st_blocks did not shrink")
        self.assertLess(self.figure("c/0", "records"), 10000)

        # Tombstones for 100 keys, then filler (other keys) so that the
        # tombstones leave the active segment, are cleaned (and stamped with
        # a horizon 1 s ahead), and a cleaning past the horizon drops them.
        tombstones = [f"key-{k}:" for k in range(100)]
        self.append("c/0", "".join(t + "\n" for t in tombstones))
        for t in tombstones:
            offsets[t] = end
            end += len(t) + 1
        filler_round = [0]
        dead = {f"key-{k}" for k in range(100)}
        offsets_end = [end]

        def tombstoned_keys_gone():
            filler = [f"filler-{i % 50}:round-{filler_round[0]}-{i}" for i in range(250)]
            filler_round[0] += 1
            self.append("c/0", "".join(f + "\n" for f in filler))
            for f in filler:
                offsets[f] = offsets_end[0]
                offsets_end[0] += len(f) + 1
            out = self.cat("c/0").decode().splitlines()
            if any(self.key_of(l) in dead for l in out):
                time.sleep(0.2)
                return None
            return out
        out = self.wait_for(tombstoned_keys_gone, 15.0, "tombstoned keys gone from cat")
        self.check_order(out, offsets)
        last = {}
        for line in out:
            last[self.key_of(line)] = line
        for k in range(100, 1000):
            self.assertEqual(last.get(f"key-{k}"), f"key-{k}:version-9")
        self.assertEqual(os.stat(self.path("c", "0")).st_size, offsets_end[0])
        self.assertEqual(self.figure("c/0", "log_end_offset"), offsets_end[0])

    def test_a_line_without_a_key_fails_einval_and_appends_nothing(self):
        self.append("c/0", "k:1\n")
        self.assertShellFails("echo 'no separator here' >> c/0", "Invalid argument")
        # A write mixing keyed and keyless lines appends none of them (cat:
        # one write(2); bash's builtin printf would write line by line).
        mixed = os.path.join(self.tmp, "mixed.txt")
        with open(mixed, "w") as f:
            f.write("k:2\nkeyless\nk:3\n")
        self.assertShellFails(f"cat {mixed} >> c/0", "Invalid argument")
        fd = os.open(self.path("c", "0"), os.O_WRONLY | os.O_APPEND)
        try:
            with self.assertRaises(OSError) as cm:
                os.write(fd, b"k:4\nstill no key\n")
            self.assertEqual(cm.exception.errno, errno.EINVAL)
        finally:
            os.close(fd)
        self.assertEqual(self.read("c", "0"), b"k:1\n")
        self.assertEqual(os.stat(self.path("c", "0")).st_size, 4)
        self.assertIn("compacted topic needs", self.daemon.log())
        # Without a key.separator a compacted topic takes no line at all.
        self.mkdir("nosep")
        self.setfattrs("nosep", cleanup_policy="compact")
        self.assertShellFails("echo 'a:b' >> nosep/0", "Invalid argument")
        self.assertEqual(self.read("nosep", "0"), b"")
        self.assertIn("compacted topic needs key.separator", self.daemon.log())


class PolicyTest(CleanupTestCase):

    def test_retention_spares_a_compact_only_topic_until_the_policy_adds_delete(self):
        self.mkdir("p")
        self.setfattrs("p", key_separator=":", cleanup_policy="compact", internal_segment_bytes=1000,
                       retention_ms=500, file_delete_delay_ms=0)
        content = "".join(f"unique-{i}:{'v' * 30}\n" for i in range(300)).encode()
        self.append_in_writes("p/0", content, 500)
        segments = self.figure("p/0", "segments")
        self.assertGreater(segments, 5)
        time.sleep(1.5)  # three times retention.ms, seven retention checks
        self.assertEqual(self.figure("p/0", "log_start_offset"), 0)
        self.assertEqual(self.cat("p/0"), content, "retention or the cleaner took records")
        # The same topic with delete,compact: retention applies at once.
        self.setfattrs("p", cleanup_policy="delete,compact")
        self.wait_for(lambda: self.figure("p/0", "log_start_offset") > 0, 5.0,
                      "retention after cleanup.policy became delete,compact")
        out = self.cat("p/0")
        self.assertTrue(content.endswith(out))
        self.assertEqual(os.stat(self.path("p", "0")).st_size, len(content))


class RemountTest(CleanupTestCase):

    def test_settings_survive_a_remount_and_cleanup_resumes(self):
        self.mkdir("r")
        self.setfattrs("r", internal_segment_bytes=2000, retention_ms=1000, file_delete_delay_ms=0)
        self.mkdir("c")
        self.setfattrs("c", key_separator=":", cleanup_policy="delete,compact", internal_segment_bytes=4096,
                       min_cleanable_dirty_ratio=0.01, delete_retention_ms=1000,
                       retention_ms=3600000)
        before = {t: self.getfattr_d(t) for t in ("r", "c")}
        self.assertEqual(before["r"]["retention.ms"], "1000")
        self.assertEqual(before["c"]["cleanup.policy"], "delete,compact")

        self.remount()
        self.assertEqual({t: self.getfattr_d(t) for t in ("r", "c")}, before)

        # Retention resumes: the log start passes what was written before.
        lines = "".join(f"r line {i:05d} {'y' * 30}\n" for i in range(300))
        self.append("r/0", lines)
        written = len(lines)
        start = time.monotonic()
        while time.monotonic() - start < 1.5:
            self.append("r/0", "more\n")
            written += 5
            time.sleep(0.01)
        self.wait_for(lambda: self.figure("r/0", "log_start_offset") > len(lines), 5.0,
                      "retention after the remount")
        self.assertEqual(os.stat(self.path("r", "0")).st_size, written)

        # Compaction resumes: 200 keys x 5 versions shrink.
        content = "".join(f"key-{k}:v{v}\n" for v in range(5) for k in range(200))
        self.append("c/0", content)
        self.append("c/0", "".join(f"pad-{i}:{'z' * 40}\n" for i in range(100)))  # rolls
        self.wait_for(lambda: self.figure("c/0", "records") < 700, 10.0,
                      "compaction after the remount")
        out = self.cat("c/0").decode().splitlines()
        last = {}
        for line in out:
            last[line.split(":", 1)[0]] = line
        for k in range(200):
            self.assertEqual(last[f"key-{k}"], f"key-{k}:v4")

        # And once more across a second remount, with data on disk.
        self.remount()
        self.assertEqual({t: self.getfattr_d(t)["internal.segment.bytes"] for t in ("r", "c")},
                         {"r": "2000", "c": "4096"})
        after = self.cat("c/0").decode().splitlines()
        self.assertTrue(set(after) <= set(out), "lines came back after the remount")
        self.assertEqual({l.split(":", 1)[0]: l for l in after}, last)
        self.assertEqual(os.stat(self.path("r", "0")).st_size, written)


if __name__ == "__main__":
    main()
