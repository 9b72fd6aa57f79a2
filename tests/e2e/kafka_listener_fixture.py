"""A mount whose daemon also serves Kafka clients, for the listener's tests
(test_kafka.py, test_kafka_groups.py): the daemon runs with
--kafka-listen=127.0.0.1:<a free port>, and the test drives kcat and
python3-kafka (Debian's, under /usr/bin/python3) against it."""

import os
import shutil
import socket
import subprocess
import time
import unittest

from kafka_tools import free_port  # noqa: F401 (the listener tests take it from here)
from mount_fixture import MountedTestCase

PYTHON3_WITH_KAFKA = "/usr/bin/python3"
KAFKAJS_VERSION = "2.2.4"


def kafkajs_dir(quiet=True):
    """The node_modules folder holding KafkaJS, a test client: installed with
    npm from the npm registry into a cache outside the source tree once
    ($TOPICFS_KAFKAJS_CACHE, else ~/.cache/topicfs/kafkajs-<version>), then
    reused. Raises unittest.SkipTest without npm or the registry, unless
    TOPICFS_REQUIRE_KAFKA=1 (scripts/test.sh) makes that a failure."""
    cache = os.environ.get("TOPICFS_KAFKAJS_CACHE",
                           os.path.expanduser(f"~/.cache/topicfs/kafkajs-{KAFKAJS_VERSION}"))
    modules = os.path.join(cache, "node_modules")
    if os.path.isfile(os.path.join(modules, "kafkajs", "package.json")):
        return modules
    problem = None
    if shutil.which("node") is None or shutil.which("npm") is None:
        problem = "node or npm is not installed (scripts/setup.sh installs them)"
    else:
        os.makedirs(cache, exist_ok=True)
        r = subprocess.run(["npm", "install", "--prefix", cache, "--no-audit", "--no-fund", "--no-save",
                            f"kafkajs@{KAFKAJS_VERSION}"], capture_output=True, text=True, timeout=300)
        if r.returncode != 0 or not os.path.isdir(os.path.join(modules, "kafkajs")):
            problem = f"npm install kafkajs@{KAFKAJS_VERSION} failed: {r.stderr[-2000:]}"
        elif not quiet:
            print(f"kafkajs {KAFKAJS_VERSION} installed in {cache}")
    if problem is None:
        return modules
    if os.environ.get("TOPICFS_REQUIRE_KAFKA") == "1":
        raise AssertionError(f"KafkaJS is required (TOPICFS_REQUIRE_KAFKA=1): {problem}")
    raise unittest.SkipTest(problem)


def wait_for_port(port, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def offsets_of(lines):
    """The byte position of each line of a partition file: its Kafka offset."""
    out, at = [], 0
    for line in lines:
        out.append(at)
        at += len(line) + 1
    return out


class KafkaListenerTestCase(MountedTestCase):
    """A mount whose daemon also listens for Kafka clients on self.port
    (self.broker is HOST:PORT)."""

    def setUp(self):
        if shutil.which("kcat") is None:
            self.fail("kcat is not installed (scripts/setup.sh installs it)")
        self.port = free_port()
        self.broker = f"127.0.0.1:{self.port}"
        self.daemon_args = (f"--kafka-listen={self.broker}",)
        super().setUp()
        wait_for_port(self.port)

    def kcat(self, *args, input=None, timeout=30, check=True):
        r = subprocess.run(["kcat", "-b", self.broker, *args], input=input, capture_output=True,
                           timeout=timeout)
        if check and r.returncode != 0:
            self.fail(f"kcat {' '.join(args)} failed with {r.returncode}:\n{r.stderr.decode()}\n"
                      f"daemon log:\n{self.daemon.log()}")
        return r

    def python(self, script, *args, timeout=90):
        """Runs a python3-kafka script with the broker address as argv[1]
        (then args); its stdout, or the test fails with its stderr."""
        r = subprocess.run([PYTHON3_WITH_KAFKA, "-c", script, self.broker, *args], capture_output=True,
                           timeout=timeout)
        if r.returncode != 0:
            self.fail(f"python3-kafka script failed:\n{r.stderr.decode()}\ndaemon log:\n{self.daemon.log()}")
        return r.stdout.decode()

    def kafkajs_command(self, *args):
        """The argv and environment that run tests/e2e/kafkajs_client.js
        with the broker address first."""
        script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs_client.js")
        return ["node", script, self.broker, *args], dict(os.environ, NODE_PATH=kafkajs_dir())

    def kafkajs(self, *args, timeout=60):
        """Runs kafkajs_client.js (kafkajs_command); its stdout, or the test
        fails with its stderr."""
        argv, env = self.kafkajs_command(*args)
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
        if r.returncode != 0:
            self.fail(f"kafkajs {' '.join(args)} failed:\n{r.stderr}\ndaemon log:\n{self.daemon.log()}")
        return r.stdout


if __name__ == "__main__":
    # scripts/test.sh: install KafkaJS into the cache before the tests run.
    print(kafkajs_dir(quiet=False))
