#!/usr/bin/env python3
"""The daemon as a process: signals unmount cleanly, one daemon per data
directory, bad command lines, a data directory of the layout before
(configs under .topicfs/) moved, and staying up under a random mix of
concurrent namespace, append, read and xattr operations."""

import errno
import os
import random
import signal
import subprocess
import threading
import time
import unittest

from mount_fixture import MountedTestCase, in_mount_table, main, topicfs_bin


class SignalsTest(MountedTestCase):

    def stop_with_signal(self, signum):
        """Sends signum to the daemon; returns its exit status."""
        proc = self.daemon.proc
        proc.send_signal(signum)
        status = proc.wait(timeout=10)
        self.daemon.proc = None
        self.daemon.returncode = status
        return status

    def check_signal_unmounts_cleanly(self, signum):
        self.mkdir("t")
        self.append("t/0", "kept\n")
        # Signalled right after close(): FUSE sends RELEASE after close()
        # returns, so it may not have arrived; the daemon releases what the
        # kernel had not (Filesystem::ReleaseAll) before it closes the data.
        self.stop_with_signal(signum)
        self.assertFalse(in_mount_table(self.mnt), "still mounted after the daemon exited")
        self.assertTrue(os.path.exists(os.path.join(self.data, ".kafka_cleanshutdown")))
        self.assertIn("closed", self.daemon.log())
        self.start_daemon()
        self.assertIn("clean shutdown", self.daemon.log())
        self.assertEqual(self.read("t", "0"), b"kept\n")

    def test_sigterm_unmounts_cleanly(self):
        self.check_signal_unmounts_cleanly(signal.SIGTERM)

    def test_sigint_unmounts_cleanly(self):
        self.check_signal_unmounts_cleanly(signal.SIGINT)

    def test_sighup_unmounts_cleanly(self):
        self.check_signal_unmounts_cleanly(signal.SIGHUP)

    # A signal is a requested stop (systemctl stop), not a failure, though
    # fuse_session_loop_mt returns the signal's number (mountd/main.cc).
    def test_exit_status_after_sigterm_is_0(self):
        self.assertEqual(self.stop_with_signal(signal.SIGTERM), 0)


class CommandLineTest(MountedTestCase):

    def test_second_daemon_on_same_data_dir_is_refused(self):
        other = os.path.join(self.tmp, "mnt2")
        os.mkdir(other)
        r = subprocess.run([topicfs_bin(), "-f", self.data, other], capture_output=True,
                           text=True, timeout=10)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("in use", r.stderr)
        self.assertFalse(in_mount_table(other))
        # The first daemon is unaffected.
        self.mkdir("t")
        self.assertEqual(os.listdir(self.mnt), ["t"])

    def test_missing_mountpoint_is_a_usage_error(self):
        r = subprocess.run([topicfs_bin(), self.data], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 2)
        self.assertIn("MOUNTPOINT", r.stderr)

    def test_version_and_help(self):
        r = subprocess.run([topicfs_bin(), "--version"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertIn("topicfs", r.stdout)
        r = subprocess.run([topicfs_bin(), "--help"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 0)
        self.assertIn("DATA_DIR MOUNTPOINT", r.stdout)


class DeletedTopicTest(MountedTestCase):

    def test_rmdir_with_open_writer_and_reader_keeps_the_daemon_up(self):
        self.mkdir("gone")
        self.append("gone/0", "one\n")
        writer = os.open(self.path("gone", "0"), os.O_WRONLY | os.O_APPEND)
        reader = os.open(self.path("gone", "0"), os.O_RDONLY)
        try:
            os.write(writer, b"held partial")
            first = os.read(reader, 2)
            os.rmdir(self.path("gone"))
            # The handles outlive the topic: writes and reads say it is gone,
            # instead of failing like a disk (EIO) or ending the stream at a
            # false EOF in the middle of a line.
            self.assertErrno(errno.ENOENT, os.write, writer, b"more\n")
            self.assertEqual(first, b"on")
            self.assertErrno(errno.ENOENT, os.read, reader, 100)
            self.assertErrno(errno.ENOENT, os.pread, reader, 100, 0)
        finally:
            # The held partial line can no longer be appended: close(2)
            # says so (FLUSH), as RELEASE's error would reach no one.
            try:
                self.assertErrno(errno.ENOENT, os.close, writer)
            finally:
                os.close(reader)
        self.assertEqual(os.listdir(self.mnt), [])
        self.mkdir("gone")
        self.assertEqual(self.read("gone", "0"), b"")
        self.append("gone/0", "new\n")
        self.assertEqual(self.read("gone", "0"), b"new\n")

    # A topic's inode number is derived from its name, and the kernel may
    # still hold the deleted directory's inode (an open descriptor, a shell's
    # cwd, a reader of one of its partitions). Were the number reused, the
    # new topic would list as empty and its partitions would not be found
    # until the kernel dropped the old inode; a topic deleted during the
    # mount retires its number instead (fs/node_table.h).
    def test_topic_recreated_while_old_directory_is_open_is_usable(self):
        self.mkdir("again")
        fd = os.open(self.path("again"), os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.rmdir(self.path("again"))
            self.mkdir("again")
            self.assertEqual(os.listdir(self.path("again")), ["0"])
            self.append("again/0", "new life\n")
        finally:
            os.close(fd)

    def test_topic_recreated_while_old_partition_is_open_is_usable(self):
        self.mkdir("again")
        self.append("again/0", "old life\n")
        fd = os.open(self.path("again", "0"), os.O_RDONLY)  # as tail -f would
        try:
            os.rmdir(self.path("again"))
            self.mkdir("again")
            self.assertEqual(os.listdir(self.path("again")), ["0"])
        finally:
            os.close(fd)

    def test_colliding_names_fail_eexist(self):
        self.mkdir("a.b")
        self.assertErrno(errno.EEXIST, os.mkdir, self.path("a_b"))
        self.assertEqual(os.listdir(self.mnt), ["a.b"])


class OldLayoutTest(MountedTestCase):
    """A data directory of the layout before, its configs under .topicfs/
    (which a Kafka broker refuses), mounts with every topic, config and
    default it had; the configs are then regular files at the root and the
    log says they moved (docs/format.md, "Data directory")."""

    def test_configs_under_dot_topicfs_move_to_the_root_and_keep_their_settings(self):
        self.sh("setfattr -n user.topicfs.retention.ms -v 86400000 .")
        self.mkdir("app")
        self.sh("setfattr -n user.topicfs.partitions -v 2 app")
        self.sh("setfattr -n user.topicfs.key.separator -v : app")
        self.append("app/1", "k:v\n")
        self.stop_daemon()
        # As the layout before had them, byte for byte.
        meta = os.path.join(self.data, ".topicfs")
        os.makedirs(os.path.join(meta, "topics", "app"))
        os.rename(os.path.join(self.data, "app.conf"), os.path.join(meta, "topics", "app", "config.properties"))
        os.rename(os.path.join(self.data, "topicfs-defaults.properties"),
                  os.path.join(meta, "defaults.properties"))
        with open(os.path.join(meta, "topics", "app", "config.properties"), "rb") as f:
            config = f.read()

        self.start_daemon()
        self.assertEqual(self.xattr("app", "partitions"), "2")
        self.assertEqual(self.xattr("app", "key.separator"), ":")
        self.assertEqual(self.xattr("app", "retention.ms"), "86400000")
        self.assertEqual(self.read("app", "1"), b"k:v\n")
        self.assertFalse(os.path.exists(meta))
        with open(os.path.join(self.data, "app.conf"), "rb") as f:
            self.assertEqual(f.read(), config)
        self.assertIn("moved topicfs's configs out of", self.daemon.log())
        self.remount()
        self.assertEqual(self.xattr("app", "key.separator"), ":")


class RandomOperationsTest(MountedTestCase):
    """Threads doing seeded random mkdir, rmdir, appends, reads, setfattr and
    listings on the few newest topics at once. Every operation either
    succeeds or fails with an errno that fits a racing namespace; the daemon
    stays up, every surviving partition holds only whole lines that were
    written, in each writer's order, and a remount shows the same.

    mkdir always takes a new name: re-creating a deleted one is
    DeletedTopicTest's case."""

    # The only failure a race may cause: the topic was deleted meanwhile.
    ALLOWED = {errno.ENOENT}

    def worker(self, wid, seed, stop, errors):
        rng = random.Random(seed)
        seq = 0
        while not stop.is_set():
            with self.names_lock:
                recent = self.names[-4:]
            topic = rng.choice(recent)
            op = rng.random()
            try:
                if op < 0.08:
                    with self.names_lock:
                        fresh = f"s{len(self.names)}"
                        self.names.append(fresh)
                    os.mkdir(self.path(fresh))
                elif op < 0.14:
                    os.rmdir(self.path(topic))
                elif op < 0.60:
                    part = rng.randrange(2)
                    n = rng.randrange(1, 50)
                    lines = b"".join(f"w{wid}-{seq + i:07d}\n".encode() for i in range(n))
                    seq += n
                    fd = os.open(self.path(topic, str(part)), os.O_WRONLY | os.O_APPEND)
                    try:
                        os.write(fd, lines)
                    finally:
                        os.close(fd)
                elif op < 0.85:
                    with open(self.path(topic, str(rng.randrange(2))), "rb") as f:
                        data = f.read()
                    if data and not data.endswith(b"\n"):
                        errors.append(f"torn read of {topic}: ...{data[-40:]!r}")
                elif op < 0.92:
                    os.setxattr(self.path(topic), b"user.topicfs.partitions", b"2")
                else:
                    os.listdir(self.path(topic))
            except OSError as e:
                if e.errno not in self.ALLOWED:
                    errors.append(f"worker {wid}: {e!r}")
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"worker {wid}: {e!r}")

    def test_random_concurrent_operations_keep_the_daemon_consistent(self):
        seed = int(os.environ.get("TOPICFS_E2E_SEED", "20261125"))
        self.names = ["s0"]
        self.names_lock = threading.Lock()
        self.mkdir("s0")
        stop = threading.Event()
        errors = []
        threads = [threading.Thread(target=self.worker, args=(w, seed + w, stop, errors))
                   for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(5.0)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        self.assertIsNone(self.daemon.proc.poll(), f"the daemon died (seed {seed})")
        self.assertEqual(errors, [], f"seed {seed}")

        # Whatever survived is whole lines from the writers, each writer's
        # lines in increasing order.
        before = {}
        for topic in sorted(os.listdir(self.mnt)):
            for part in sorted(os.listdir(self.path(topic))):
                data = self.read(topic, part)
                before[f"{topic}/{part}"] = data
                self.assertTrue(data == b"" or data.endswith(b"\n"))
                last = {}
                for line in data.split(b"\n")[:-1]:
                    wid, _, n = line.partition(b"-")
                    self.assertRegex(line.decode(), r"^w\d-\d{7}$")
                    self.assertGreater(int(n), last.get(wid, -1), f"{topic}/{part}: order")
                    last[wid] = int(n)
                self.assertEqual(os.stat(self.path(topic, part)).st_size, len(data))
        self.remount()
        after = {f"{t}/{p}": self.read(t, p)
                 for t in sorted(os.listdir(self.mnt)) for p in sorted(os.listdir(self.path(t)))}
        self.assertEqual(after, before)


if __name__ == "__main__":
    main()
