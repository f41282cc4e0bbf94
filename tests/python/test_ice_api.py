#!/usr/bin/python3
"""The same Python code drives Nice.Agent and Burrow.Agent through PyGObject,
with only the namespace changed.

exercise(ns), given the Nice or the Burrow module, creates agents, sets
properties, adds streams, gathers, reads credentials and candidates, writes
and reads SDP, connects signals by name and brings two agents of the
namespace to READY; it returns what it observed. The tests run it for Nice and for Burrow and compare.

Where a call must differ, the difference is isolated in an adapter
(NiceAdapter, BurrowAdapter) and listed in KNOWN_DIFFERENCES, which the
tests check too: a difference that disappears fails the test, so the list
(and the porting guide it feeds) stays true.
"""
import sys
import unittest
import warnings

import gi
gi.require_version("Burrow", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import Burrow, Gio, GLib, GObject  # noqa: E402

from coturn import Coturn, free_port_range  # noqa: E402
import taptest  # noqa: E402

try:
    gi.require_version("Nice", "0.1")
    from gi.repository import Nice  # noqa: E402
    from test_ice_interop import NiceReceiver  # noqa: E402
except (ValueError, ImportError):
    Nice = None

from test_ice_interop import run_until  # noqa: E402

LOOPBACK = "127.0.0.1"
READY = 4
SIGNALS = ["candidate-gathering-done", "component-state-changed", "new-candidate-full",
           "new-selected-pair-full", "initial-binding-request-received",
           "new-remote-candidate-full", "streams-removed"]

# Set on a fresh agent, then read back.
PROPERTIES = {
    "controlling-mode": True,
    "stun-server": "192.0.2.1",
    "stun-server-port": 3479,
    "ice-trickle": True,
    "max-connectivity-checks": 50,
    "stun-pacing-timer": 25,
    "stun-max-retransmissions": 5,
    "stun-initial-timeout": 300,
    "keepalive-conncheck": True,
    "force-relay": True,
    "consent-freshness": True,
    "full-mode": False,
}


class BurrowAdapter:
    """Where Burrow's binding differs from libnice's (see KNOWN_DIFFERENCES)."""

    @staticmethod
    def address(ip):
        return Gio.InetAddress.new_from_string(ip)

    @staticmethod
    def candidate_fields(cand):
        # A GObject with properties.
        return (int(cand.props.type), int(cand.props.transport), cand.get_port())

    @staticmethod
    def stream_ids(ids):
        # streams-removed carries an "au" GVariant.
        return list(ids.unpack())

    @staticmethod
    def attach_recv(agent, stream, component, sink):
        agent.attach_recv(stream, component, None,
                          lambda a, s, c, length, data: sink(bytes(data)))

    @staticmethod
    def detach_recv(agent, handle):
        pass

    @staticmethod
    def send(agent, stream, component, data):
        return agent.send(stream, component, data)

    @staticmethod
    def selected_pair(agent, stream, component, seen):
        ok, local, remote = agent.get_selected_pair(stream, component)
        return (local, remote) if ok else None

    @staticmethod
    def parse_remote_stream_sdp(agent, stream, sdp):
        return agent.parse_remote_stream_sdp(stream, sdp)


class NiceAdapter:

    @staticmethod
    def address(ip):
        address = Nice.Address.new()
        address.set_from_string(ip)
        return address

    @staticmethod
    def candidate_fields(cand):
        # A boxed struct; in libnice 0.1.21's typelib only the fields up to
        # base_addr are at the right offsets (priority, foundation, … read
        # garbage, password crashes): the rest only through SDP.
        return (int(cand.type), int(cand.transport), cand.addr.get_port())

    @staticmethod
    def stream_ids(ids):
        return list(ids)

    @staticmethod
    def attach_recv(agent, stream, component, sink):
        # Not introspectable: through ctypes.
        return NiceReceiver(agent, stream, component, sink)

    @staticmethod
    def detach_recv(agent, handle):
        handle.detach()

    @staticmethod
    def send(agent, stream, component, data):
        # buf is utf8 in the typelib: text only, len in UTF-8 bytes.
        text = data.decode()
        return agent.send(stream, component, len(data), text)

    @staticmethod
    def selected_pair(agent, stream, component, seen):
        # get_selected_pair() has no out annotations: from the signal.
        return seen.get((stream, component))

    @staticmethod
    def parse_remote_stream_sdp(agent, stream, sdp):
        # Unusable from Python: ufrag and pwd (gchar **) are plain utf8 in
        # parameters in the typelib that refuse None, and libnice would
        # write a pointer into the string given. Not called.
        return None, None, None


ADAPTERS = {"Nice": NiceAdapter, "Burrow": BurrowAdapter}

# Observation keys where libnice and Burrow differ, with each side's value.
KNOWN_DIFFERENCES = {
    # Not implemented in Burrow; documented.
    "default:ice-tcp": (True, False),
    "default:upnp": (True, False),
    # full-mode and consent-freshness are construct-only in libnice
    # (nice_agent_new_full() flags or GObject construction); Burrow lets
    # them change at any time.
    "set-after-construction:full-mode": ("refused", "ok"),
    "set-after-construction:consent-freshness": ("refused", "ok"),
    "read-back:full-mode": (False, True),
    "read-back:consent-freshness": (False, True),
    # libnice's parse_remote_stream_sdp() cannot be called through GI
    # (see NiceAdapter); Burrow's returns (candidates, ufrag, pwd).
    "parse_remote_stream_sdp:candidates": (0, 1),
    "parse_remote_stream_sdp:credentials": (False, True),
}


# What only one binding has: (only in Nice, only in Burrow).
SURFACE_DIFFERENCES = {
    "methods": (
        ["consent_lost", "get_default_local_candidate",
         "get_selected_socket", "get_sockets", "new_full", "new_reliable",
         "recv_messages_nonblocking", "recv_nonblocking", "set_selected_remote_candidate",
         "set_software", "set_stream_tos"],
        # libnice has attach_recv too, but not introspectable (not in the
        # typelib); its close_async() callback has no close_finish();
        # send_datagrams is Burrow's batched send for bindings.
        ["attach_recv", "close_finish", "send_datagrams"]),
    "properties": (
        ["bytestream-tcp", "idle-timeout", "proxy-extra-headers", "proxy-ip",
         "proxy-password", "proxy-port", "proxy-type", "proxy-username", "reliable",
         "stun-reliable-timeout", "support-renomination", "upnp-timeout"],
        ["rejected-packets", "tls-ca-file"]),
    "signals": (
        ["new-candidate", "new-remote-candidate", "new-selected-pair",
         "reliable-transport-writable"],
        []),
}


def sdp_shape(sdp):
    """The kinds of lines of an SDP text, in order, without values."""
    shape = []
    for line in sdp.strip().splitlines():
        key = line.split(":", 1)[0] if line.startswith("a=") else line[:2]
        if key == "m=":
            key = "m=" + line.split()[0][2:] + " " + " ".join(line.split()[2:])
        if not shape or shape[-1] != key:
            shape.append(key)
    return shape


def candidate_kind(line):
    """(component, transport, type) of an a=candidate line."""
    fields = line.split(":", 1)[1].split()
    return (int(fields[1]), fields[2].upper(), fields[7])


def exercise(ns, stun_port, port_range):
    """Runs the same calls against @ns (the Nice or the Burrow module), the
    differences going through its adapter; returns a dict of observations
    that should match between the two."""
    adapter = ADAPTERS[ns.__name__.rsplit(".", 1)[-1]]
    ctx = GLib.MainContext.default()
    obs = {}

    # Properties on a fresh agent: defaults, then set and read back.
    agent = ns.Agent.new(ctx, ns.Compatibility.RFC5245)
    for name in sorted(set(PROPERTIES) | {"ice-tcp", "ice-udp", "upnp", "nomination-mode"}):
        value = agent.get_property(name)
        obs["default:" + name] = int(value) if isinstance(value, int) else value
    for name, value in PROPERTIES.items():
        # GObject refuses a construct-only property with a warning.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            agent.set_property(name, value)
        obs["set-after-construction:" + name] = "refused" if caught else "ok"
        obs["read-back:" + name] = agent.get_property(name) == value
    # Construct-only ones, set the way both accept: at construction.
    built = ns.Agent(compatibility=int(ns.Compatibility.RFC5245), full_mode=False,
                     consent_freshness=True)
    obs["construct:full-mode"] = built.props.full_mode
    obs["construct:consent-freshness"] = built.props.consent_freshness

    # Two agents: L controlling, R controlled.
    agents, streams, seen = {}, {}, {}
    fired = {"L": [], "R": []}
    states = {"L": [], "R": []}
    received = {"L": [], "R": []}
    removed = {}
    for role in ("L", "R"):
        a = ns.Agent.new(ctx, ns.Compatibility.RFC5245)
        a.set_property("controlling-mode", role == "L")
        a.set_property("stun-server", LOOPBACK)
        a.set_property("stun-server-port", stun_port)
        a.set_property("keepalive-conncheck", True)
        a.set_property("max-connectivity-checks", 50)
        a.set_property("stun-pacing-timer", 20)
        a.set_property("stun-max-retransmissions", 5)
        a.set_property("stun-initial-timeout", 200)
        for name in ("upnp", "ice-tcp"):
            a.set_property(name, False)  # both have them; defaults differ
        s = a.add_stream(1)
        obs[f"{role}:add_stream"] = s
        obs[f"{role}:set_stream_name"] = a.set_stream_name(s, "audio")
        obs[f"{role}:get_stream_name"] = a.get_stream_name(s)
        a.set_port_range(s, 1, port_range[0], port_range[1])
        obs[f"{role}:add_local_address"] = a.add_local_address(adapter.address(LOOPBACK))
        agents[role], streams[role] = a, s

        def on_signal(agent, *args, role=role, name=None):
            fired[role].append(name)
            if name == "component-state-changed":
                states[role].append(int(args[2]))
            elif name == "new-selected-pair-full":
                seen.setdefault(role, {})[(args[0], args[1])] = (args[2], args[3])
            elif name == "streams-removed":
                removed[role] = adapter.stream_ids(args[0])
            elif name == "new-candidate-full":
                fields = adapter.candidate_fields(args[0])
                obs.setdefault(f"{role}:new-candidate-full", set()).add(fields[:2])
        for name in SIGNALS:
            a.connect(name, lambda agent, *args, role=role, name=name:
                      on_signal(agent, *args, role=role, name=name))
        receiver = adapter.attach_recv(a, s, 1, received[role].append)
        a._receiver = receiver

    L, R = agents["L"], agents["R"]
    sl, sr = streams["L"], streams["R"]
    obs["gather"] = (L.gather_candidates(sl), R.gather_candidates(sr))
    obs["gathering-done"] = run_until(
        lambda: "candidate-gathering-done" in fired["L"]
        and "candidate-gathering-done" in fired["R"], 10)

    # Credentials and candidates.
    ok, ufrag, pwd = L.get_local_credentials(sl)
    obs["get_local_credentials"] = (ok, len(ufrag) >= 4, len(pwd) >= 22)
    cands = L.get_local_candidates(sl, 1)
    lines = [L.generate_local_candidate_sdp(c) for c in cands]
    obs["local-candidates"] = sorted(candidate_kind(line) for line in lines)
    fields = [adapter.candidate_fields(c) for c in cands]
    obs["candidate-fields"] = sorted(f[:2] for f in fields)
    obs["candidate-ports-in-range"] = all(port_range[0] <= f[2] <= port_range[1]
                                          for f in fields)
    parsed = [R.parse_remote_candidate_sdp(sr, line) for line in lines]
    obs["parse_remote_candidate_sdp:round-trip"] = [
        R.generate_local_candidate_sdp(p) for p in parsed] == lines
    obs["parse_remote_candidate_sdp:garbage"] = R.parse_remote_candidate_sdp(
        sr, "a=candidate:1 1 UDP 1 not-an-ip 5000 typ host")

    # SDP.
    sdp = L.generate_local_sdp()
    obs["generate_local_sdp:shape"] = sdp_shape(sdp)
    stream_sdp = L.generate_local_stream_sdp(sl, False)
    obs["generate_local_stream_sdp:shape"] = sdp_shape(stream_sdp)
    obs["generate_local_stream_sdp:in-sdp"] = all(
        line in sdp.splitlines() for line in stream_sdp.strip().splitlines()
        if line.startswith("a="))
    obs["generate_local_stream_sdp:include_non_ice"] = sdp_shape(
        L.generate_local_stream_sdp(sl, True))
    cands_back, ufrag_back, pwd_back = adapter.parse_remote_stream_sdp(R, sr, stream_sdp)
    obs["parse_remote_stream_sdp:candidates"] = len(cands_back or [])
    obs["parse_remote_stream_sdp:credentials"] = (ufrag_back, pwd_back) == (ufrag, pwd)
    # R learns L through L's SDP; L learns only R's credentials, so L meets
    # R as a peer-reflexive candidate (new-remote-candidate-full).
    obs["parse_remote_sdp"] = R.parse_remote_sdp(sdp)
    obs["get_remote_candidates"] = len(R.get_remote_candidates(sr, 1))
    ok, rufrag, rpwd = R.get_local_credentials(sr)
    obs["set_remote_credentials"] = L.set_remote_credentials(sl, rufrag, rpwd)

    obs["ready"] = run_until(lambda: READY in states["L"] and READY in states["R"], 15)
    obs["get_component_state"] = (int(L.get_component_state(sl, 1)),
                                  int(R.get_component_state(sr, 1)))
    pair = adapter.selected_pair(L, sl, 1, seen.get("L", {}))
    obs["selected-pair"] = pair is not None and tuple(
        adapter.candidate_fields(c)[:2] for c in pair)
    obs["remote-is-prflx"] = [int(c[0]) for c in
                              (adapter.candidate_fields(x)
                               for x in L.get_remote_candidates(sl, 1))]

    # Data both ways.
    for i in range(5):
        adapter.send(L, sl, 1, b"L-to-R %d" % i)
        adapter.send(R, sr, 1, b"R-to-L %d" % i)
    run_until(lambda: len(received["L"]) >= 5 and len(received["R"]) >= 5, 5)
    obs["data"] = (sorted(received["L"]), sorted(received["R"]))

    # Streams removed.
    for role in ("L", "R"):
        adapter.detach_recv(agents[role], agents[role]._receiver)
        agents[role].remove_stream(streams[role])
    obs["streams-removed"] = run_until(lambda: len(removed) == 2, 2) and removed
    for role in ("L", "R"):
        done = []
        agents[role].close_async(lambda *args: done.append(True))
        run_until(lambda: done, 5)

    obs["signals:L"] = sorted(set(fired["L"]))
    obs["signals:R"] = sorted(set(fired["R"]))
    obs["states"] = states
    return obs


@unittest.skipIf(Nice is None, "libnice's GI typelib (Nice-0.1) is not installed")
class ApiParityTest(unittest.TestCase):
    """exercise() run once per namespace; the tests compare the results."""

    results = {}

    @classmethod
    def setUpClass(cls):
        cls.stun = Coturn()
        try:
            first = free_port_range(40)
            port_range = (first, first + 39)
            cls.results = {"Nice": exercise(Nice, cls.stun.port, port_range),
                           "Burrow": exercise(Burrow, cls.stun.port, port_range)}
        finally:
            cls.stun.stop()

    def observations(self):
        return self.results["Nice"], self.results["Burrow"]

    def test_same_observations(self):
        nice, burrow = self.observations()
        self.assertEqual(sorted(nice), sorted(burrow))
        for key in nice:
            if key in KNOWN_DIFFERENCES or key == "states":
                continue
            with self.subTest(key=key):
                self.assertEqual(nice[key], burrow[key])

    def test_known_differences_still_hold(self):
        nice, burrow = self.observations()
        for key, (nice_value, burrow_value) in KNOWN_DIFFERENCES.items():
            with self.subTest(key=key):
                self.assertEqual((nice[key], burrow[key]), (nice_value, burrow_value))

    def test_both_connect_and_exchange_data(self):
        for name, obs in self.results.items():
            with self.subTest(ns=name):
                self.assertTrue(obs["ready"], obs["states"])
                self.assertEqual(obs["get_component_state"], (READY, READY))
                self.assertEqual(obs["data"][0], [b"R-to-L %d" % i for i in range(5)])
                self.assertEqual(obs["data"][1], [b"L-to-R %d" % i for i in range(5)])

    def test_every_signal_fires(self):
        for name, obs in self.results.items():
            with self.subTest(ns=name):
                self.assertEqual(obs["signals:L"], sorted(SIGNALS))
                self.assertEqual(obs["signals:R"],
                                 sorted(set(SIGNALS) - {"new-remote-candidate-full"}))

    def test_api_surface(self):
        """Methods, properties and signals only one binding has."""
        def surface(ns):
            # The typelib leaves out what is not introspectable.
            methods = {m.get_name() for m in ns.Agent.__info__.get_methods()}
            props = {p.name for p in ns.Agent.list_properties()}
            signals = {GObject.signal_query(i).signal_name
                       for i in GObject.signal_list_ids(ns.Agent)}
            return methods, props, signals

        nice, burrow = surface(Nice), surface(Burrow)
        for what, n, b in zip(("methods", "properties", "signals"), nice, burrow):
            with self.subTest(what=what):
                self.assertEqual((sorted(n - b), sorted(b - n)), SURFACE_DIFFERENCES[what])

    def test_state_sequence_matches_libnice(self):
        """Both pass through CONNECTED on the way to READY."""
        nice, burrow = self.observations()
        self.assertEqual(nice["states"], burrow["states"])


if __name__ == "__main__":
    sys.exit(taptest.main())
