#!/usr/bin/python3
"""Burrow.Agent.get_io_stream(): a connected component as a Gio.IOStream.
Each write sends one datagram and each read returns one, as libnice's
streams for agents that are not reliable."""
import sys
import threading
import unittest

import gi
gi.require_version("Burrow", "1.0")
from gi.repository import Burrow, Gio, GLib  # noqa: E402

import taptest  # noqa: E402

LOOPBACK = Gio.InetAddress.new_from_string("127.0.0.1")


def iterate_until(predicate, timeout):
    ctx = GLib.MainContext.default()
    deadline = GLib.get_monotonic_time() + int(timeout * 1e6)
    while not predicate() and GLib.get_monotonic_time() < deadline:
        ctx.iteration(False)
    return predicate()


def connected_pair():
    agents, states = [], {}
    for controlling in (True, False):
        agent = Burrow.Agent.new(None, Burrow.Compatibility.RFC5245)
        agent.props.controlling_mode = controlling
        agent.add_local_address(LOOPBACK)
        stream = agent.add_stream(1)
        agent.connect("component-state-changed",
                      lambda a, s, c, st: states.__setitem__(a, st))
        agent.gather_candidates(stream)
        agents.append((agent, stream))
    assert iterate_until(lambda: all(a.get_local_candidates(s, 1) for a, s in agents), 5)
    (a, sa), (b, sb) = agents
    a.set_remote_credentials(sa, *b.get_local_credentials(sb)[1:])
    b.set_remote_credentials(sb, *a.get_local_credentials(sa)[1:])
    a.set_remote_candidates(sa, 1, b.get_local_candidates(sb, 1))
    b.set_remote_candidates(sb, 1, a.get_local_candidates(sa, 1))
    ready = Burrow.ComponentState.READY
    assert iterate_until(lambda: states.get(a) == ready and states.get(b) == ready, 10)
    return (a, sa), (b, sb)


class IOStreamTest(unittest.TestCase):
    def test_datagrams_through_streams(self):
        (a, sa), (b, sb) = connected_pair()
        # a GIOStream closes its streams when it goes: keep both
        io_a, io_b = a.get_io_stream(sa, 1), b.get_io_stream(sb, 1)
        out, inp = io_a.get_output_stream(), io_b.get_input_stream()
        for i in range(20):
            payload = b"datagram %d " % i + bytes(range(i))
            self.assertEqual(out.write_bytes(GLib.Bytes.new(payload), None), len(payload))
            # the reader runs the agent's context itself while it waits
            got = inp.read_bytes(2048, None).get_data()
            self.assertEqual(got, payload)

    def test_read_cancelled(self):
        (a, sa), (b, sb) = connected_pair()
        io_b = b.get_io_stream(sb, 1)
        inp = io_b.get_input_stream()
        cancellable = Gio.Cancellable()
        GLib.timeout_add(200, lambda: cancellable.cancel() and False)
        with self.assertRaises(GLib.Error) as caught:
            inp.read_bytes(2048, cancellable)
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(), Gio.IOErrorEnum.CANCELLED))

    def test_no_such_component(self):
        agent = Burrow.Agent.new(None, Burrow.Compatibility.RFC5245)
        stream = agent.add_stream(1)
        self.assertIsNone(agent.get_io_stream(stream, 2))
        self.assertIsNotNone(agent.get_io_stream(stream, 1))


if __name__ == "__main__":
    sys.exit(taptest.main())
