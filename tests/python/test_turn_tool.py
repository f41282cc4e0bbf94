#!/usr/bin/python3
"""burrow-turn against coturn on loopback: one-shot allocations (--json over
UDP and TCP, --secret), its exit statuses, and --echo, where a plain UDP
socket sends datagrams to the relayed address the tool printed and gets them
back, until SIGTERM releases the allocation."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

from coturn import Coturn, TURN_PASSWORD, TURN_USER
import taptest

# every wait in this file is bounded by one of these
RUN_TIMEOUT = 20        # for a one-shot run (allocate, print, release)
OUTPUT_TIMEOUT = 10     # for --echo to print the allocation
ECHO_TIMEOUT = 2        # for one datagram to come back
EXIT_TIMEOUT = 10       # for --echo to release and exit after SIGTERM or --duration
LOG_TIMEOUT = 5         # for coturn to log the release

REST_SECRET = "burrow-tool-secret"
CREDENTIALS = ("--username", TURN_USER, "--password", TURN_PASSWORD)


def tool_env(**extra):
    """The environment for the tool. Without G_MESSAGES_DEBUG: burrow-turn
    writes debug messages to stdout (see test_debug_messages_stay_off_stdout)."""
    env = {k: v for k, v in os.environ.items() if k != "G_MESSAGES_DEBUG"}
    env.update(extra)
    return env


def run_tool(*args, env=None):
    return subprocess.run([os.environ["BURROW_TURN_TOOL"], *args], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=RUN_TIMEOUT,
                          env=env or tool_env())


class EchoTool:
    """One burrow-turn --echo process; threads collect its stdout and stderr
    so that the test can read the allocation while it runs."""

    def __init__(self, *args):
        self.process = subprocess.Popen([os.environ["BURROW_TURN_TOOL"], *args],
                                        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, env=tool_env())
        self._out = bytearray()
        self._err = bytearray()
        self._cond = threading.Condition()
        self._threads = [threading.Thread(target=self._collect, args=(pipe, buf), daemon=True)
                         for pipe, buf in ((self.process.stdout, self._out),
                                           (self.process.stderr, self._err))]
        for thread in self._threads:
            thread.start()

    def _collect(self, pipe, buf):
        while True:
            chunk = os.read(pipe.fileno(), 65536)
            with self._cond:
                if chunk:
                    buf += chunk
                self._cond.notify_all()
                if not chunk:
                    return

    def allocation(self, timeout=OUTPUT_TIMEOUT):
        """The JSON object the tool printed, read while it keeps running."""
        def complete():
            return b"\n}\n" in self._out or self.process.poll() is not None

        with self._cond:
            if not self._cond.wait_for(complete, timeout):
                raise AssertionError(f"burrow-turn printed no complete JSON object within "
                                     f"{timeout} s while running (stdout buffered?); "
                                     f"got {bytes(self._out)!r}")
        if b"\n}\n" not in self._out:
            raise AssertionError(f"burrow-turn exited with {self.process.returncode} "
                                 f"before printing: {self.stderr}")
        self.assertRunning()
        return json.loads(bytes(self._out))

    def assertRunning(self):
        if self.process.poll() is not None:
            raise AssertionError(f"burrow-turn --echo exited with {self.process.returncode}: "
                                 f"{self.stderr}")

    def wait(self, timeout=EXIT_TIMEOUT):
        """The exit status, once the output threads are done too."""
        status = self.process.wait(timeout)
        for thread in self._threads:
            thread.join(timeout)
        return status

    @property
    def stdout(self):
        return bytes(self._out).decode(errors="replace")

    @property
    def stderr(self):
        return bytes(self._err).decode(errors="replace")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pipe in (self.process.stdout, self.process.stderr):
            try:
                pipe.close()
            except OSError:
                pass


def host_port(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


class TurnToolTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # --verbose: coturn logs each allocation and refresh, with its lifetime
        cls.server = Coturn(turn=True, args=["--verbose"], relay_ports=50)
        cls.rest = Coturn(turn=True, auth_secret=REST_SECRET, relay_ports=50)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.rest.stop()

    def target(self, server=None):
        return f"127.0.0.1:{(server or self.server).port}"

    def assertAllocation(self, out, server, transport):
        self.assertEqual(out["server"], f"127.0.0.1:{server.port}")
        self.assertEqual(out["transport"], transport)
        host, port = host_port(out["relayed"])
        self.assertEqual(host, "127.0.0.1")
        self.assertGreaterEqual(port, server.min_port)
        self.assertLessEqual(port, server.max_port)
        host, port = host_port(out["mapped"])
        self.assertEqual(host, "127.0.0.1")
        self.assertGreater(port, 0)
        self.assertIsInstance(out["lifetime"], int)
        self.assertGreater(out["lifetime"], 0)

    def allocate_json(self, *args, server=None, transport="udp"):
        """Runs the tool once with --json; checks it exits 0 printing one
        JSON object and nothing on stderr; returns the object."""
        server = server or self.server
        res = run_tool("--json", *args, self.target(server))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        out = json.loads(res.stdout)       # the whole of stdout is one object
        self.assertIsInstance(out, dict)
        self.assertAllocation(out, server, transport)
        return out

    def test_json_over_udp(self):
        out = self.allocate_json(*CREDENTIALS)
        self.assertIsNone(out["reservation_token"])
        self.assertEqual(out["permissions"], [])

    def test_json_over_tcp(self):
        self.allocate_json(*CREDENTIALS, "--transport", "tcp", transport="tcp")

    def test_json_with_permissions(self):
        out = self.allocate_json(*CREDENTIALS, "--permit", "127.0.0.1",
                                 "--permit", "127.0.0.2:4000", "--channel")
        self.assertEqual(out["permissions"][0], {"peer": "127.0.0.1", "channel": None})
        self.assertEqual(out["permissions"][1]["peer"], "127.0.0.2:4000")
        self.assertGreaterEqual(out["permissions"][1]["channel"], 0x4000)
        self.assertLessEqual(out["permissions"][1]["channel"], 0x7FFF)

    def test_text_output(self):
        res = run_tool(*CREDENTIALS, self.target())
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout, r"(?m)^Relayed address: +127\.0\.0\.1:\d+$")
        self.assertRegex(res.stdout, r"(?m)^Mapped address: +127\.0\.0\.1:\d+$")
        self.assertIn(f"{self.target()} (udp)", res.stdout)
        self.assertRegex(res.stdout, r"(?m)^Lifetime: +\d+ s$")

    def test_password_from_the_environment(self):
        res = run_tool("--json", "--username", TURN_USER, self.target(),
                       env=tool_env(BURROW_TURN_PASSWORD=TURN_PASSWORD))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertAllocation(json.loads(res.stdout), self.server, "udp")

    def test_debug_messages_stay_off_stdout(self):
        # g_debug() lines go to stderr, so --json output stays JSON
        res = run_tool("--json", *CREDENTIALS, self.target(),
                       env=tool_env(G_MESSAGES_DEBUG="all"))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertAllocation(json.loads(res.stdout), self.server, "udp")

    def test_wrong_password_exits_1_naming_the_user(self):
        for transport in ("udp", "tcp"):
            with self.subTest(transport=transport):
                res = run_tool("--json", "--transport", transport, "--username", TURN_USER,
                               "--password", "not-" + TURN_PASSWORD, self.target())
                self.assertEqual(res.returncode, 1, res.stderr)
                self.assertEqual(res.stdout, "")
                self.assertTrue(res.stderr.startswith("burrow-turn: "), res.stderr)
                self.assertIn(f"'{TURN_USER}'", res.stderr)
                self.assertIn("401", res.stderr)
                self.assertNotIn(TURN_PASSWORD, res.stderr)

    def test_unknown_user_exits_1_naming_the_user(self):
        res = run_tool("--json", "--username", "mallory", "--password", TURN_PASSWORD,
                       self.target())
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertEqual(res.stdout, "")
        self.assertIn("'mallory'", res.stderr)

    def test_bad_usage_exits_2(self):
        for args in ([], ["--bogus", self.target()], [self.target(), "extra"],
                     ["--transport", "sctp", self.target()],
                     ["--insecure", self.target()],
                     ["--secret", "s", "--username", "u", self.target()],
                     ["--rest-user", "alice", self.target()],
                     ["--lifetime", "-1", self.target()],
                     ["--echo", self.target()],
                     ["--duration", "5", "--permit", "127.0.0.1", self.target()],
                     ["--echo", "--permit", "127.0.0.1", "--duration", "-1", self.target()],
                     ["--channel", self.target()],
                     ["--permit", "nowhere", self.target()],
                     ["--token", "0", self.target()],
                     ["--token", "7", "--even-port", self.target()],
                     ["127.0.0.1:99999"], ["[::1"]):
            with self.subTest(args=args):
                res = run_tool(*CREDENTIALS, *args)
                self.assertEqual(res.returncode, 2, res.stderr)
                self.assertTrue(res.stderr.startswith("burrow-turn: "), res.stderr)
                self.assertEqual(res.stdout, "")

    def test_secret_with_use_auth_secret(self):
        self.allocate_json("--secret", REST_SECRET, server=self.rest)
        self.allocate_json("--secret", REST_SECRET, "--rest-user", "alice", "--transport", "tcp",
                           server=self.rest, transport="tcp")

    def test_wrong_secret_exits_1_naming_the_user(self):
        res = run_tool("--json", "--secret", "not-" + REST_SECRET, "--rest-user", "alice",
                       self.target(self.rest))
        self.assertEqual(res.returncode, 1, res.stderr)
        self.assertEqual(res.stdout, "")
        # the REST API username is EXPIRY:USER
        self.assertRegex(res.stderr, r"'\d+:alice'")

    def echo_tool(self, *args):
        tool = EchoTool(*CREDENTIALS, "--json", "--echo", "--permit", "127.0.0.1", *args,
                        self.target())
        self.addCleanup(tool.kill)
        return tool

    def peer_socket(self):
        peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.addCleanup(peer.close)
        peer.bind(("127.0.0.1", 0))
        peer.settimeout(ECHO_TIMEOUT)
        return peer

    def assertEchoes(self, peer, relayed, count=20):
        """@peer sends @count datagrams of varied sizes to @relayed, one at a
        time, and gets each one back intact, from @relayed."""
        for i in range(count):
            message = b"%02d:" % i + bytes((i * 7 + j) % 256 for j in range(1 + 61 * i))
            peer.sendto(message, relayed)
            try:
                data, frm = peer.recvfrom(65535)
            except socket.timeout:
                raise AssertionError(f"datagram {i} ({len(message)} bytes) not echoed "
                                     f"within {ECHO_TIMEOUT} s") from None
            self.assertEqual(frm, relayed)
            self.assertEqual(data, message, f"datagram {i}")

    def session_of(self, relayed_port):
        """coturn's session id for the allocation on @relayed_port, from its log."""
        log = self.server_log()
        at = log.find(f"Local relay addr: 127.0.0.1:{relayed_port}\n")
        self.assertNotEqual(at, -1, f"no relay port {relayed_port} in coturn's log")
        match = re.compile(r"session (\d+): new,").search(log, at)
        self.assertIsNotNone(match, "no new session after the relay address in coturn's log")
        return match.group(1)

    def server_log(self):
        with open(os.path.join(self.server.dir, "turn.log"), errors="replace") as f:
            return f.read()

    def assertReleased(self, session):
        """coturn logs a refresh with lifetime 0 for @session (within LOG_TIMEOUT)."""
        released = re.compile(rf"session {session}: refreshed, .*lifetime=0\b")
        deadline = time.monotonic() + LOG_TIMEOUT
        while not released.search(self.server_log()):
            if time.monotonic() > deadline:
                self.fail(f"coturn logged no release of session {session}:\n"
                          + self.server.log_tail())
            time.sleep(0.05)

    def test_echo_20_datagrams_then_sigterm_releases(self):
        tool = self.echo_tool("--duration", "10")
        out = tool.allocation()
        self.assertAllocation(out, self.server, "udp")
        self.assertEqual(out["permissions"], [{"peer": "127.0.0.1", "channel": None}])
        relayed = host_port(out["relayed"])
        session = self.session_of(relayed[1])
        self.assertEchoes(self.peer_socket(), relayed)
        tool.assertRunning()
        tool.process.send_signal(signal.SIGTERM)
        self.assertEqual(tool.wait(), 0, tool.stderr)
        self.assertIn("echoed 20 datagrams", tool.stderr)
        self.assertReleased(session)
        # and the same user allocates again
        self.allocate_json(*CREDENTIALS)

    def test_echo_through_a_channel_bound_up_front(self):
        peer = self.peer_socket()
        peer_name = "127.0.0.1:%d" % peer.getsockname()[1]
        tool = self.echo_tool("--permit", peer_name, "--channel", "--duration", "10")
        out = tool.allocation()
        channel = out["permissions"][1]["channel"]
        self.assertEqual(out["permissions"][1]["peer"], peer_name)
        self.assertGreaterEqual(channel, 0x4000)
        self.assertLessEqual(channel, 0x7FFF)
        self.assertEchoes(peer, host_port(out["relayed"]))
        tool.process.send_signal(signal.SIGTERM)
        self.assertEqual(tool.wait(), 0, tool.stderr)
        self.assertEqual(tool.stderr.count("bytes echoed (channel)\n"), 20, tool.stderr)

    def test_echo_binds_channels_on_its_own(self):
        tool = self.echo_tool("--channel", "--duration", "10")
        relayed = host_port(tool.allocation()["relayed"])
        self.assertEchoes(self.peer_socket(), relayed)
        tool.process.send_signal(signal.SIGTERM)
        self.assertEqual(tool.wait(), 0, tool.stderr)
        self.assertIn("echoed 20 datagrams", tool.stderr)
        self.assertIn("(channel)", tool.stderr)

    def test_sigterm_as_soon_as_the_address_is_read_releases(self):
        for _ in range(5):
            tool = self.echo_tool()
            relayed = host_port(tool.allocation()["relayed"])
            tool.process.send_signal(signal.SIGTERM)
            self.assertEqual(tool.wait(), 0, tool.stderr)
            self.assertReleased(self.session_of(relayed[1]))

    def test_echo_ends_after_duration(self):
        tool = self.echo_tool("--duration", "1")
        relayed = host_port(tool.allocation()["relayed"])
        session = self.session_of(relayed[1])
        self.assertEchoes(self.peer_socket(), relayed, count=1)
        self.assertEqual(tool.wait(), 0, tool.stderr)
        self.assertReleased(session)


if __name__ == "__main__":
    sys.exit(taptest.main())
