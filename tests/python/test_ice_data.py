#!/usr/bin/python3
"""Data through Burrow.Agent from Python: many datagrams in one call
(send_datagrams, with its batched and segmented sends), and send and recv
from worker threads while the main thread runs the agent's context."""
import sys
import threading
import time
import unittest

import gi
gi.require_version("Burrow", "1.0")
from gi.repository import Burrow, Gio, GLib  # noqa: E402

import taptest  # noqa: E402
from test_ice_iostream import connected_pair, iterate_until  # noqa: E402

# runs of one size (sent as one segmented buffer), a shorter one ending a
# run, a longer one starting the next
SIZES = [1200] * 40 + [700] + [1200] * 10 + [1300] * 5 + [60, 8] + [500] * 30


def payload(seq, size):
    head = b"%08d" % seq
    return head + bytes((seq * 7 + i) & 0xff for i in range(size - len(head)))


class Receiver:
    def __init__(self, agent, stream):
        self.got = []
        agent.attach_recv(stream, 1, None, self.on_data)

    def on_data(self, agent, stream_id, component_id, length, data):
        self.got.append(bytes(data))


class DataTest(unittest.TestCase):
    def test_send_datagrams_in_order(self):
        (a, sa), (b, sb) = connected_pair()
        receiver = Receiver(b, sb)
        want = [payload(i, size) for i, size in enumerate(SIZES * 4)]
        pending = [GLib.Bytes.new(d) for d in want]
        calls = 0
        while pending and calls < 1000:
            calls += 1
            # 48 at a time (some 50 KB): within B's socket buffer, which the
            # main thread drains only between calls
            sent = a.send_datagrams(sa, 1, pending[:48])
            self.assertGreater(sent, 0)
            pending = pending[sent:]
            self.assertTrue(iterate_until(
                lambda: len(receiver.got) >= len(want) - len(pending), 2))
        self.assertEqual(pending, [])
        self.assertTrue(iterate_until(lambda: len(receiver.got) >= len(want), 5),
                        f"{len(receiver.got)} of {len(want)} arrived")
        self.assertEqual(len(receiver.got), len(want))
        self.assertEqual(receiver.got, want)

    def test_send_datagrams_without_pair(self):
        agent = Burrow.Agent.new(None, Burrow.Compatibility.RFC5245)
        stream = agent.add_stream(1)
        with self.assertRaises(GLib.Error) as caught:
            agent.send_datagrams(stream, 1, [GLib.Bytes.new(b"nowhere")])
        self.assertTrue(caught.exception.matches(Gio.io_error_quark(),
                                                 Gio.IOErrorEnum.BROKEN_PIPE))
        self.assertEqual(agent.send_datagrams(stream, 1, []), 0)

    def test_send_from_thread(self):
        (a, sa), (b, sb) = connected_pair()
        receiver = Receiver(b, sb)
        want = [payload(i, 300) for i in range(500)]
        results = []

        def sender():
            for i, data in enumerate(want):
                # at most 32 in flight: B's socket buffer is drained only
                # when the main thread gets the interpreter (bounded wait)
                for _ in range(2000):
                    if len(receiver.got) >= i - 32:
                        break
                    time.sleep(0.001)
                results.append(a.send(sa, 1, data))

        thread = threading.Thread(target=sender)
        thread.start()
        # the main thread runs both agents' context meanwhile
        iterate_until(lambda: not thread.is_alive() and len(receiver.got) >= len(want), 10)
        thread.join(5)
        self.assertFalse(thread.is_alive())
        self.assertEqual(results, [300] * len(want))
        self.assertEqual(receiver.got, want)

    def test_recv_in_thread(self):
        (a, sa), (b, sb) = connected_pair()
        got, errors = [], []
        cancellable = Gio.Cancellable()

        def reader():
            try:
                while len(got) < 20:
                    got.append(b.recv(sb, 1, cancellable).get_data())
            except GLib.Error as error:
                errors.append(error)

        thread = threading.Thread(target=reader)
        thread.start()
        want = [payload(i, 100) for i in range(20)]
        for data in want:
            self.assertEqual(a.send(sa, 1, data), len(data))
        iterate_until(lambda: len(got) >= len(want) or errors, 10)
        cancellable.cancel()
        thread.join(5)
        self.assertFalse(thread.is_alive())
        self.assertEqual(errors, [])
        self.assertEqual(got, want)


if __name__ == "__main__":
    sys.exit(taptest.main())
