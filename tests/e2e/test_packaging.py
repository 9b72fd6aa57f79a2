#!/usr/bin/env python3
"""topicfs packaged as a filesystem (issue 18, point 4): `cmake --install`
puts the daemon, its man page, the systemd unit and bash completion in
place; `man -l` renders the page; the unit passes `systemd-analyze verify`;
and `mount -t fuse.topicfs` and an fstab line mount it, with daemon options
as -o mount options. The mount tests run in a private mount namespace
(`unshare -m`, root only), where the installed bin/ is bound over
/usr/local/bin: mount(8) runs mount.fuse3 with a fixed PATH, which is where
the default prefix puts the daemon, and nothing outside the namespace sees
the bind."""

import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import time
import unittest

from mount_fixture import main, topicfs_bin


def run(cmd, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          **kwargs)


class InstalledTestCase(unittest.TestCase):
    """self.prefix holds what `cmake --install` of the build put there."""

    @classmethod
    def setUpClass(cls):
        cmake = shutil.which("cmake")
        build_dir = os.path.dirname(os.path.abspath(topicfs_bin()))
        if cmake is None or not os.path.exists(os.path.join(build_dir, "cmake_install.cmake")):
            raise unittest.SkipTest("needs cmake and the build tree of $TOPICFS_BIN")
        cls.tmp = tempfile.mkdtemp(prefix="topicfs-install-")
        cls.prefix = os.path.join(cls.tmp, "prefix")
        r = run([cmake, "--install", build_dir, "--prefix", cls.prefix])
        if r.returncode != 0:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise AssertionError(f"cmake --install failed:\n{r.stdout}\n{r.stderr}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def installed(self, *parts):
        return os.path.join(self.prefix, *parts)


class InstallTest(InstalledTestCase):

    def test_install_puts_the_daemon_man_page_unit_and_completion_in_place(self):
        self.assertTrue(os.access(self.installed("bin", "topicfs"), os.X_OK))
        for path in (("share", "man", "man8", "topicfs.8"), ("lib", "systemd", "system", "topicfs@.service"),
                     ("share", "bash-completion", "completions", "topicfs")):
            self.assertTrue(os.path.isfile(self.installed(*path)), path)
        with open(self.installed("lib", "systemd", "system", "topicfs@.service")) as f:
            unit = f.read()
        self.assertIn(f"ExecStart={self.installed('bin', 'topicfs')} -f ", unit)

    def test_man_page_renders_without_warnings(self):
        if shutil.which("man") is None:
            self.skipTest("needs man")
        r = run(["man", "--warnings", "-l", self.installed("share", "man", "man8", "topicfs.8")],
                env=dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        text = re.sub(".\x08", "", r.stdout)  # a pager's bold and underline, overstruck
        for heading in ("SYNOPSIS", "OPTIONS", "UNMOUNTING", "EXTENDED ATTRIBUTES", "ERRORS", "EXAMPLES"):
            self.assertIn(heading, text)
        for fact in ("--log-file=PATH", "-o nonempty", "user.topicfs.group.name", "group=name,max=N",
                     "ENODEV", "ERANGE", "fuse.topicfs", "topicfs@.service", "internal.segment.bytes",
                     "followers_parked", "cleaner.last_run"):
            self.assertIn(fact, text)

    def test_systemd_unit_passes_systemd_analyze_verify(self):
        if shutil.which("systemd-analyze") is None:
            self.skipTest("needs systemd-analyze")
        units = os.path.join(self.tmp, "units")
        os.makedirs(units, exist_ok=True)
        shutil.copy(self.installed("lib", "systemd", "system", "topicfs@.service"), units)
        # MANPATH: the check of Documentation=man:topicfs(8) finds the page.
        r = run(["systemd-analyze", "verify", os.path.join(units, "topicfs@orders.service")],
                env=dict(os.environ, MANPATH=self.installed("share", "man")))
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_bash_completion_completes_options_and_mount_options(self):
        script = textwrap.dedent(f"""\
            source {self.installed("share", "bash-completion", "completions", "topicfs")}
            compopt() {{ :; }}
            COMP_WORDS=(topicfs --log-l); COMP_CWORD=1; _topicfs; echo "${{COMPREPLY[@]}}"
            COMP_WORDS=(topicfs -o retention-check); COMP_CWORD=2; _topicfs; echo "${{COMPREPLY[@]}}"
            COMP_WORDS=(topicfs unmount --ti); COMP_CWORD=2; _topicfs; echo "${{COMPREPLY[@]}}"
            """)
        r = run(["bash", "-c", script])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(),
                         ["--log-level=", "retention-check-interval-ms=", "--timeout="])


class MountCommandTest(InstalledTestCase):

    def setUp(self):
        if os.geteuid() != 0 or shutil.which("unshare") is None or not os.path.exists("/sbin/mount.fuse3"):
            self.skipTest("needs root, unshare and mount.fuse3")
        self.work = tempfile.mkdtemp(prefix="topicfs-mount-", dir=self.tmp)
        self.addCleanup(self.no_daemon_left)

    def no_daemon_left(self):
        # The namespace's mounts went with it; a daemon would outlive it.
        for name in ("data", "data-fstab"):
            try:
                with open(os.path.join(self.work, name, ".lock")) as f:
                    pid = int(f.read())
            except (OSError, ValueError):
                continue
            deadline = time.monotonic() + 10
            while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertFalse(os.path.exists(f"/proc/{pid}") and
                             "topicfs" in open(f"/proc/{pid}/comm").read(), f"daemon {pid} still runs")

    def test_mount_t_fuse_topicfs_and_an_fstab_line_with_daemon_options(self):
        w = self.work
        fstab = os.path.join(w, "fstab")
        with open(fstab, "w") as f:
            f.write(f"{w}/data-fstab {w}/mnt-fstab fuse.topicfs "
                    f"defaults,log-file={w}/fstab.log,retention-check-interval-ms=200,log-level=debug 0 0\n")
        script = textwrap.dedent(f"""\
            set -eu
            w={w}
            # On any failure, nothing of ours is left: our daemons by the pid
            # in their .lock, then the mounts.
            cleanup() {{
              for d in data data-fstab; do
                pid=$(cat $w/$d/.lock 2>/dev/null || true)
                [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
              done
              sleep 0.5
              for m in mnt mnt-fstab; do umount -l $w/$m 2>/dev/null || true; done
            }}
            trap 'rc=$?; [ $rc -ne 0 ] && cleanup; exit $rc' EXIT
            mount --bind {self.prefix}/bin /usr/local/bin
            mkdir $w/mnt $w/mnt-fstab
            mount -t fuse.topicfs $w/data $w/mnt -o log-file=$w/mount.log,retention-check-interval-ms=200,log-level=debug
            grep -q " $w/mnt .* fuse.topicfs $w/data " /proc/self/mountinfo
            mkdir $w/mnt/t
            echo hello >> $w/mnt/t/0
            test "$(cat $w/mnt/t/0)" = hello
            mount -T {fstab} $w/mnt-fstab
            grep -q " $w/mnt-fstab .* fuse.topicfs $w/data-fstab " /proc/self/mountinfo
            mkdir $w/mnt-fstab/f
            sleep 1
            topicfs unmount $w/mnt
            topicfs unmount $w/mnt-fstab
            echo done
            """)
        r = run(["unshare", "-m", "bash", "-c", script])
        self.assertEqual(r.returncode, 0, f"{r.stdout}\n{r.stderr}")
        self.assertEqual(r.stdout.strip(), "done")
        for log in ("mount.log", "fstab.log"):
            with open(os.path.join(self.work, log)) as f:
                text = f.read()
            self.assertIn("retention pass", text, log)  # retention-check-interval-ms=200 took
            self.assertIn("closed ", text, log)
        self.assertTrue(os.path.exists(os.path.join(self.work, "data", ".kafka_cleanshutdown")))
        self.assertTrue(os.path.exists(os.path.join(self.work, "data-fstab", ".kafka_cleanshutdown")))


if __name__ == "__main__":
    main()
