#!/usr/bin/python3
"""The STUN client and codec from Python, through the Burrow-1.0 typelib."""
import json
import os
import socket
import subprocess
import sys
import unittest

import gi
gi.require_version("Burrow", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import Burrow, Gio, GLib  # noqa: E402

from coturn import Coturn  # noqa: E402
import taptest  # noqa: E402


def fast(client):
    client.props.rto = 50
    client.props.max_requests = 3
    client.props.last_timeout_factor = 4


class StunClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Coturn(rfc5780=True)
        cls.auth = Coturn(args=["--lt-cred-mech", "--user=alice:secret",
                                "--realm=burrow.test", "--secure-stun"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.auth.stop()

    def test_bind_sync_returns_own_address(self):
        client = Burrow.StunClient.new(self.server.address, self.server.port)
        client.props.local_address = "127.0.0.1"
        mapped = client.bind_sync(None)
        self.assertIsInstance(mapped, Gio.InetSocketAddress)
        local = client.get_local_address()
        self.assertEqual(mapped.get_address().to_string(), "127.0.0.1")
        self.assertEqual(mapped.get_port(), local.get_port())
        self.assertEqual(client.props.bound_address.get_port(), local.get_port())

    def test_bind_async_with_main_loop(self):
        client = Burrow.StunClient.new(self.server.address, self.server.port)
        loop = GLib.MainLoop()
        results = []

        def done(c, res):
            results.append(c.bind_finish(res))
            loop.quit()

        client.bind_async(None, done)
        GLib.timeout_add_seconds(10, loop.quit)
        loop.run()
        self.assertEqual(len(results), 1)
        self.assertEqual(results[0].get_address().to_string(), "127.0.0.1")

    def test_discover_nat_on_loopback(self):
        client = Burrow.StunClient.new(self.server.address, self.server.port)
        fast(client)
        report = client.discover_nat_sync(None)
        self.assertEqual(report.props.nat_type, Burrow.NatType.NONE)
        self.assertEqual(report.props.mapping, Burrow.NatBehavior.ENDPOINT_INDEPENDENT)
        self.assertEqual(report.props.filtering, Burrow.NatBehavior.ENDPOINT_INDEPENDENT)
        other = report.get_other_address()
        self.assertEqual(other.get_address().to_string(), "127.0.0.2")
        self.assertEqual(other.get_port(), self.server.alt_port)
        self.assertEqual(list(report.props.problems), [])
        self.assertIn('"nat-type": "none"', report.to_json())

    def test_wrong_password_is_a_clear_error(self):
        client = Burrow.StunClient.new(self.auth.address, self.auth.port)
        client.set_credentials("alice", "wrong")
        with self.assertRaises(GLib.Error) as ctx:
            client.bind_sync(None)
        self.assertTrue(ctx.exception.matches(Burrow.stun_error_quark(),
                                              Burrow.StunError.UNAUTHORIZED))
        self.assertIn("'alice'", ctx.exception.message)

    def test_right_password_works(self):
        client = Burrow.StunClient.new(self.auth.address, self.auth.port)
        client.set_credentials("alice", "secret")
        self.assertIsNotNone(client.bind_sync(None))

    def test_timeout_against_silent_port(self):
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        client = Burrow.StunClient.new("127.0.0.1", silent.getsockname()[1])
        fast(client)
        with self.assertRaises(GLib.Error) as ctx:
            client.bind_sync(None)
        self.assertTrue(ctx.exception.matches(Burrow.stun_error_quark(),
                                              Burrow.StunError.TIMEOUT))
        silent.close()


class ToolTest(unittest.TestCase):
    """burrow-stun's output and exit status, as scripts rely on them."""

    @classmethod
    def setUpClass(cls):
        cls.tool = os.environ["BURROW_STUN_TOOL"]
        cls.server = Coturn(rfc5780=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def run_tool(self, *args):
        return subprocess.run([self.tool, *args], capture_output=True, text=True, timeout=60)

    def test_prints_mapped_address(self):
        res = self.run_tool(f"{self.server.address}:{self.server.port}")
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertRegex(res.stdout.strip(), r"^127\.0\.0\.1:\d+$")

    def test_discover_json(self):
        res = self.run_tool("--discover", "--json", "--rto", "50", "-r", "2",
                            f"{self.server.address}:{self.server.port}")
        self.assertEqual(res.returncode, 0, res.stderr)
        report = json.loads(res.stdout)
        self.assertEqual(report["nat-type"], "none")
        self.assertEqual(report["other-address"], f"127.0.0.2:{self.server.alt_port}")

    def test_timeout_exits_1_with_a_message(self):
        silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        silent.bind(("127.0.0.1", 0))
        res = self.run_tool("--rto", "50", "-r", "1", "--last-timeout-factor", "2",
                            f"127.0.0.1:{silent.getsockname()[1]}")
        silent.close()
        self.assertEqual(res.returncode, 1)
        self.assertIn("No answer from STUN server", res.stderr)

    def test_bad_usage_exits_2(self):
        self.assertEqual(self.run_tool().returncode, 2)
        self.assertEqual(self.run_tool("127.0.0.1:99999").returncode, 2)
        self.assertEqual(self.run_tool("--rto", "0", "127.0.0.1").returncode, 2)
        self.assertEqual(self.run_tool("[::1").returncode, 2)


class StunMessageTest(unittest.TestCase):
    def test_build_and_parse_round_trip(self):
        msg = Burrow.StunMessage.new_request(Burrow.StunMethod.BINDING)
        msg.add_string(Burrow.StunAttribute.SOFTWARE, "python test")
        addr = Gio.InetSocketAddress.new_from_string("192.0.2.1", 32853)
        self.assertTrue(msg.add_address(Burrow.StunAttribute.XOR_MAPPED_ADDRESS, addr))
        key = b"swordfish"
        wire = msg.serialize(Burrow.StunSignFlags.MESSAGE_INTEGRITY |
                             Burrow.StunSignFlags.FINGERPRINT, key)
        parsed = Burrow.StunMessage.new_from_bytes(wire)
        self.assertEqual(parsed.get_method(), Burrow.StunMethod.BINDING)
        self.assertEqual(parsed.get_message_class(), Burrow.StunClass.REQUEST)
        self.assertEqual(bytes(parsed.get_transaction_id()), bytes(msg.get_transaction_id()))
        self.assertEqual(parsed.get_string(Burrow.StunAttribute.SOFTWARE), "python test")
        xma = parsed.get_xor_mapped_address()
        self.assertEqual(xma.get_address().to_string(), "192.0.2.1")
        self.assertEqual(xma.get_port(), 32853)
        self.assertTrue(parsed.check_integrity(key))
        self.assertFalse(parsed.check_integrity(b"wrong"))
        self.assertTrue(parsed.check_fingerprint())

    def test_garbage_is_a_gerror(self):
        with self.assertRaises(GLib.Error) as ctx:
            Burrow.StunMessage.new_from_bytes(GLib.Bytes.new(b"\x00\x01\x00\x04" + b"\x00" * 8))
        self.assertEqual(ctx.exception.domain, GLib.quark_to_string(Burrow.stun_error_quark()))


if __name__ == "__main__":
    sys.exit(taptest.main())
