#!/usr/bin/python3
"""ICE lite (RFC 8445 section 2.5): a Burrow.Agent with full-mode False
gathers host candidates only, never checks, is always controlled, says
"a=ice-lite" in its SDP, and selects the pair its full peer nominates.
Its full peers: libnice's NiceAgent, and a Burrow.Agent that reads the
"a=ice-lite" line and takes the controlling role."""
import sys
import unittest

import gi
gi.require_version("Burrow", "1.0")
from gi.repository import Burrow  # noqa: E402

import taptest  # noqa: E402
from coturn import Coturn  # noqa: E402
from test_ice_interop import (BurrowPeer, Nice, NicePeer, payloads, run_until,  # noqa: E402
                              COUNT, LOOPBACK, TURN_PASSWORD, TURN_USER)


def count_checks_received(peer):
    """The full peer's checks-from-the-lite-side counter: a lite agent sends
    none, so initial-binding-request-received never fires."""
    seen = []
    peer.agent.connect("initial-binding-request-received", lambda *args: seen.append(1))
    return seen


def lite_peer():
    peer = BurrowPeer(True)               # asked to control: lite overrides it
    peer.agent.props.full_mode = False
    return peer


class LiteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.turn = Coturn(turn=True)

    @classmethod
    def tearDownClass(cls):
        cls.turn.stop()

    def gather(self, *peers):
        for peer in peers:
            self.addCleanup(peer.close)
            self.assertTrue(peer.gather())
        self.assertTrue(run_until(lambda: all(p.gathered for p in peers), 10))

    def assertDataBothWays(self, full, lite, decode=lambda d: d):
        to_lite, to_full = payloads(b"to-lite"), payloads(b"to-full")
        for data in to_lite:
            self.assertGreater(full.send(data), 0)
        for data in to_full:
            self.assertEqual(lite.send(data), len(data))
        self.assertTrue(run_until(lambda: len(lite.received) >= COUNT
                                  and len(full.received) >= COUNT, 5))
        self.assertEqual(sorted(decode(d) for d in lite.received), sorted(to_lite))
        self.assertEqual(sorted(full.received), sorted(to_full))

    def test_host_candidates_only(self):
        lite = lite_peer()
        lite.agent.props.stun_server = LOOPBACK
        lite.agent.props.stun_server_port = self.turn.port
        lite.agent.set_relay_info(lite.stream, 1, LOOPBACK, self.turn.port, TURN_USER,
                                  TURN_PASSWORD, Burrow.RelayType.UDP)
        self.gather(lite)
        types = {c.props.type for c in lite.agent.get_local_candidates(lite.stream, 1)}
        self.assertEqual(types, {Burrow.CandidateType.HOST})
        self.assertFalse(lite.agent.props.controlling_mode)
        sdp = lite.agent.generate_local_sdp()
        self.assertTrue(sdp.startswith("a=ice-lite\n"), sdp)

    def test_burrow_full_reads_ice_lite_and_controls(self):
        full, lite = BurrowPeer(False), lite_peer()
        checks = count_checks_received(full)
        self.gather(full, lite)
        # the full agent was told to be controlled; the SDP says otherwise
        self.assertEqual(full.agent.parse_remote_sdp(lite.agent.generate_local_sdp()), 1)
        self.assertTrue(full.agent.props.controlling_mode)
        self.assertEqual(lite.agent.parse_remote_sdp(full.agent.generate_local_sdp()), 1)
        self.assertTrue(run_until(lambda: full.ready() and lite.ready(), 10),
                        f"states: full {full.states}, lite {lite.states}")
        self.assertFalse(lite.agent.props.controlling_mode)
        self.assertEqual(full.selected_types(), lite.selected_types())
        self.assertDataBothWays(full, lite)
        self.assertEqual(checks, [])

    def test_burrow_full_regular_nomination(self):
        full, lite = BurrowPeer(True), lite_peer()
        full.agent.props.nomination_mode = Burrow.NominationMode.REGULAR
        self.gather(full, lite)
        self.assertEqual(lite.set_remote(full.description()), 1)
        self.assertEqual(full.set_remote(lite.description()), 1)
        self.assertTrue(run_until(lambda: full.ready() and lite.ready(), 10),
                        f"states: full {full.states}, lite {lite.states}")
        self.assertDataBothWays(full, lite)

    @unittest.skipIf(Nice is None, "libnice's GI typelib (Nice-0.1) is not installed")
    def test_libnice_full_to_burrow_lite(self):
        nice, lite = NicePeer(True), lite_peer()
        checks = count_checks_received(nice)
        self.gather(nice, lite)
        self.assertEqual(lite.set_remote(nice.description()), 1)
        self.assertEqual(nice.set_remote(lite.description()), 1)
        self.assertTrue(run_until(lambda: nice.ready() and lite.ready(), 20),
                        f"states: libnice {nice.states}, lite {lite.states}")
        self.assertTrue(run_until(lambda: nice.selected is not None, 2))
        self.assertDataBothWays(nice, lite, decode=nice.decode)
        self.assertEqual(checks, [])


if __name__ == "__main__":
    sys.exit(taptest.main())
