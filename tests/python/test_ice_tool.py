#!/usr/bin/python3
"""burrow-ice: two processes connect on loopback by swapping their first
stdout lines, then carry stdin to the peer's stdout both ways; bad lines,
timeouts and usage errors; --turn and --force-relay through coturn."""
import base64
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest

from coturn import Coturn, TURN_PASSWORD, TURN_USER
import taptest

# every wait in this file is bounded by one of these
LINE_TIMEOUT = 20       # for a peer's signalling line (gathering on loopback)
EXIT_TIMEOUT = 30       # for a process to connect, pipe and exit

SELECTED = re.compile(r"^selected: host 127\.0\.0\.1:\d+ -> host 127\.0\.0\.1:\d+$", re.M)


class Peer:
    """One burrow-ice process; threads collect its stdout and stderr so
    that neither pipe can fill up and block it."""

    def __init__(self, *args, env=None):
        self.process = subprocess.Popen(
            [os.environ["BURROW_ICE_TOOL"], "--local-address", "127.0.0.1", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=env)
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
                if not chunk:
                    self._cond.notify_all()
                    return
                buf += chunk
                self._cond.notify_all()

    def line(self, timeout=LINE_TIMEOUT):
        """The signalling line: the first line of stdout, with its newline."""
        with self._cond:
            if not self._cond.wait_for(lambda: b"\n" in self._out or
                                       self.process.poll() is not None, timeout):
                raise AssertionError(f"no signalling line within {timeout} s")
        if b"\n" not in self._out:
            raise AssertionError(f"burrow-ice exited without a line: {self.stderr}")
        return bytes(self._out[:self._out.index(b"\n") + 1])

    def write(self, data):
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def close_stdin(self):
        self.process.stdin.close()

    def wait(self, timeout=EXIT_TIMEOUT):
        """The exit status; the output threads are done too."""
        status = self.process.wait(timeout)
        for thread in self._threads:
            thread.join(timeout)
        return status

    @property
    def data(self):
        """What came out on stdout after the signalling line."""
        out = bytes(self._out)
        return out[out.index(b"\n") + 1:] if b"\n" in out else b""

    @property
    def stderr(self):
        return bytes(self._err).decode(errors="replace")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                pipe.close()
            except OSError:
                pass


class ToolTestCase(unittest.TestCase):
    def peer(self, *args, env=None):
        peer = Peer(*args, env=env)
        self.addCleanup(peer.kill)
        return peer

    def connect(self, a, b):
        """Gives each peer the other's line."""
        line_a, line_b = a.line(), b.line()
        b.write(line_a)
        a.write(line_b)
        return line_a, line_b


class IceToolTest(ToolTestCase):
    def test_100_lines_each_way(self):
        a = self.peer("--drain", "3")
        b = self.peer("--drain", "3")
        self.connect(a, b)
        sent = {}
        for name, peer in (("a", a), ("b", b)):
            sent[name] = b"".join(b"line %d from %s\n" % (i, name.encode()) for i in range(100))
            for i in range(100):
                peer.write(b"line %d from %s\n" % (i, name.encode()))
        a.close_stdin()
        b.close_stdin()
        self.assertEqual(a.wait(), 0, a.stderr)
        self.assertEqual(b.wait(), 0, b.stderr)
        self.assertEqual(b.data, sent["a"])
        self.assertEqual(a.data, sent["b"])
        self.assertRegex(a.stderr, SELECTED)
        self.assertRegex(b.stderr, SELECTED)

    def test_plain_line_json_and_binary_data(self):
        a = self.peer("--plain", "--json", "--drain", "3")
        b = self.peer("--json", "--drain", "3")
        line_a, line_b = self.connect(a, b)
        self.assertTrue(line_a.startswith(b"m="), line_a)
        self.assertIn(b"|a=ice-ufrag:", line_a)
        self.assertIn(b"a=ice-pwd:", base64.b64decode(line_b))
        payload = bytes(range(256)) * 20
        a.write(payload)
        a.close_stdin()
        self.assertEqual(a.wait(), 0, a.stderr)
        b.close_stdin()
        self.assertEqual(b.wait(), 0, b.stderr)
        self.assertEqual(b.data, payload)
        roles = set()
        for peer in (a, b):
            pair = json.loads(peer.stderr.strip().splitlines()[-1])
            self.assertEqual(pair["local"]["type"], "host")
            self.assertEqual(pair["local"]["address"], "127.0.0.1")
            self.assertEqual(pair["remote"]["address"], "127.0.0.1")
            self.assertEqual(pair["local"]["transport"], "udp")
            roles.add(pair["role"])
        self.assertEqual(roles, {"controlling", "controlled"})

    def test_peer_line_arriving_late(self):
        """The late peer has met the other through its checks first (as a
        peer-reflexive candidate), as when people paste lines by hand."""
        a = self.peer("--drain", "3")
        b = self.peer("--drain", "3")
        line_a, line_b = a.line(), b.line()
        a.write(line_b)
        time.sleep(1)
        b.write(line_a)
        a.write(b"from a\n")
        b.write(b"from b\n")
        a.close_stdin()
        b.close_stdin()
        self.assertEqual(a.wait(), 0, a.stderr)
        self.assertEqual(b.wait(), 0, b.stderr)
        self.assertEqual(a.data, b"from b\n")
        self.assertEqual(b.data, b"from a\n")

    def bad_line(self, line, message):
        a = self.peer("--timeout", "10")
        a.line()
        a.write(line)
        self.assertEqual(a.wait(), 1, a.stderr)
        self.assertIn(message, a.stderr)

    def test_garbage_line_exits_1_with_a_message(self):
        self.bad_line(b"this is not a signalling line\n", "neither base64 nor plain SDP")

    def test_base64_without_sdp_exits_1(self):
        self.bad_line(base64.b64encode(b"hello, peer") + b"\n", "has no candidate")

    def test_sdp_without_credentials_exits_1(self):
        self.bad_line(b"m=- 9 ICE/SDP|a=candidate:1 1 UDP 1 127.0.0.1 9 typ host\n",
                      "no ICE credentials")

    def test_own_line_exits_1(self):
        a = self.peer("--timeout", "10")
        a.write(a.line())
        self.assertEqual(a.wait(), 1)
        self.assertIn("own", a.stderr)

    def test_no_line_times_out_with_1(self):
        a = self.peer("--timeout", "1")
        a.line()
        start = time.monotonic()
        self.assertEqual(a.wait(), 1)
        self.assertLess(time.monotonic() - start, 10)
        self.assertIn("no line from the peer", a.stderr)

    def test_silent_peer_times_out_with_1(self):
        a = self.peer("--timeout", "2")
        a.line()
        a.write(b"m=- 9 ICE/SDP|a=ice-ufrag:abcd|a=ice-pwd:abcdefghijklmnopqrstuv|"
                b"a=candidate:1 1 UDP 2130706431 127.0.0.1 9 typ host\n")
        self.assertEqual(a.wait(), 1)
        self.assertIn("did not connect within 2 s", a.stderr)

    def test_bad_usage_exits_2(self):
        for args in (["--bogus"], ["extra"], ["--timeout", "0"], ["--force-relay"],
                     ["--turn", "127.0.0.1"], ["--turn-transport", "sctp"],
                     ["--controlling", "--controlled"], ["--local-address", "nowhere"],
                     ["--stun", "[::1"]):
            res = subprocess.run([os.environ["BURROW_ICE_TOOL"], *args], stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, timeout=EXIT_TIMEOUT)
            self.assertEqual(res.returncode, 2, args)
            self.assertTrue(res.stderr.startswith("burrow-ice: "), res.stderr)
            self.assertEqual(res.stdout, "", args)


class RelayTest(ToolTestCase):
    """--turn and --force-relay against coturn on loopback."""

    @classmethod
    def setUpClass(cls):
        cls.server = Coturn(turn=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def turn_args(self, *extra):
        return ["--turn", f"{self.server.address}:{self.server.port}",
                "--turn-user", TURN_USER, "--force-relay", *extra]

    def test_force_relay_connects_through_turn(self):
        env = dict(os.environ, BURROW_TURN_PASSWORD=TURN_PASSWORD)
        a = self.peer(*self.turn_args("--turn-transport", "tcp", "--drain", "3"), env=env)
        b = self.peer(*self.turn_args("--drain", "3"), env=env)
        self.connect(a, b)
        a.write(b"through the relay\n")
        a.close_stdin()
        self.assertEqual(a.wait(), 0, a.stderr)
        b.close_stdin()
        self.assertEqual(b.wait(), 0, b.stderr)
        self.assertEqual(b.data, b"through the relay\n")
        self.assertRegex(a.stderr, r"^selected: relay 127\.0\.0\.1:\d+ -> relay 127\.0\.0\.1:\d+$")

    def test_wrong_turn_password_exits_1(self):
        res = subprocess.run([os.environ["BURROW_ICE_TOOL"], "--local-address", "127.0.0.1",
                              *self.turn_args("--turn-password", "wrong")],
                             stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=EXIT_TIMEOUT)
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stdout, "")
        self.assertIn("the TURN server gave no relayed address", res.stderr)


if __name__ == "__main__":
    sys.exit(taptest.main())
