#!/usr/bin/python3
"""BurrowCandidate from Python through the Burrow-1.0 typelib, and its SDP
lines against libnice's reader and writer (Nice-0.1 typelib)."""
import sys
import unittest

import gi
gi.require_version("Burrow", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import Burrow, Gio, GLib  # noqa: E402

import taptest  # noqa: E402

try:
    gi.require_version("Nice", "0.1")
    from gi.repository import Nice  # noqa: E402
except (ValueError, ImportError):
    Nice = None

TYPES = [Burrow.CandidateType.HOST, Burrow.CandidateType.SERVER_REFLEXIVE,
         Burrow.CandidateType.PEER_REFLEXIVE, Burrow.CandidateType.RELAYED]
TRANSPORTS = [Burrow.CandidateTransport.UDP, Burrow.CandidateTransport.TCP_ACTIVE,
              Burrow.CandidateTransport.TCP_PASSIVE, Burrow.CandidateTransport.TCP_SO]

# Lines as Chrome, Firefox and libnice write them, with "a=" since libnice
# only reads whole attribute lines.
REAL_LINES = [
    "a=candidate:1467250027 1 udp 2122260223 192.168.0.196 46243 typ host generation 0 "
    "ufrag EsAw network-id 1",
    "a=candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr 192.168.0.196 "
    "rport 46243 generation 0 ufrag EsAw network-id 1 network-cost 10",
    "a=candidate:3885250869 1 udp 2122262783 2001:db8:85a3::8a2e:370:7334 58481 typ host "
    "generation 0 ufrag EsAw network-id 2",
    "a=candidate:435653019 1 tcp 1518280447 192.168.0.196 9 typ host tcptype active "
    "generation 0 network-id 1 network-cost 10",
    "a=candidate:1853887674 2 udp 33562622 198.51.100.20 50000 typ relay raddr 203.0.113.7 "
    "rport 61234 generation 0 ufrag EsAw network-id 1 network-cost 10",
    "a=candidate:0 1 UDP 2122252543 192.168.1.2 49203 typ host",
    "a=candidate:2 1 TCP 2105458943 192.168.1.2 45678 typ host tcptype passive",
    "a=candidate:3 1 UDP 1686052863 203.0.113.7 49203 typ srflx raddr 192.168.1.2 rport 49203",
    "a=candidate:1 1 UDP 2013266431 192.168.1.2 40000 typ host",
    "a=candidate:3 1 TCP 1015023359 192.168.1.2 9 typ host tcptype active",
    "a=candidate:5 1 TCP 1006632703 2001:db8::5 40001 typ prflx raddr 2001:db8::6 rport 40001 "
    "tcptype so",
]


def socket_address(ip, port):
    return Gio.InetSocketAddress.new_from_string(ip, port)


def address_text(address):
    if address is None:
        return None
    return f"{address.get_address().to_string()} {address.get_port()}"


def make(ctype, transport, ip, port, related=None, component=1):
    cand = Burrow.Candidate(type=ctype, transport=transport,
                            address=socket_address(ip, port), foundation="fo+/1",
                            component_id=component, stream_id=1,
                            related_address=related)
    cand.props.priority = Burrow.Candidate.compute_priority(ctype, transport, 1000, component)
    return cand


class CandidateTest(unittest.TestCase):
    def test_properties_through_gi(self):
        cand = Burrow.Candidate(type=Burrow.CandidateType.SERVER_REFLEXIVE,
                                transport=Burrow.CandidateTransport.TCP_PASSIVE,
                                address=socket_address("203.0.113.7", 61234),
                                base_address=socket_address("192.0.2.1", 5000),
                                foundation="2", priority=1694498815, component_id=2,
                                stream_id=7, username="ufrag", password="secret")
        self.assertEqual(cand.props.type, Burrow.CandidateType.SERVER_REFLEXIVE)
        self.assertEqual(cand.get_candidate_type(), Burrow.CandidateType.SERVER_REFLEXIVE)
        self.assertEqual(cand.props.tcp_type, "passive")
        self.assertEqual(cand.get_ip(), "203.0.113.7")
        self.assertEqual(cand.get_port(), 61234)
        self.assertEqual(cand.props.component_id, 2)
        self.assertEqual(cand.props.stream_id, 7)
        self.assertEqual(cand.props.username, "ufrag")
        self.assertEqual(cand.props.password, "secret")
        self.assertEqual(address_text(cand.props.base_address), "192.0.2.1 5000")
        self.assertIsNone(cand.props.related_address)
        self.assertEqual(cand.to_sdp(), "candidate:2 2 TCP 1694498815 203.0.113.7 61234 "
                         "typ srflx raddr 192.0.2.1 rport 5000 tcptype passive")
        copy = cand.copy()
        self.assertTrue(copy.equal_target(cand))
        self.assertEqual(copy.to_sdp_attribute(), "a=" + cand.to_sdp())

    def test_priority_and_foundation(self):
        self.assertEqual(Burrow.Candidate.compute_priority(
            Burrow.CandidateType.HOST, Burrow.CandidateTransport.UDP, 65535, 1), 2130706431)
        self.assertEqual(Burrow.Candidate.compute_priority(
            Burrow.CandidateType.RELAYED, Burrow.CandidateTransport.UDP, 65535, 1), 16777215)
        base = Gio.InetAddress.new_from_string("192.0.2.1")
        server = Gio.InetAddress.new_from_string("198.51.100.1")
        foundation = Burrow.Candidate.make_foundation(
            Burrow.CandidateType.SERVER_REFLEXIVE, base, server, Burrow.CandidateTransport.UDP)
        self.assertEqual(foundation, "2586167452")
        self.assertTrue(Burrow.Candidate.foundation_is_valid(foundation))
        self.assertEqual(Burrow.CandidateType.to_string(Burrow.CandidateType.RELAYED), "relay")

    def test_round_trip_every_type_transport_family(self):
        for ctype in TYPES:
            for transport in TRANSPORTS:
                for ip, rel in (("192.0.2.1", "10.0.0.1"), ("2001:db8::1", "fd00::2")):
                    port = 9 if transport == Burrow.CandidateTransport.TCP_ACTIVE else 40000
                    related = None if ctype == Burrow.CandidateType.HOST \
                        else socket_address(rel, 50000)
                    cand = make(ctype, transport, ip, port, related)
                    line = cand.to_sdp()
                    with self.subTest(line=line):
                        parsed = Burrow.Candidate.new_from_sdp(line, 1)
                        self.assertEqual(parsed.to_sdp(), line)
                        self.assertEqual(parsed.props.type, ctype)
                        self.assertEqual(parsed.props.transport, transport)
                        self.assertEqual(parsed.props.priority, cand.props.priority)
                        self.assertEqual(address_text(parsed.props.related_address),
                                         address_text(related))

    def test_errors_are_in_the_ice_domain(self):
        domain = Burrow.ice_error_quark()
        cases = [
            ("candidate:1 1 UDP 2130706431 10.0.0.1", Burrow.IceError.INVALID_SDP),
            ("x" * 1025, Burrow.IceError.INVALID_SDP),
            ("candidate:1 0 UDP 2130706431 10.0.0.1 5000 typ host",
             Burrow.IceError.INVALID_CANDIDATE),
            ("candidate:1 1 UDP 2130706431 10.0.0.1 65536 typ host",
             Burrow.IceError.INVALID_CANDIDATE),
            ("candidate:1 1 udp 2113937151 0b7e3a1c-2d4f-4e5a-8b9c-0123456789ab.local 54321 "
             "typ host generation 0", Burrow.IceError.INVALID_CANDIDATE),
        ]
        for line, code in cases:
            with self.subTest(line=line[:60]), self.assertRaises(GLib.Error) as ctx:
                Burrow.Candidate.new_from_sdp(line, 1)
            self.assertTrue(ctx.exception.matches(domain, code), ctx.exception)
            self.assertEqual(ctx.exception.domain, GLib.quark_to_string(domain))
        self.assertIn(".local", ctx.exception.message)


@unittest.skipIf(Nice is None, "libnice's GI typelib (Nice-0.1) is not installed")
class LibniceAgreementTest(unittest.TestCase):
    """Burrow and libnice read the same lines the same way, and each reads
    what the other writes.

    libnice 0.1.21's typelib misplaces the NiceCandidate fields after the
    addresses (priority, foundation read as garbage from Python), so those
    are compared through the line libnice writes back from its candidate,
    by nice_agent_generate_local_candidate_sdp() in C."""

    def setUp(self):
        self.agent = Nice.Agent.new(GLib.MainContext.default(), Nice.Compatibility.RFC5245)
        self.stream = self.agent.add_stream(1)

    def nice_parse(self, line):
        return self.agent.parse_remote_candidate_sdp(self.stream, line)

    def assert_agree(self, line):
        ours = Burrow.Candidate.new_from_sdp(line, self.stream)
        theirs = self.nice_parse(line)
        self.assertIsNotNone(theirs, f"libnice refused {line!r}")
        fields = self.agent.generate_local_candidate_sdp(theirs)[len("a=candidate:"):].split()
        self.assertEqual(ours.props.foundation, fields[0])
        self.assertEqual(ours.props.component_id, int(fields[1]))
        self.assertEqual(ours.props.priority, int(fields[3]))
        self.assertEqual(ours.get_ip(), fields[4])
        self.assertEqual(ours.get_port(), theirs.addr.get_port())
        self.assertEqual(ours.get_port(), int(fields[5]))
        self.assertEqual(int(ours.props.type), int(theirs.type))
        self.assertEqual(Burrow.CandidateType.to_string(ours.props.type), fields[7])
        self.assertEqual(int(ours.props.transport), int(theirs.transport))

    def test_both_read_real_world_lines_alike(self):
        for line in REAL_LINES:
            with self.subTest(line=line):
                self.assert_agree(line)

    def test_libnice_reads_what_burrow_writes(self):
        for ctype in TYPES:
            for transport in TRANSPORTS:
                for ip, rel in (("192.0.2.1", "10.0.0.1"), ("2001:db8::1", "fd00::2")):
                    port = 9 if transport == Burrow.CandidateTransport.TCP_ACTIVE else 40000
                    related = None if ctype == Burrow.CandidateType.HOST \
                        else socket_address(rel, 50000)
                    line = make(ctype, transport, ip, port, related).to_sdp_attribute()
                    with self.subTest(line=line):
                        self.assert_agree(line)
                        theirs = self.nice_parse(line)
                        # libnice writes back the very same line
                        self.assertEqual(self.agent.generate_local_candidate_sdp(theirs), line)

    def test_burrow_reads_what_libnice_writes(self):
        for line in REAL_LINES:
            with self.subTest(line=line):
                written = self.agent.generate_local_candidate_sdp(self.nice_parse(line))
                ours = Burrow.Candidate.new_from_sdp(written, self.stream)
                self.assertEqual(ours.to_sdp_attribute(), written)

    def test_what_libnice_refuses_burrow_refuses(self):
        # Not a TCP line without tcptype: libnice 0.1.21 passes the missing
        # tcptype to g_ascii_strcasecmp(), a critical warning.
        for line in [
            "a=candidate:1 1 SCTP 2130706431 10.0.0.1 5000 typ host",
            "a=candidate:1 1 UDP 2130706431 10.0.0.1 5000 typ bogus",
            "a=candidate:1 1 UDP 2130706431 10.0.0.1 5000",
            "a=candidate:1 1 UDP 2130706431 not-an-ip 5000 typ host",
        ]:
            with self.subTest(line=line):
                self.assertIsNone(self.nice_parse(line))
                with self.assertRaises(GLib.Error):
                    Burrow.Candidate.new_from_sdp(line, self.stream)


if __name__ == "__main__":
    sys.exit(taptest.main())
