#!/usr/bin/python3
"""The TURN client from Python, through the Burrow-1.0 typelib, against coturn.

Two allocations on one loopback coturn are each other's peers. Where a test
must see what goes over the wire (Send indications or ChannelData, a 438),
the client talks to coturn through ``UdpTap``, a UDP forwarder that keeps a
copy of every datagram.
"""
import select
import socket
import struct
import sys
import threading
import time
import unittest

import gi
gi.require_version("Burrow", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import Burrow, Gio, GLib  # noqa: E402

from coturn import Coturn, TURN_PASSWORD, TURN_REALM, TURN_USER  # noqa: E402
import taptest  # noqa: E402

LOOPBACK = Gio.InetAddress.new_from_string("127.0.0.1")
SEND_INDICATION = 0x0016
DATA_INDICATION = 0x0017
REST_SECRET = "burrow-rest-secret"


def turn_error(code):
    """A predicate for assertRaises' exception: a GError of BURROW_TURN_ERROR @code."""
    return lambda e: e.matches(Burrow.turn_error_quark(), code)


def run_loop(seconds, done=lambda: False):
    """Runs a main loop until @done() is true (checked every 20 ms) or
    @seconds pass; returns @done()."""
    loop = GLib.MainLoop()
    deadline = time.monotonic() + seconds

    def check():
        if done() or time.monotonic() >= deadline:
            loop.quit()
            return GLib.SOURCE_REMOVE
        return GLib.SOURCE_CONTINUE

    GLib.timeout_add(20, check)
    loop.run()
    return done()


class UdpTap:
    """Forwards UDP between one client and @server, keeping each datagram
    as (direction, bytes), direction "up" (to the server) or "down"."""

    def __init__(self, server_port):
        self.down = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.down.bind(("127.0.0.1", 0))
        self.up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.up.bind(("127.0.0.1", 0))
        self.up.connect(("127.0.0.1", server_port))
        self.port = self.down.getsockname()[1]
        self.client = None
        self.seen = []
        self.lock = threading.Lock()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.running:
            ready, _, _ = select.select([self.down, self.up], [], [], 0.05)
            for s in ready:
                data, addr = s.recvfrom(65535)
                with self.lock:
                    self.seen.append(("up" if s is self.down else "down", data))
                if s is self.down:
                    self.client = addr
                    self.up.send(data)
                elif self.client:
                    self.down.sendto(data, self.client)

    def clear(self):
        with self.lock:
            self.seen.clear()

    def kinds(self, direction):
        """What went @direction: ("channel", number, payload) for ChannelData,
        ("stun", type, error code or None) for STUN messages."""
        with self.lock:
            datagrams = [d for way, d in self.seen if way == direction]
        out = []
        for d in datagrams:
            first, length = struct.unpack("!HH", d[:4])
            if 0x4000 <= first <= 0x7FFF:
                out.append(("channel", first, d[4:4 + length]))
            else:
                out.append(("stun", first, stun_error_code(d)))
        return out

    def close(self):
        self.running = False
        self.thread.join(2)
        self.down.close()
        self.up.close()


def stun_error_code(msg):
    """The ERROR-CODE of a STUN message, or None."""
    pos = 20
    while pos + 4 <= len(msg):
        attr, length = struct.unpack("!HH", msg[pos:pos + 4])
        if attr == 0x0009 and length >= 4:
            return msg[pos + 6] * 100 + msg[pos + 7]
        pos += 4 + ((length + 3) & ~3)
    return None


def new_client(server_port, transport=Burrow.Transport.UDP, user=TURN_USER,
               password=TURN_PASSWORD):
    client = Burrow.TurnClient.new("127.0.0.1", server_port, user, password)
    client.props.transport = transport
    return client


def allocate(server_port, options=None, **kwargs):
    return new_client(server_port, **kwargs).allocate_sync(options, None)


def payload(data):
    return data.get_data() if data is not None else None


class TurnTestCase(unittest.TestCase):
    def assertTurnError(self, code, func, *args):
        with self.assertRaises(GLib.Error) as ctx:
            func(*args)
        self.assertTrue(turn_error(code)(ctx.exception),
                        f"expected {code.value_nick}, got {ctx.exception}")
        return ctx.exception

    def assertAllocated(self, allocation, server):
        relayed = allocation.props.relayed_address
        self.assertEqual(allocation.props.state, Burrow.RelayState.ALLOCATED)
        self.assertEqual(relayed.get_address().to_string(), "127.0.0.1")
        self.assertGreaterEqual(relayed.get_port(), server.min_port)
        self.assertLessEqual(relayed.get_port(), server.max_port)
        self.assertGreater(allocation.props.lifetime, 0)
        self.assertEqual(allocation.props.mapped_address.get_address().to_string(),
                         "127.0.0.1")


    def assertRelaysBothWays(self, a, b):
        """@a and @b exchange datagrams of odd and even sizes (over TCP,
        ChannelData is padded to 4 bytes) first with Send indications, then
        through channels."""
        self.assertTrue(a.create_permission_sync(LOOPBACK, None))
        self.assertTrue(b.create_permission_sync(LOOPBACK, None))
        a_addr, b_addr = a.props.relayed_address, b.props.relayed_address
        for channels in (False, True):
            if channels:
                self.assertNotEqual(a.bind_channel_sync(b_addr, None), 0)
                self.assertNotEqual(b.bind_channel_sync(a_addr, None), 0)
            for message in (b"x", b"abcde", b"y" * 1001, b"z" * 1200):
                with self.subTest(channels=channels, size=len(message)):
                    a.send(b_addr, GLib.Bytes.new(message))
                    data, frm = b.receive_sync(a_addr, 2000, None)
                    self.assertEqual(payload(data), message)
                    b.send(a_addr, GLib.Bytes.new(message + b"!"))
                    data, frm = a.receive_sync(b_addr, 2000, None)
                    self.assertEqual(payload(data), message + b"!")


class AllocateTest(TurnTestCase):
    """Allocation over UDP and TCP, options and credentials."""

    @classmethod
    def setUpClass(cls):
        cls.server = Coturn(turn=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_allocate_over_udp(self):
        client = new_client(self.server.port)
        allocation = client.allocate_sync(None, None)
        self.assertAllocated(allocation, self.server)
        self.assertEqual(client.props.realm, TURN_REALM)
        self.assertIs(client.get_allocation(), allocation)
        allocation.release_sync(None)

    def test_allocate_over_tcp(self):
        allocation = allocate(self.server.port, transport=Burrow.Transport.TCP)
        self.assertAllocated(allocation, self.server)
        allocation.release_sync(None)

    def test_data_over_tcp_both_ways(self):
        a = allocate(self.server.port, transport=Burrow.Transport.TCP)
        b = allocate(self.server.port)
        self.assertRelaysBothWays(a, b)
        a.release_sync(None)
        b.release_sync(None)

    def test_even_port_gives_an_even_port(self):
        allocations = [allocate(self.server.port, Burrow.AllocateOptions(even_port=True))
                       for _ in range(4)]
        for a in allocations:
            self.assertEqual(a.props.relayed_address.get_port() % 2, 0,
                             a.props.relayed_address.to_string())
            self.assertEqual(a.props.reservation_token, 0)
            a.release_sync(None)

    def test_reservation_token_gives_the_next_port(self):
        first = allocate(self.server.port, Burrow.AllocateOptions(reserve_next_port=True))
        token = first.props.reservation_token
        port = first.props.relayed_address.get_port()
        self.assertNotEqual(token, 0)
        self.assertEqual(port % 2, 0)
        second = allocate(self.server.port, Burrow.AllocateOptions(reservation_token=token))
        self.assertEqual(second.props.relayed_address.get_port(), port + 1)
        second.release_sync(None)
        first.release_sync(None)

    def test_wrong_password_is_unauthorized(self):
        client = new_client(self.server.port, password="wrong")
        error = self.assertTurnError(Burrow.TurnError.UNAUTHORIZED, client.allocate_sync,
                                     None, None)
        self.assertIn(f"'{TURN_USER}'", error.message)


class RestCredentialsTest(TurnTestCase):
    """coturn's use-auth-secret (the TURN REST API)."""

    @classmethod
    def setUpClass(cls):
        cls.server = Coturn(turn=True, auth_secret=REST_SECRET)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_rest_credentials_allocate(self):
        ok, user, password = Burrow.turn_rest_credentials(REST_SECRET, "alice", 60, 0)
        self.assertTrue(ok)
        self.assertRegex(user, r"^\d+:alice$")
        allocation = allocate(self.server.port, user=user, password=password)
        self.assertAllocated(allocation, self.server)
        allocation.release_sync(None)

    def test_rest_credentials_of_another_secret_are_unauthorized(self):
        _, user, password = Burrow.turn_rest_credentials("not-the-secret", "alice", 60, 0)
        client = new_client(self.server.port, user=user, password=password)
        self.assertTurnError(Burrow.TurnError.UNAUTHORIZED, client.allocate_sync, None, None)

    def test_expired_rest_credentials_are_unauthorized(self):
        now = int(time.time())
        _, user, password = Burrow.turn_rest_credentials(REST_SECRET, "alice", 60, now - 3600)
        client = new_client(self.server.port, user=user, password=password)
        self.assertTurnError(Burrow.TurnError.UNAUTHORIZED, client.allocate_sync, None, None)

    def test_empty_secret_is_an_invalid_argument(self):
        self.assertTurnError(Burrow.TurnError.INVALID_ARGUMENT,
                             Burrow.turn_rest_credentials, "", "alice", 60, 0)


class DataTest(TurnTestCase):
    """Two allocations, A (through a UdpTap) and B, relay data to each other."""

    @classmethod
    def setUpClass(cls):
        cls.server = Coturn(turn=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def setUp(self):
        self.tap = UdpTap(self.server.port)
        self.a = allocate(self.tap.port)
        self.b = allocate(self.server.port)
        self.a_addr = self.a.props.relayed_address
        self.b_addr = self.b.props.relayed_address

    def tearDown(self):
        for allocation in (self.a, self.b):
            allocation.close()
        self.tap.close()

    def permit_both(self):
        self.assertTrue(self.a.create_permission_sync(LOOPBACK, None))
        self.assertTrue(self.b.create_permission_sync(LOOPBACK, None))
        self.assertEqual(list(self.a.props.permitted_peers), ["127.0.0.1"])
        self.assertTrue(self.b.has_permission(LOOPBACK))

    def exchange(self):
        """A sends to B, B answers; returns what each received, and from whom."""
        self.a.send(self.b_addr, GLib.Bytes.new(b"ping"))
        data, frm = self.b.receive_sync(None, 2000, None)
        self.assertEqual(payload(data), b"ping")
        self.assertEqual(frm.to_string(), self.a_addr.to_string())
        self.b.send(frm, GLib.Bytes.new(b"pong"))
        data, frm = self.a.receive_sync(self.b_addr, 2000, None)
        self.assertEqual(payload(data), b"pong")
        self.assertEqual(frm.to_string(), self.b_addr.to_string())

    def test_send_indications_both_ways(self):
        self.permit_both()
        self.tap.clear()
        self.exchange()
        up, down = self.tap.kinds("up"), self.tap.kinds("down")
        self.assertIn(("stun", SEND_INDICATION, None), up)
        self.assertIn(("stun", DATA_INDICATION, None), down)
        self.assertFalse([k for k in up + down if k[0] == "channel"], up + down)
        self.assertEqual(self.a.get_channel(self.b_addr), 0)

    def test_channels_both_ways(self):
        self.assertTrue(self.b.create_permission_sync(LOOPBACK, None))
        channel = self.a.bind_channel_sync(self.b_addr, None)
        self.assertGreaterEqual(channel, 0x4000)
        self.assertLessEqual(channel, 0x4FFF)
        self.assertEqual(self.a.get_channel(self.b_addr), channel)
        # the binding installed the permission too
        self.assertTrue(self.a.has_permission(LOOPBACK))
        back = self.b.bind_channel_sync(self.a_addr, None)
        self.assertTrue(0x4000 <= back <= 0x4FFF, hex(back))
        self.tap.clear()
        self.exchange()
        self.assertIn(("channel", channel, b"ping"), self.tap.kinds("up"))
        self.assertIn(("channel", channel, b"pong"), self.tap.kinds("down"))
        stun = [k for k in self.tap.kinds("up") + self.tap.kinds("down")
                if k[0] == "stun" and k[1] in (SEND_INDICATION, DATA_INDICATION)]
        self.assertEqual(stun, [])

    def test_data_received_signal_on_a_main_loop(self):
        self.permit_both()
        received = []
        handler = self.b.connect("data-received",
                                 lambda alloc, peer, data: received.append(
                                     (peer.to_string(), payload(data))))
        GLib.idle_add(lambda: self.a.send(self.b_addr, GLib.Bytes.new(b"signal")) and False)
        self.assertTrue(run_loop(5, lambda: received), "no data-received within 5 s")
        self.b.disconnect(handler)
        self.assertEqual(received, [(self.a_addr.to_string(), b"signal")])

    def test_subscribe_sees_only_its_peer(self):
        self.permit_both()
        c = allocate(self.server.port)
        self.assertTrue(c.create_permission_sync(LOOPBACK, None))
        from_b, everything = [], []

        def on_data(alloc, peer, data, tag):
            from_b.append((tag, peer.to_string(), payload(data)))

        sub = self.a.subscribe(self.b_addr, on_data, "b")
        handler = self.a.connect("data-received",
                                 lambda alloc, peer, data: everything.append(payload(data)))
        c.send(self.a_addr, GLib.Bytes.new(b"from c"))
        self.b.send(self.a_addr, GLib.Bytes.new(b"from b"))
        c.send(self.a_addr, GLib.Bytes.new(b"from c again"))
        arrived = run_loop(5, lambda: len(everything) == 3)
        self.a.disconnect(handler)
        self.a.unsubscribe(sub)
        c.close()
        self.assertTrue(arrived, f"only {everything} arrived within 5 s")
        self.assertEqual(from_b, [("b", self.b_addr.to_string(), b"from b")])

    def test_peer_without_permission_cannot_reach_the_allocation(self):
        self.assertTrue(self.a.create_permission_sync(LOOPBACK, None))
        stranger = Gio.Socket.new(Gio.SocketFamily.IPV4, Gio.SocketType.DATAGRAM,
                                  Gio.SocketProtocol.UDP)
        stranger.bind(Gio.InetSocketAddress.new_from_string("127.0.0.2", 0), False)
        try:
            stranger.send_to(self.a_addr, b"let me in", None)
            with self.assertRaises(GLib.Error) as ctx:
                self.a.receive_sync(None, 1000, None)
            self.assertTrue(ctx.exception.matches(Gio.io_error_quark(),
                                                  Gio.IOErrorEnum.TIMED_OUT),
                            str(ctx.exception))
            # with a permission for its address, the same socket gets through
            self.assertTrue(self.a.create_permission_sync(
                Gio.InetAddress.new_from_string("127.0.0.2"), None))
            stranger.send_to(self.a_addr, b"now with permission", None)
            data, frm = self.a.receive_sync(None, 2000, None)
            self.assertEqual(payload(data), b"now with permission")
            self.assertEqual(frm.get_address().to_string(), "127.0.0.2")
        finally:
            stranger.close()

    def test_send_without_permission_is_an_error(self):
        self.assertTurnError(Burrow.TurnError.NO_PERMISSION, self.a.send, self.b_addr,
                             GLib.Bytes.new(b"nope"))


class LifetimeTest(TurnTestCase):
    """Refresh, release and expiry."""

    @classmethod
    def setUpClass(cls):
        cls.server = Coturn(turn=True)
        cls.short = Coturn(turn=True, max_allocate_lifetime=3)
        cls.stale = Coturn(turn=True, stale_nonce=2)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.short.stop()
        cls.stale.stop()

    def test_refresh_sync_emits_refreshed(self):
        allocation = allocate(self.server.port)
        lifetimes = []
        allocation.connect("refreshed", lambda alloc, lifetime: lifetimes.append(lifetime))
        self.assertTrue(allocation.refresh_sync(None))
        self.assertEqual(lifetimes, [allocation.props.lifetime])
        self.assertGreater(lifetimes[0], 0)
        allocation.release_sync(None)

    def test_release_sync_ends_the_allocation(self):
        allocation = allocate(self.server.port)
        self.assertTrue(allocation.release_sync(None))
        self.assertEqual(allocation.props.state, Burrow.RelayState.RELEASED)
        self.assertTurnError(Burrow.TurnError.NO_ALLOCATION, allocation.refresh_sync, None)
        self.assertTurnError(Burrow.TurnError.NO_ALLOCATION, allocation.create_permission_sync,
                             LOOPBACK, None)

    def test_auto_refresh_keeps_a_short_allocation(self):
        # coturn caps the lifetime at 3 s only when asked for at least its
        # default (600 s); a smaller or no LIFETIME is raised to 600 s.
        allocation = allocate(self.short.port, Burrow.AllocateOptions(lifetime=600))
        self.assertEqual(allocation.props.lifetime, 3)
        refreshed, failures = [], []
        allocation.connect("refreshed", lambda alloc, lifetime: refreshed.append(lifetime))
        allocation.connect("expired", lambda alloc: failures.append("expired"))
        allocation.connect("error", lambda alloc, error: failures.append(error.message))
        run_loop(8.5, lambda: failures)
        self.assertEqual(failures, [])
        self.assertEqual(allocation.props.state, Burrow.RelayState.ALLOCATED)
        self.assertGreaterEqual(len(refreshed), 2, refreshed)
        # the server still has it
        self.assertTrue(allocation.refresh_sync(None))
        allocation.release_sync(None)

    def test_without_auto_refresh_it_expires(self):
        allocation = allocate(self.short.port, Burrow.AllocateOptions(lifetime=600))
        allocation.props.auto_refresh = False
        expired, refreshed = [], []
        allocation.connect("expired", lambda alloc: expired.append(alloc.props.state))
        allocation.connect("refreshed", lambda alloc, lifetime: refreshed.append(lifetime))
        self.assertTrue(run_loop(6, lambda: expired), "not expired within 6 s")
        self.assertEqual(expired, [Burrow.RelayState.EXPIRED])
        self.assertEqual(allocation.props.state, Burrow.RelayState.EXPIRED)
        self.assertEqual(refreshed, [])
        self.assertTurnError(Burrow.TurnError.NO_ALLOCATION, allocation.send,
                             allocation.props.relayed_address, GLib.Bytes.new(b"x"))

    def test_stale_nonce_is_retried_unnoticed(self):
        tap = UdpTap(self.stale.port)
        try:
            allocation = allocate(tap.port)
            time.sleep(3)
            tap.clear()
            self.assertTrue(allocation.create_permission_sync(LOOPBACK, None))
            codes = [k[2] for k in tap.kinds("down") if k[0] == "stun"]
            self.assertIn(438, codes)
            self.assertEqual(codes[-1], None)
            allocation.release_sync(None)
        finally:
            tap.close()


class TlsTest(TurnTestCase):
    """TURN over TLS to a coturn with a self-signed certificate."""

    @classmethod
    def setUpClass(cls):
        cls.server = Coturn(turn=True, tls=True)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def test_allocate_over_tls_trusting_the_ca_file(self):
        client = new_client(self.server.tls_port, transport=Burrow.Transport.TLS)
        client.props.tls_ca_file = self.server.cert_file
        allocation = client.allocate_sync(None, None)
        self.assertAllocated(allocation, self.server)
        allocation.release_sync(None)

    def test_data_over_tls_both_ways(self):
        client = new_client(self.server.tls_port, transport=Burrow.Transport.TLS)
        client.props.tls_ca_file = self.server.cert_file
        a = client.allocate_sync(None, None)
        b = allocate(self.server.port)
        self.assertRelaysBothWays(a, b)
        a.release_sync(None)
        b.release_sync(None)

    def test_tls_without_ca_file_is_a_tls_error(self):
        client = new_client(self.server.tls_port, transport=Burrow.Transport.TLS)
        self.assertTurnError(Burrow.TurnError.TLS, client.allocate_sync, None, None)


if __name__ == "__main__":
    sys.exit(taptest.main())
