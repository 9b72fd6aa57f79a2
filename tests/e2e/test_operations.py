#!/usr/bin/env python3
"""Operating the daemon as a packaged filesystem (issue 18): an unmount a
script can trust (`topicfs unmount`, and a new mount waiting for a daemon
still closing), a lazy unmount and SIGTERM ending parked followers with EOF,
refused mounts (stacking, a non-empty mount point, a missing parent of the
data directory), the log file and its lines, --help and usage errors."""

import os
import re
import signal
import subprocess
import time

from mount_fixture import (MountedTestCase, _fusermount, _live_daemons, in_mount_table, lines_text,
                           main, topicfs_bin)

# Every line the daemon writes to a log file: "DATE TIME topicfs[PID] LEVEL: text".
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} topicfs\[\d+\] "
                      r"(trace|debug|info|warning|error|critical): ")


def read_text(path):
    with open(path, errors="replace") as f:
        return f.read()


def end_process(p):
    """Kills a follower of ours that is still running, and closes its pipes."""
    if p.poll() is None:
        p.kill()
    p.communicate()


def run_topicfs(*args, timeout=30):
    return subprocess.run([topicfs_bin(), *args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


class UnmountTest(MountedTestCase):

    def reap(self, daemon):
        """Waits for a daemon whose mount is gone; it must exit 0."""
        status = daemon.proc.wait(timeout=10)
        _live_daemons.pop(daemon.proc.pid, None)
        daemon.proc = None
        self.assertEqual(status, 0, daemon.log())

    def test_topicfs_unmount_then_mount_50_times(self):
        self.mkdir("t")
        for i in range(50):
            self.append("t/0", f"line {i}\n")
            r = run_topicfs("unmount", self.mnt)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertFalse(in_mount_table(self.mnt))
            # Released means closed: the clean-shutdown marker is there.
            self.assertTrue(os.path.exists(os.path.join(self.data, ".kafka_cleanshutdown")), i)
            self.reap(self.daemon)
            self.start_daemon()
        self.assertEqual(self.read("t", "0"), "".join(f"line {i}\n" for i in range(50)).encode())

    def test_fusermount_then_mount_at_once_50_times(self):
        # The new daemon waits for the one still closing (--lock-wait-ms).
        self.mkdir("t")
        for i in range(50):
            self.append("t/0", f"line {i}\n")
            old = self.daemon
            r = _fusermount("-u", self.mnt)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.start_daemon()
            self.reap(old)
        self.assertEqual(self.read("t", "0").count(b"\n"), 50)

    def test_unmount_of_something_else_fails(self):
        r = run_topicfs("unmount", self.tmp)
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a topicfs mount", r.stderr)
        self.assertTrue(in_mount_table(self.mnt))


class FollowersAtStopTest(MountedTestCase):

    def start_followers(self):
        self.mkdir("t")
        self.append("t/0", "before\n")
        cats = [subprocess.Popen(["cat", self.path("t/0@end..")], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE) for _ in range(3)]
        tail = subprocess.Popen(["tail", "-f", self.path("t/0")], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
        for p in cats + [tail]:
            self.addCleanup(end_process, p)
        time.sleep(0.5)  # the cats' reads are parked
        for p in cats:
            self.assertIsNone(p.poll(), "a follower ended before the stop")
        return cats, tail

    def check_followers_got_eof(self, cats):
        for p in cats:
            out, err = p.communicate(timeout=2)
            self.assertEqual((p.returncode, out, err), (0, b"", b""))

    def test_lazy_unmount_with_parked_followers_exits_within_2s(self):
        cats, tail = self.start_followers()
        started = time.monotonic()
        r = _fusermount("-uz", self.mnt)
        self.assertEqual(r.returncode, 0, r.stderr)
        status = self.daemon.proc.wait(timeout=5)
        elapsed = time.monotonic() - started
        self.assertLess(elapsed, 2.0, f"the daemon took {elapsed:.2f}s to exit")
        self.assertEqual(status, 0)
        self.check_followers_got_eof(cats)
        self.assertIn("unmounted lazily", self.daemon.log())
        self.assertTrue(os.path.exists(os.path.join(self.data, ".kafka_cleanshutdown")))

    def test_sigterm_ends_parked_followers_with_eof(self):
        cats, tail = self.start_followers()
        started = time.monotonic()
        self.daemon.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.proc.wait(timeout=5), 0)
        self.assertLess(time.monotonic() - started, 2.0)
        self.check_followers_got_eof(cats)
        self.assertFalse(in_mount_table(self.mnt))


class RefusedMountTest(MountedTestCase):

    def test_stacking_on_a_topicfs_mount_is_refused(self):
        other = os.path.join(self.tmp, "other-data")
        r = run_topicfs("-f", other, self.mnt)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{os.path.realpath(self.mnt)} is already a topicfs mount (of {self.data})",
                      r.stderr)
        self.assertFalse(os.path.exists(other), "a refused mount created its data directory")
        with open("/proc/self/mountinfo") as f:
            mounts = [l for l in f if f" {os.path.realpath(self.mnt)} " in l]
        self.assertEqual(len(mounts), 1, mounts)

    def test_non_empty_mount_point_is_refused_unless_nonempty(self):
        full = os.path.join(self.tmp, "full")
        os.mkdir(full)
        with open(os.path.join(full, "keep.txt"), "w") as f:
            f.write("mine\n")
        data = os.path.join(self.tmp, "data2")
        r = run_topicfs("-f", data, full)
        self.assertEqual(r.returncode, 1)
        self.assertIn("is not empty", r.stderr)
        self.assertIn("-o nonempty", r.stderr)
        self.assertFalse(in_mount_table(full))
        # With -o nonempty it mounts (in the background), hiding keep.txt.
        r = run_topicfs(data, full, "-o", "nonempty")
        self.assertEqual(r.returncode, 0, r.stderr)
        try:
            self.assertTrue(in_mount_table(full))
            self.assertEqual(os.listdir(full), [])
        finally:
            self.assertEqual(run_topicfs("unmount", full).returncode, 0)
        self.assertEqual(os.listdir(full), ["keep.txt"])

    def test_only_the_last_component_of_a_data_directory_is_created(self):
        missing = os.path.join(self.tmp, "no", "such", "data")
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        r = run_topicfs("-f", missing, empty)
        self.assertEqual(r.returncode, 1)
        self.assertIn("its parent", r.stderr)
        self.assertIn("does not exist", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "no")))

    def test_a_new_data_directory_is_logged_as_new(self):
        log = self.daemon.log()
        self.assertIn("a new data directory", log)
        self.assertNotIn("unclean", log)
        self.remount()
        self.assertIn("(0 topics, clean shutdown)", self.daemon.log())


class LogFileTest(MountedTestCase):

    def background_mount(self, *args):
        data = os.path.join(self.tmp, "bg-data")
        mnt = os.path.join(self.tmp, "bg-mnt")
        os.mkdir(mnt)
        r = run_topicfs(*args, data, mnt)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.addCleanup(lambda: in_mount_table(mnt) and run_topicfs("unmount", "--lazy", mnt))
        return mnt

    def test_log_file_in_the_background_shows_operations_at_debug(self):
        log = os.path.join(self.tmp, "topicfs.log")
        mnt = self.background_mount(f"--log-file={log}", "--log-level=debug", "--cleaner-backoff-ms=100")
        # The daemon that detached (not its exited parent) owns the lock; it
        # writes its pid there before it logs "mounted".
        self.wait_for(lambda: "info: mounted" in read_text(log), 5.0, "the detached daemon's 'mounted'")
        with open(os.path.join(self.tmp, "bg-data", ".lock")) as f:
            pid = int(f.read())
        self.assertIn(f"topicfs[{pid}] info: mounted", read_text(log))
        os.mkdir(os.path.join(mnt, "t"))
        os.setxattr(os.path.join(mnt, "t"), b"user.topicfs.cleanup.policy", b"compact")
        os.setxattr(os.path.join(mnt, "t"), b"user.topicfs.key.separator", b":")
        with open(os.path.join(mnt, "t", "0"), "ab") as f:
            f.write(b"k:1\nk:2\n")
        with open(os.path.join(mnt, "t", "0@-1"), "rb") as f:
            self.assertEqual(f.read(), b"k:2\n")
        time.sleep(0.5)  # a few cleaner passes
        self.assertEqual(run_topicfs("unmount", mnt).returncode, 0)
        with open(log) as f:
            lines = f.read().splitlines()
        for line in lines:
            self.assertRegex(line, LOG_LINE)
        text = "\n".join(lines)
        for expected in ("opened ", "mounted ", "open t/0 for appending", "append t/0: 2 records",
                         "view t/0@-1: offsets", "cleaner pass", "closed "):
            self.assertIn(expected, text)

    def test_every_daemon_option_is_a_mount_option(self):
        log = os.path.join(self.tmp, "o.log")
        mnt = self.background_mount(
            "-o", f"log-file={log},log-level=debug,retention-check-interval-ms=200,"
                  "cleaner-backoff-ms=15000,lock-wait-ms=100,no-read-checks")
        self.wait_for(lambda: "retention pass" in read_text(log), 5.0, "a retention pass")
        self.assertIn("--no-read-checks", read_text(log))
        self.assertEqual(run_topicfs("unmount", mnt).returncode, 0)

    def test_refusal_reaches_stderr_when_logging_to_a_file(self):
        log = os.path.join(self.tmp, "refused.log")
        r = run_topicfs(f"--log-file={log}", os.path.join(self.tmp, "d"), self.mnt)
        self.assertEqual(r.returncode, 1)
        self.assertIn("already a topicfs mount", r.stderr)
        self.assertIn("already a topicfs mount", read_text(log))


class CommandLineTest(MountedTestCase):

    def test_help_lists_each_option_once(self):
        r = run_topicfs("--help")
        self.assertEqual(r.returncode, 0)
        for option in ("--log-level=", "--log-file=", "--retention-check-interval-ms=",
                       "--cleaner-backoff-ms=", "--lock-wait-ms=", "--no-read-checks",
                       "-o nonempty", "-h, --help", "-V, --version", "-f ", "-s ",
                       "-o max_threads=", "-o allow_other", "--kafka-listen[=HOST:PORT]",
                       "--kafka-listen-any-address", "--no-mount"):
            starts = [l for l in r.stdout.splitlines() if l.strip().startswith(option)]
            self.assertEqual(len(starts), 1, f"{option!r} in --help: {starts}")

    def test_every_usage_error_exits_2(self):
        d = os.path.join(self.tmp, "d")
        empty = os.path.join(self.tmp, "empty")
        os.mkdir(empty)
        for args in (["-f", d, empty, "-o", "bogus"], ["-f", "--frobnicate", d, empty],
                     ["-f", "--retention-check-interval-ms=soon", d, empty],
                     ["-f", "-o", "cleaner-backoff-ms=0", d, empty], ["-f", "--log-level=loud", d, empty],
                     ["-f", "--lock-wait-ms=-1", d, empty], ["-f", d], [],
                     ["-f", "--kafka-listen=nohost", d, empty], ["-f", "--kafka-listen=:99999", d, empty],
                     ["-f", "--kafka-listen=10.1.2.3:9092", d, empty], ["-f", "--no-mount", d],
                     ["-f", "--kafka-listen", "--no-mount", d, empty],
                     ["unmount"], ["unmount", "--bogus", self.mnt], ["unmount", "--timeout=x", self.mnt]):
            with self.subTest(args=args):
                r = run_topicfs(*args)
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertNotEqual(r.stderr, "")
        self.assertFalse(in_mount_table(empty))
        self.assertFalse(os.path.exists(d), "a usage error created the data directory")


if __name__ == "__main__":
    main()
