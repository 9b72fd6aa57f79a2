#!/usr/bin/env python3
"""Topics as directories, partitions as append-only files: mkdir, ls,
names, rmdir, the refused file changes, stat, and remount."""

import errno
import os
import stat
import time
import unittest

from mount_fixture import MountedTestCase, lines_text, main


class TopicDirectoryTest(MountedTestCase):

    def test_mkdir_creates_topic_with_one_partition_file_0(self):
        self.mkdir("orders")
        self.assertIn("orders", os.listdir(self.mnt))
        self.assertEqual(os.listdir(self.path("orders")), ["0"])
        st = os.stat(self.path("orders", "0"))
        self.assertTrue(stat.S_ISREG(st.st_mode))
        self.assertEqual(st.st_size, 0)
        # The preferred I/O size reaches the tools: cat moves 512 KiB a request.
        self.assertEqual(st.st_blksize, 512 * 1024)
        self.assertTrue(stat.S_ISDIR(os.stat(self.path("orders")).st_mode))
        r = self.sh("ls orders")
        self.assertEqual(r.stdout, b"0\n")
        # A Kafka log directory per partition.
        self.assertTrue(os.path.isdir(os.path.join(self.data, "orders-0")))

    def test_mkdir_with_invalid_name_fails_einval(self):
        self.assertShellFails("mkdir 'a b'", "Invalid argument")
        for name in ["a:b", "caf\u00e9", "a*", "x" * 250]:
            with self.subTest(name=name[:20]):
                self.assertErrno(errno.EINVAL, os.mkdir, self.path(name))
        self.assertEqual(os.listdir(self.mnt), [])

    def test_mkdir_of_internal_name_fails_eperm(self):
        self.assertShellFails("mkdir __internal", "Operation not permitted")
        self.assertErrno(errno.EPERM, os.mkdir, self.path("__consumer_offsets2"))
        self.assertNotIn("__internal", os.listdir(self.mnt))

    def test_mkdir_of_existing_topic_fails_eexist(self):
        self.mkdir("t")
        self.assertErrno(errno.EEXIST, os.mkdir, self.path("t"))

    def test_valid_names_with_dots_dashes_underscores_are_topics(self):
        for name in ["a", "A.b-c_d", "0", "x" * 200]:
            with self.subTest(name=name[:20]):
                self.mkdir(name)
                self.assertEqual(os.listdir(self.path(name)), ["0"])
                self.append(f"{name}/0", "x\n")
                os.rmdir(self.path(name))
                self.assertNotIn(name, os.listdir(self.mnt))

    # The longest names (249 characters, docs/contract.md "Names") must fit
    # every file name the store derives from them within NAME_MAX (255): a
    # topic's config is <name>.conf (254 bytes, and 255 while it is staged
    # as <name>.c.tmp, cut to fit), and
    # the directory of a deleted partition (<name>-<p>.<32 hex>-delete) is
    # shortened to 255 bytes (store/manager/log_manager.cc).
    def test_longest_valid_names_can_be_created_and_deleted(self):
        for length in [214, 241, 249]:
            with self.subTest(length=length):
                name = "y" * length
                self.mkdir(name)
                self.append(f"{name}/0", "one\n")
                os.rmdir(self.path(name))
                self.assertEqual(os.listdir(self.mnt), [])

    def test_topic_holds_only_partitions(self):
        self.mkdir("t")
        self.assertShellFails("touch t/newfile", "Operation not permitted")
        self.assertShellFails("mkdir t/sub", "Operation not permitted")
        self.assertEqual(os.listdir(self.path("t")), ["0"])

    def test_rmdir_deletes_topic_and_its_data(self):
        self.mkdir("gone")
        self.append("gone/0", lines_text("g", 1000))
        os.setxattr(self.path("gone"), b"user.topicfs.retention.ms", b"1234")
        self.mkdir("kept")
        self.append("kept/0", "stays\n")
        os.rmdir(self.path("gone"))
        self.assertEqual(os.listdir(self.mnt), ["kept"])
        self.assertFalse(os.path.exists(self.path("gone")))

        def data_entries():
            return [e for e in os.listdir(self.data) if e.startswith("gone-") or e.startswith("gone.")]
        self.wait_for(lambda: data_entries() == [], 5.0, "the topic's data directories removed")
        self.assertEqual(self.read("kept", "0"), b"stays\n")

        # The same name again is a new, empty topic with default config.
        self.mkdir("gone")
        self.assertEqual(os.listdir(self.path("gone")), ["0"])
        self.assertEqual(self.read("gone", "0"), b"")
        self.assertEqual(os.stat(self.path("gone", "0")).st_size, 0)
        self.assertEqual(self.xattr("gone", "retention.ms"), "604800000")
        self.append("gone/0", "fresh\n")
        self.assertEqual(self.read("gone", "0"), b"fresh\n")

    def test_rmdir_of_missing_topic_fails_enoent(self):
        self.assertErrno(errno.ENOENT, os.rmdir, self.path("nope"))


class AppendOnlyFileTest(MountedTestCase):

    def setUp(self):
        super().setUp()
        self.mkdir("t")
        self.content = b"first\nsecond\n"
        self.append("t/0", self.content)

    def assertUnchanged(self):
        self.assertEqual(self.read("t", "0"), self.content)
        self.assertEqual(os.stat(self.path("t", "0")).st_size, len(self.content))

    def test_overwrite_with_redirect_fails_eperm_and_appends_nothing(self):
        self.assertShellFails("echo x > t/0", "Operation not permitted")
        self.assertUnchanged()
        self.assertErrno(errno.EPERM, os.open, self.path("t", "0"), os.O_WRONLY)
        self.assertErrno(errno.EPERM, os.open, self.path("t", "0"), os.O_RDWR)
        self.assertErrno(errno.EPERM, os.open, self.path("t", "0"),
                         os.O_WRONLY | os.O_APPEND | os.O_TRUNC)
        self.assertUnchanged()

    def test_truncate_fails_eperm(self):
        self.assertShellFails("truncate -s 0 t/0", "Operation not permitted")
        self.assertErrno(errno.EPERM, os.truncate, self.path("t", "0"), 0)
        self.assertErrno(errno.EPERM, os.truncate, self.path("t", "0"), 5)
        fd = os.open(self.path("t", "0"), os.O_WRONLY | os.O_APPEND)
        try:
            self.assertErrno(errno.EPERM, os.ftruncate, fd, 0)
        finally:
            os.close(fd)
        self.assertUnchanged()

    def test_rm_mv_ln_of_partition_fail_eperm(self):
        self.mkdir("other")
        self.assertShellFails("rm -f t/0", "Operation not permitted")
        self.assertShellFails("mv t/0 t/1", "Operation not permitted")
        self.assertShellFails("mv t/0 other/5", "Operation not permitted")
        self.assertShellFails("ln t/0 t/7", "Operation not permitted")
        self.assertShellFails("ln -s 0 t/link", "Operation not permitted")
        self.assertEqual(os.listdir(self.path("t")), ["0"])
        self.assertUnchanged()

    def test_touch_of_partition_succeeds(self):
        self.sh("touch t/0")
        self.sh("touch -m -d '2020-01-01' t/0")
        self.assertUnchanged()

    def test_chmod_and_chown_fail_eperm(self):
        self.assertErrno(errno.EPERM, os.chmod, self.path("t", "0"), 0o600)
        self.assertUnchanged()


class StatTest(MountedTestCase):

    def test_st_size_is_bytes_of_content_and_grows_with_appends(self):
        self.mkdir("t")
        p = self.path("t", "0")
        expected = b""
        for i, chunk in enumerate([b"a\n", b"bb\n" * 10, lines_text("c", 5000), b"z\n"]):
            self.append("t/0", chunk)
            expected += chunk
            self.assertEqual(os.stat(p).st_size, len(expected), f"after append {i}")
            self.assertEqual(self.read("t", "0"), expected)
        r = self.sh("stat -c %s t/0")
        self.assertEqual(int(r.stdout), len(expected))

    def test_stat_shows_last_append_as_mtime(self):
        self.mkdir("t")
        p = self.path("t", "0")
        for _ in range(2):
            before = time.time()
            self.append("t/0", "tick\n")
            after = time.time()
            mtime = os.stat(p).st_mtime
            # The daemon keeps milliseconds.
            self.assertGreaterEqual(mtime, before - 0.002)
            self.assertLessEqual(mtime, after + 0.002)
            r = self.sh("stat -c %Y t/0")
            self.assertEqual(int(r.stdout), int(mtime))
            time.sleep(1.05)
        self.assertGreater(time.time() - os.stat(p).st_mtime, 1.0)


class RemountTest(MountedTestCase):

    def snapshot(self):
        snap = {}
        for topic in sorted(os.listdir(self.mnt)):
            st = os.stat(self.path(topic))
            snap[topic] = ("dir", st.st_ino)
            for part in sorted(os.listdir(self.path(topic))):
                st = os.stat(self.path(topic, part))
                snap[f"{topic}/{part}"] = (st.st_size, st.st_ino, self.read(topic, part))
        return snap

    def test_unmount_and_remount_keeps_contents_sizes_and_inodes(self):
        self.mkdir("a")
        self.append("a/0", lines_text("a", 20000))
        self.mkdir("b")
        os.setxattr(self.path("b"), b"user.topicfs.partitions", b"3")
        for p in range(3):
            self.append(f"b/{p}", lines_text(f"b{p}", 100 * (p + 1)))
        self.mkdir("empty")
        # A held partial line becomes a record at release, which FUSE sends
        # asynchronously after close(): wait for it.
        self.append("a/0", b"last line without newline")
        self.wait_for(lambda: os.stat(self.path("a", "0")).st_size == 620026, 2.0,
                      "the released partial line appended")
        before = self.snapshot()
        self.assertTrue(before["a/0"][2].endswith(b"last line without newline\n"))

        self.remount()
        after = self.snapshot()
        self.assertEqual(sorted(after), sorted(before))
        for key in before:
            with self.subTest(node=key):
                self.assertEqual(after[key], before[key])

        # Appends continue at the old end.
        self.append("a/0", "after remount\n")
        self.assertEqual(self.read("a", "0"), before["a/0"][2] + b"after remount\n")

    def test_clean_unmount_leaves_clean_shutdown_marker(self):
        self.mkdir("t")
        self.append("t/0", "x\n")
        self.stop_daemon()
        self.assertTrue(os.path.exists(os.path.join(self.data, ".kafka_cleanshutdown")))
        self.assertTrue(os.path.exists(os.path.join(self.data, "recovery-point-offset-checkpoint")))
        self.start_daemon()
        self.assertIn("clean shutdown", self.daemon.log())
        self.assertEqual(self.read("t", "0"), b"x\n")


if __name__ == "__main__":
    main()
