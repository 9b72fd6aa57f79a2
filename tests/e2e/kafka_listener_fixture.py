"""A mount whose daemon also serves Kafka clients, for the listener's tests
(test_kafka.py, test_kafka_groups.py): the daemon runs with
--kafka-listen=127.0.0.1:<a free port>, and the test drives kcat and
python3-kafka (Debian's, under /usr/bin/python3) against it."""

import shutil
import socket
import subprocess
import time

from mount_fixture import MountedTestCase

PYTHON3_WITH_KAFKA = "/usr/bin/python3"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
