#!/usr/bin/env python3
"""KafkaJS (2.2.4, from the npm registry into a cache) against the Kafka
listener, with its defaults: its admin client creates topics the mount
shows, its producer's offsets are byte positions `cat` agrees with (plain
and gzip, the codec KafkaJS carries itself), and a KafkaJS consumer group
reads what `echo >>` appended, commits where `cat 0@group=` resumes, and
is woken by an append while it waits. Needs node and npm (scripts/setup.sh);
skipped without them unless TOPICFS_REQUIRE_KAFKA=1."""

import os
import subprocess
import threading
import time

from kafka_listener_fixture import KafkaListenerTestCase, kafkajs_dir, offsets_of
from mount_fixture import main


class KafkaJsTest(KafkaListenerTestCase):

    @classmethod
    def setUpClass(cls):
        kafkajs_dir()
        super().setUpClass()

    def test_admin_creates_topics_that_the_mount_shows(self):
        out = self.kafkajs("create", "js-orders", "3")
        self.assertIn("js-orders", out.split())
        self.assertEqual(sorted(os.listdir(self.path("js-orders"))), ["0", "1", "2"])
        self.assertEqual(os.getxattr(self.path("js-orders"), "user.topicfs.partitions"), b"3")

    def test_produced_offsets_are_byte_positions_plain_and_gzip(self):
        self.mkdir("js")
        first = ["alpha", "beta", "gamma"]
        second = ["delta", "epsilon"]
        r1 = self.kafkajs("produce", "js", "0", "none", *first)
        r2 = self.kafkajs("produce", "js", "0", "gzip", *second)
        self.assertIn('"errorCode":0', r1)
        self.assertIn('"baseOffset":"0"', r1)
        at = offsets_of(first + second)
        self.assertIn(f'"baseOffset":"{at[3]}"', r2)
        self.assertEqual(self.read("js/0"), "".join(v + "\n" for v in first + second).encode())
        self.assertEqual(os.stat(self.path("js", "0")).st_size, at[-1] + len(second[-1]) + 1)

    def test_a_consumer_group_reads_the_shells_lines_and_commits_for_the_group_view(self):
        self.mkdir("jsg")
        lines = [f"shell line {i}" for i in range(6)]
        self.append("jsg/0", "".join(line + "\n" for line in lines).encode())
        out = self.kafkajs("consume", "js-group", "jsg", "6")
        self.assertEqual(out.splitlines(), [f"0 {o} {v}" for o, v in zip(offsets_of(lines), lines)])
        # Left with everything consumed: the group's view has nothing, then
        # exactly what the shell appends next.
        self.assertEqual(self.read("jsg/0@group=js-group"), b"")
        self.append("jsg/0", b"after the group\n")
        self.assertEqual(self.read("jsg/0@group=js-group"), b"after the group\n")

    def test_a_waiting_consumer_is_woken_by_an_append_through_the_mount(self):
        self.mkdir("jsw")
        argv, env = self.kafkajs_command("consume", "js-wait", "jsw", "1")
        consumer = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(lambda: consumer.poll() is None and consumer.kill())
        # Appended once the consumer has joined and is fetching at the end.
        timer = threading.Timer(4.0, lambda: self.append("jsw/0", b"woken\n"))
        timer.start()
        self.addCleanup(timer.cancel)
        started = time.monotonic()
        out, err = consumer.communicate(timeout=60)
        self.assertEqual(consumer.returncode, 0, err + self.daemon.log())
        self.assertEqual(out.splitlines(), ["0 0 woken"])
        self.assertLess(time.monotonic() - started, 30)


if __name__ == "__main__":
    main()
