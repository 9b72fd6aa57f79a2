"""The mounted test harness: one real topicfs daemon per test.

Each test gets its own temporary data directory and mount point, a daemon
started in the foreground (-f) with its log captured to a file, and an
unmount that always runs, even when the test fails: fusermount3 -u (retried
while busy), then fusermount3 -uz, then the daemon is waited for and killed
if it does not exit. A failing test prints the daemon's log.

The daemon binary comes from $TOPICFS_BIN (ctest sets it), else
build/topicfs in the source tree.
"""

import atexit
import errno
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
PREFIX = "user.topicfs."

# Every daemon and mount point this process started and has not cleaned up
# yet: an interrupted run (Ctrl-C, an uncaught error) still leaves nothing.
_live_daemons = {}  # pid -> (Popen, mountpoint)

# What sanitizer builds (TOPICFS_SANITIZE) print; a daemon log holding one
# fails the test.
_SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                      "runtime error:")


def topicfs_bin():
    """$TOPICFS_BIN, which must exist when set (ctest sets it: a missing
    binary there is a failure, not a skip), else build/topicfs if built."""
    path = os.environ.get("TOPICFS_BIN")
    if path:
        if not os.access(path, os.X_OK):
            raise AssertionError(f"TOPICFS_BIN={path} is not an executable")
        return path
    path = os.path.join(SOURCE_DIR, "build", "topicfs")
    if not os.access(path, os.X_OK):
        raise unittest.SkipTest(f"topicfs binary not found at {path} (set TOPICFS_BIN)")
    return path


def in_mount_table(path):
    """True while path is a mount point in the kernel's table, even when its
    daemon is dead (os.path.ismount then says False: stat fails ENOTCONN)."""
    real = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            mnt = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
            if mnt == real:
                return True
    return False


def _fusermount(*args):
    return subprocess.run(["fusermount3", *args], capture_output=True, text=True)


def unmount(mountpoint, proc, timeout=10.0):
    """Unmounts and waits for the daemon to exit. Returns a list of what had
    to be forced (empty on a clean unmount)."""
    forced = []
    deadline = time.monotonic() + 5.0
    while in_mount_table(mountpoint):
        r = _fusermount("-u", mountpoint)
        if r.returncode == 0 or not in_mount_table(mountpoint):
            break
        if time.monotonic() > deadline:
            forced.append("fusermount3 -u kept failing: " + r.stderr.strip())
            _fusermount("-uz", mountpoint)
            break
        time.sleep(0.1)  # busy: a reader or writer is still closing
    if proc is not None:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            forced.append(f"daemon pid {proc.pid} did not exit within {timeout}s: killed")
            proc.kill()
            proc.wait()
        _live_daemons.pop(proc.pid, None)
    if in_mount_table(mountpoint):
        forced.append("still mounted after the daemon exited: fusermount3 -uz")
        _fusermount("-uz", mountpoint)
    return forced


@atexit.register
def _cleanup_everything():
    for pid, (proc, mnt) in list(_live_daemons.items()):
        try:
            unmount(mnt, proc, timeout=5.0)
        except Exception:  # noqa: BLE001 - last-ditch cleanup
            pass


def _on_sigterm(signum, frame):
    # Exit through sys.exit so the atexit cleanup above still unmounts.
    sys.exit(128 + signum)


signal.signal(signal.SIGTERM, _on_sigterm)


class Daemon:
    """One topicfs process serving data_dir at mountpoint."""

    def __init__(self, binary, data_dir, mountpoint, log_path, extra_args=(), nofile=None):
        self.binary = binary
        self.data_dir = data_dir
        self.mountpoint = mountpoint
        self.log_path = log_path
        self.proc = None
        self.returncode = None  # set once the process has been reaped
        self.extra_args = list(extra_args)
        # RLIMIT_NOFILE, soft = hard, for the daemon only (None: inherited).
        self.nofile = nofile

    def _preexec(self):
        if self.nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def start(self, timeout=5.0):
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [self.binary, "-f", *self.extra_args, self.data_dir, self.mountpoint],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=self._preexec if self.nofile is not None else None)
        finally:
            log.close()
        _live_daemons[self.proc.pid] = (self.proc, self.mountpoint)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.path.ismount(self.mountpoint):
                return
            if self.proc.poll() is not None:
                _live_daemons.pop(self.proc.pid, None)
                raise AssertionError(
                    f"topicfs exited with {self.proc.returncode} before mounting:\n{self.log()}")
            time.sleep(0.02)
        self.stop()
        raise AssertionError(f"{self.mountpoint} not mounted within {timeout}s:\n{self.log()}")

    def stop(self, timeout=10.0):
        """Clean unmount; returns what had to be forced (the daemon is
        killed if it has not exited `timeout` seconds after the unmount)."""
        if self.proc is None:
            return []
        forced = unmount(self.mountpoint, self.proc, timeout=timeout)
        self.returncode = self.proc.returncode
        self.proc = None
        return forced

    def kill9(self):
        """SIGKILL the daemon (a crash), then detach the dead mount."""
        self.proc.send_signal(signal.SIGKILL)
        self.returncode = self.proc.wait()
        _live_daemons.pop(self.proc.pid, None)
        self.proc = None
        r = _fusermount("-uz", self.mountpoint)
        if in_mount_table(self.mountpoint):
            raise AssertionError(f"fusermount3 -uz left the mount in place: {r.stderr}")

    def log(self):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"


class MountedTestCase(unittest.TestCase):
    """Base class: self.mnt is a live topicfs mount of self.data.

    A subclass may set, for every daemon it starts (remounts included):
    daemon_args (extra command-line arguments), daemon_nofile (RLIMIT_NOFILE
    soft = hard, set in the child before exec), daemon_start_timeout
    (seconds until the mount must be up) and daemon_stop_timeout (seconds
    from the unmount until the daemon must have exited): loading and closing
    many partitions take longer than the defaults. It may override
    set_up_data_dir() to put self.data somewhere else (a small tmpfs)."""

    maxDiff = 4000
    daemon_args = ()
    daemon_nofile = None
    daemon_start_timeout = 5.0
    daemon_stop_timeout = 10.0

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="topicfs-e2e-")
        self.data = os.path.join(self.tmp, "data")
        self.mnt = os.path.join(self.tmp, "mnt")
        os.mkdir(self.mnt)
        self._starts = 0
        self._logs = []
        self.daemon = None
        # Before the unmount is registered, so that cleanups it registers
        # run after the daemon is gone.
        self.set_up_data_dir()
        self.addCleanup(self._teardown_mount)
        self.start_daemon()

    def set_up_data_dir(self):
        """Called once before the first daemon starts; does nothing here."""

    # ---- mount control -----------------------------------------------------

    def start_daemon(self):
        self._starts += 1
        self.daemon = Daemon(topicfs_bin(), self.data, self.mnt,
                             os.path.join(self.tmp, f"daemon-{self._starts}.log"),
                             extra_args=self.daemon_args, nofile=self.daemon_nofile)
        self.daemon.start(timeout=self.daemon_start_timeout)

    def stop_daemon(self, expect_clean=True):
        forced = self.daemon.stop(timeout=self.daemon_stop_timeout)
        if expect_clean:
            self.assertEqual(forced, [], "unmount was not clean")
            self.assertEqual(self.daemon.returncode, 0,
                             f"daemon exit status after unmount:\n{self.daemon.log()}")

    def remount(self):
        """Clean unmount, wait for the daemon to exit, start a new one."""
        self.stop_daemon()
        self.start_daemon()

    def crash_and_remount(self):
        self.daemon.kill9()
        self.start_daemon()

    def _teardown_mount(self):
        problems = []
        try:
            if self.daemon is not None and self.daemon.proc is not None:
                forced = self.daemon.stop(timeout=self.daemon_stop_timeout)
                problems += forced
                if not forced and self.daemon.returncode != 0:
                    problems.append(f"the daemon's exit status was {self.daemon.returncode} "
                                    "(0 expected after a clean unmount)")
            elif in_mount_table(self.mnt):
                _fusermount("-uz", self.mnt)
        finally:
            for i in range(1, self._starts + 1):
                path = os.path.join(self.tmp, f"daemon-{i}.log")
                try:
                    with open(path, errors="replace") as f:
                        text = f.read()
                except OSError:
                    continue
                self._logs.append((path, text))
                for marker in _SANITIZER_MARKERS:
                    if marker in text:
                        problems.append(f"{os.path.basename(path)} holds a sanitizer report "
                                        f"({marker!r})")
            if problems:
                self._logs.append(("harness", "".join(p + "\n" for p in problems)))
            if not in_mount_table(self.mnt):
                shutil.rmtree(self.tmp, ignore_errors=True)
        if problems:
            raise AssertionError("teardown: " + "; ".join(problems))

    def run(self, result=None):
        # Print the daemon's log when this test failed or erred.
        if result is None:
            result = self.defaultTestResult()
        before = len(result.failures) + len(result.errors)
        super().run(result)
        if len(result.failures) + len(result.errors) > before:
            for path, text in self._logs:
                sys.stderr.write(f"\n----- {self.id()}: {os.path.basename(path)} -----\n{text}"
                                 f"----- end of {os.path.basename(path)} -----\n")
        return result

    # ---- helpers -------------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.mnt, *parts)

    def sh(self, script, check=True, input=None, timeout=120):
        """Runs a bash script with the mount as working directory."""
        r = subprocess.run(["bash", "-c", script], cwd=self.mnt, input=input,
                           capture_output=True, timeout=timeout)
        if check and r.returncode != 0:
            self.fail(f"bash -c {script!r} failed with {r.returncode}:\n"
                      f"stdout: {r.stdout[-2000:]!r}\nstderr: {r.stderr.decode(errors='replace')}")
        return r

    def assertShellFails(self, script, message):
        """The script fails and its stderr carries the errno's message
        (e.g. "Operation not permitted")."""
        r = self.sh(script, check=False)
        err = r.stderr.decode(errors="replace")
        self.assertNotEqual(r.returncode, 0, f"{script!r} should have failed")
        self.assertIn(message, err, f"{script!r}: stderr was {err!r}")

    def assertErrno(self, expected, fn, *args, **kwargs):
        with self.assertRaises(OSError) as cm:
            fn(*args, **kwargs)
        self.assertEqual(cm.exception.errno, expected,
                         f"expected {errno.errorcode[expected]}, got "
                         f"{errno.errorcode.get(cm.exception.errno, cm.exception.errno)}")

    def mkdir(self, topic):
        os.mkdir(self.path(topic))
        return self.path(topic)

    def read(self, *parts):
        with open(self.path(*parts), "rb") as f:
            return f.read()

    def append(self, rel, data):
        if isinstance(data, str):
            data = data.encode()
        fd = os.open(self.path(rel), os.O_WRONLY | os.O_APPEND)
        try:
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
        finally:
            os.close(fd)

    def append_in_writes(self, rel, data, max_write):
        """Appends whole lines, one write(2) of at most max_write bytes each
        (a longer line alone). The lines of one write go into one segment,
        so tests of small segments write less than segment.bytes at a time."""
        if isinstance(data, str):
            data = data.encode()
        fd = os.open(self.path(rel), os.O_WRONLY | os.O_APPEND)
        try:
            chunk = b""
            for line in data.splitlines(keepends=True):
                if chunk and len(chunk) + len(line) > max_write:
                    os.write(fd, chunk)
                    chunk = b""
                chunk += line
            if chunk:
                os.write(fd, chunk)
        finally:
            os.close(fd)

    def xattr(self, rel, name):
        return os.getxattr(self.path(rel), PREFIX + name).decode()

    def getfattr_d(self, rel):
        """getfattr -d, parsed into {name without prefix: value}."""
        r = self.sh(f"getfattr -d --absolute-names {shlex.quote(self.path(rel))}")
        out = {}
        for line in r.stdout.decode().splitlines():
            if "=" not in line or line.startswith("#"):
                continue
            name, _, value = line.partition("=")
            if value.startswith('"') and value.endswith('"'):
                value = value[1:-1]
            if name.startswith(PREFIX):
                out[name[len(PREFIX):]] = value
        return out

    def configs(self, rel):
        """getfattr -d without the root's read-only daemon status
        (user.topicfs.status.*, which moves on its own)."""
        return {k: v for k, v in self.getfattr_d(rel).items() if not k.startswith("status.")}

    def figures(self, rel):
        return {k: int(v) for k, v in self.getfattr_d(rel).items()}

    def wait_for(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"{what}: not within {timeout}s")
            time.sleep(0.02)


def lines_text(prefix, count, start=0, payload="x" * 20):
    """count lines "<prefix>-<n> <payload>\\n" as bytes."""
    return "".join(f"{prefix}-{i:07d} {payload}\n" for i in range(start, start + count)).encode()


def main():
    unittest.main(verbosity=2)
