#!/usr/bin/python3
"""Burrow.Agent against other ICE agents on 127.0.0.1: libnice's NiceAgent in
the same process (host UDP, host TCP (RFC 6544, ice-udp off on both) and
TURN-relayed candidates, each side controlling in turn) and aioice in a subprocess (tests/python/aioice_peer.py). Each pair
reaches READY and data flows both ways.

What libnice 0.1.21 allows from Python (Nice-0.1 typelib):

* ``nice_agent_attach_recv()`` is not introspectable (its callback has no
  scope). Without it (or a recv call) libnice never reads its sockets, so it
  answers no check. ``recv()``/``recv_nonblocking()`` hide the buffer length
  and crash PyGObject (SIGBUS: a caller-allocated array of unknown size). So
  the receive callback is attached through ctypes (class NiceReceiver).
* ``send()`` takes ``buf`` as utf8 (``Nice.Agent.send(stream, component,
  len, "text")``): bytes are refused, a NUL ends the string, and ``len``
  (UTF-8 bytes) is not checked against it, so a longer ``len`` reads past
  the string. Binary data goes through as hex text here.
* ``get_selected_pair()`` lacks out annotations (it wants candidates passed
  in): the pair is read from ``new-selected-pair-full`` instead.
* The relay type is ``Nice.RelayType.UDP`` (the C name is
  NICE_RELAY_TYPE_TURN_UDP; GI strips the common prefix).
"""
import ctypes
import ctypes.util
import json
import os
import subprocess
import sys
import threading
import unittest

import gi
gi.require_version("Burrow", "1.0")
gi.require_version("Gio", "2.0")
from gi.repository import Burrow, Gio, GLib  # noqa: E402

from coturn import Coturn, TURN_PASSWORD, TURN_USER  # noqa: E402
import taptest  # noqa: E402

try:
    gi.require_version("Nice", "0.1")
    from gi.repository import Nice  # noqa: E402
except (ValueError, ImportError):
    Nice = None

try:
    import aioice  # noqa: F401
except ImportError:
    aioice = None

LOOPBACK = "127.0.0.1"
READY = 4  # Burrow.ComponentState.READY == NICE_COMPONENT_STATE_READY
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aioice_peer.py")
COUNT = 20


def run_until(predicate, timeout):
    """Runs the default main context until @predicate() holds or @timeout
    seconds pass (a timeout source); returns predicate()."""
    if predicate():
        return True
    loop = GLib.MainLoop()
    expired = []

    def check():
        if predicate():
            loop.quit()
        return GLib.SOURCE_CONTINUE

    def expire():
        expired.append(True)
        loop.quit()
        return GLib.SOURCE_REMOVE

    poll = GLib.timeout_add(10, check)
    timer = GLib.timeout_add(int(timeout * 1000), expire)
    loop.run()
    GLib.source_remove(poll)
    if not expired:
        GLib.source_remove(timer)
    return predicate()


def payloads(tag):
    # Binary on purpose: a NUL, a 0xff, and sizes that vary.
    return [tag + b"\0\xff" + bytes([i]) * i for i in range(COUNT)]


class Side:
    """What a test watches on one agent: states, selected pair, data."""

    def __init__(self, name):
        self.name = name
        self.state = 0
        self.states = []
        self.gathered = False
        self.selected = None
        self.received = []

    def ready(self):
        return self.state == READY

    def on_state(self, agent, stream_id, component_id, state):
        self.state = state
        self.states.append(int(state))

    def on_gathered(self, agent, stream_id):
        self.gathered = True

    def on_selected(self, agent, stream_id, component_id, local, remote):
        self.selected = (local, remote)

    def watch(self, agent):
        agent.connect("component-state-changed", self.on_state)
        agent.connect("candidate-gathering-done", self.on_gathered)
        agent.connect("new-selected-pair-full", self.on_selected)


class AgentPeer(Side):
    """The calls that read the same on Burrow.Agent and Nice.Agent."""

    def gather(self):
        return self.agent.gather_candidates(self.stream)

    def description(self):
        ok, ufrag, pwd = self.agent.get_local_credentials(self.stream)
        lines = [self.agent.generate_local_candidate_sdp(c)
                 for c in self.agent.get_local_candidates(self.stream, 1)]
        return {"ufrag": ufrag, "pwd": pwd, "candidates": lines}

    def set_remote(self, desc):
        self.agent.set_remote_credentials(self.stream, desc["ufrag"], desc["pwd"])
        cands = [self.agent.parse_remote_candidate_sdp(self.stream, line)
                 for line in desc["candidates"]]
        return self.agent.set_remote_candidates(self.stream, 1, cands)


class BurrowPeer(AgentPeer):
    def __init__(self, controlling, relay=None, tcp=False):
        super().__init__("burrow")
        self.agent = Burrow.Agent.new(None, Burrow.Compatibility.RFC5245)
        self.agent.props.controlling_mode = controlling
        self.agent.props.ice_udp = not tcp
        self.agent.props.ice_tcp = tcp
        self.agent.add_local_address(Gio.InetAddress.new_from_string(LOOPBACK))
        self.stream = self.agent.add_stream(1)
        if relay is not None:
            self.agent.props.force_relay = True
            self.agent.set_relay_info(self.stream, 1, LOOPBACK, relay.port, TURN_USER,
                                      TURN_PASSWORD, Burrow.RelayType.UDP)
        self.watch(self.agent)
        self.agent.attach_recv(self.stream, 1, None, self.on_data)

    def on_data(self, agent, stream_id, component_id, length, data):
        self.received.append(bytes(data))

    def send(self, data):
        return self.agent.send(self.stream, 1, data)

    def selected_types(self):
        ok, local, remote = self.agent.get_selected_pair(self.stream, 1)
        return (local.props.type, remote.props.type) if ok else None

    def selected_transports(self):
        ok, local, remote = self.agent.get_selected_pair(self.stream, 1)
        return (int(local.props.transport), int(remote.props.transport)) if ok else None

    def close(self):
        close(self.agent)


def close(agent):
    """close_async(), then waits for it (both agents have it)."""
    done = []
    agent.close_async(lambda *args: done.append(True))
    run_until(lambda: done, 5)


class NiceReceiver:
    """nice_agent_attach_recv() through ctypes, since GI cannot call it."""

    CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint,
                                ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p)
    _lib = None

    @classmethod
    def lib(cls):
        if cls._lib is None:
            lib = ctypes.CDLL(ctypes.util.find_library("nice") or "libnice.so.10")
            lib.nice_agent_attach_recv.argtypes = [
                ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p,
                cls.CALLBACK, ctypes.c_void_p]
            lib.nice_agent_attach_recv.restype = ctypes.c_int
            getter = ctypes.pythonapi.PyCapsule_GetPointer
            getter.restype = ctypes.c_void_p
            getter.argtypes = [ctypes.py_object, ctypes.c_char_p]
            cls._lib = lib
        return cls._lib

    def __init__(self, agent, stream, component, sink):
        lib = self.lib()
        self.args = (ctypes.pythonapi.PyCapsule_GetPointer(agent.__gpointer__, None),
                     stream, component, None)
        # Kept alive as long as libnice may call it.
        self.callback = self.CALLBACK(
            lambda a, s, c, length, buf, data: sink(ctypes.string_at(buf, length)))
        if not lib.nice_agent_attach_recv(*self.args, self.callback, None):
            raise RuntimeError("nice_agent_attach_recv failed")

    def detach(self):
        self.lib().nice_agent_attach_recv(*self.args, self.CALLBACK(), None)


class NicePeer(AgentPeer):
    def __init__(self, controlling, relay=None, tcp=False):
        super().__init__("libnice")
        self.agent = Nice.Agent.new(GLib.MainContext.default(), Nice.Compatibility.RFC5245)
        self.agent.props.controlling_mode = controlling
        self.agent.props.upnp = False
        self.agent.props.ice_udp = not tcp
        self.agent.props.ice_tcp = tcp
        address = Nice.Address.new()
        address.set_from_string(LOOPBACK)
        self.agent.add_local_address(address)
        self.stream = self.agent.add_stream(1)
        if relay is not None:
            self.agent.props.force_relay = True
            self.agent.set_relay_info(self.stream, 1, LOOPBACK, relay.port, TURN_USER,
                                      TURN_PASSWORD, Nice.RelayType.UDP)
        self.watch(self.agent)
        self.receiver = NiceReceiver(self.agent, self.stream, 1, self.received.append)

    def send(self, data):
        # The typelib's buf is utf8: only text goes through GI.
        text = data.hex()
        return self.agent.send(self.stream, 1, len(text.encode()), text)

    def decode(self, received):
        return bytes.fromhex(received.decode())

    def selected_types(self):
        if self.selected is None:
            return None
        local, remote = self.selected
        return (int(local.type), int(remote.type))

    def selected_transports(self):
        if self.selected is None:
            return None
        local, remote = self.selected
        return (int(local.transport), int(remote.transport))

    def close(self):
        self.receiver.detach()
        close(self.agent)


class NiceInteropTest(unittest.TestCase):
    """Burrow and libnice in one process, on one main context."""

    @classmethod
    def setUpClass(cls):
        if Nice is None:
            raise unittest.SkipTest("libnice's GI typelib (Nice-0.1) is not installed")
        cls.turn = Coturn(turn=True)

    @classmethod
    def tearDownClass(cls):
        cls.turn.stop()

    def connect_pair(self, burrow_controlling, relay=None, sdp=False, tcp=False):
        burrow = BurrowPeer(burrow_controlling, relay, tcp)
        nice = NicePeer(not burrow_controlling, relay, tcp)
        self.addCleanup(burrow.close)
        self.addCleanup(nice.close)
        self.assertTrue(burrow.gather())
        self.assertTrue(nice.gather())
        self.assertTrue(run_until(lambda: burrow.gathered and nice.gathered, 10),
                        f"gathering: burrow {burrow.gathered}, libnice {nice.gathered}")
        if sdp:
            # Whole SDP bodies, each agent reading the other's writing:
            # one UDP candidate each, or a TCP active and a TCP passive one
            expected = 2 if tcp else 1
            self.assertEqual(nice.agent.parse_remote_sdp(burrow.agent.generate_local_sdp()),
                             expected)
            self.assertEqual(burrow.agent.parse_remote_sdp(nice.agent.generate_local_sdp()),
                             expected)
        else:
            bdesc, ndesc = burrow.description(), nice.description()
            self.assertTrue(bdesc["candidates"] and ndesc["candidates"])
            self.assertEqual(nice.set_remote(bdesc), len(bdesc["candidates"]))
            self.assertEqual(burrow.set_remote(ndesc), len(ndesc["candidates"]))
        self.assertTrue(run_until(lambda: burrow.ready() and nice.ready(), 20),
                        f"states: burrow {burrow.states}, libnice {nice.states}")
        self.assertTrue(run_until(lambda: nice.selected is not None, 2))
        return burrow, nice

    def assertDataBothWays(self, burrow, nice):
        to_nice, to_burrow = payloads(b"to-libnice"), payloads(b"to-burrow")
        for data in to_nice:
            self.assertEqual(burrow.send(data), len(data))
        for data in to_burrow:
            self.assertGreater(nice.send(data), 0)
        self.assertTrue(run_until(lambda: len(nice.received) >= COUNT
                                  and len(burrow.received) >= COUNT, 5),
                        f"received: libnice {len(nice.received)}, burrow "
                        f"{len(burrow.received)} of {COUNT}")
        self.assertEqual(sorted(nice.received), sorted(to_nice))
        self.assertEqual(sorted(nice.decode(d) for d in burrow.received), sorted(to_burrow))

    def assertPairType(self, burrow, nice, ctype):
        self.assertEqual(burrow.selected_types(), (ctype, ctype))
        self.assertEqual(nice.selected_types(), (int(ctype), int(ctype)))

    def test_host_burrow_controlling(self):
        burrow, nice = self.connect_pair(True)
        self.assertPairType(burrow, nice, Burrow.CandidateType.HOST)
        self.assertDataBothWays(burrow, nice)

    def test_host_libnice_controlling(self):
        burrow, nice = self.connect_pair(False)
        self.assertPairType(burrow, nice, Burrow.CandidateType.HOST)
        self.assertDataBothWays(burrow, nice)

    def test_host_through_whole_sdp(self):
        burrow, nice = self.connect_pair(True, sdp=True)
        self.assertDataBothWays(burrow, nice)

    def assertTcpPair(self, burrow, nice):
        # (local, remote): active with passive, or passive with active;
        # libnice's and Burrow's transport enums have the same values
        pairs = [(int(Burrow.CandidateTransport.TCP_ACTIVE),
                  int(Burrow.CandidateTransport.TCP_PASSIVE)),
                 (int(Burrow.CandidateTransport.TCP_PASSIVE),
                  int(Burrow.CandidateTransport.TCP_ACTIVE))]
        self.assertIn(burrow.selected_transports(), pairs)
        self.assertIn(nice.selected_transports(), pairs)

    def test_tcp_burrow_controlling(self):
        burrow, nice = self.connect_pair(True, tcp=True)
        self.assertTcpPair(burrow, nice)
        self.assertDataBothWays(burrow, nice)

    def test_tcp_libnice_controlling(self):
        burrow, nice = self.connect_pair(False, tcp=True)
        self.assertTcpPair(burrow, nice)
        self.assertDataBothWays(burrow, nice)

    def test_tcp_through_whole_sdp(self):
        burrow, nice = self.connect_pair(True, sdp=True, tcp=True)
        self.assertTcpPair(burrow, nice)
        self.assertDataBothWays(burrow, nice)

    def test_relayed_burrow_controlling(self):
        burrow, nice = self.connect_pair(True, relay=self.turn)
        self.assertPairType(burrow, nice, Burrow.CandidateType.RELAYED)
        self.assertDataBothWays(burrow, nice)

    def test_relayed_libnice_controlling(self):
        burrow, nice = self.connect_pair(False, relay=self.turn)
        self.assertPairType(burrow, nice, Burrow.CandidateType.RELAYED)
        self.assertDataBothWays(burrow, nice)


class AioicePeer:
    """aioice_peer.py in a subprocess; its stdout lines are read by a thread."""

    def __init__(self, controlling, relay=None):
        argv = [sys.executable, PEER, "--controlling" if controlling else "--controlled",
                "--timeout", "40"]
        if relay is not None:
            argv += ["--turn", f"{LOOPBACK}:{relay.port}", TURN_USER, TURN_PASSWORD]
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(json.loads(line))

    def events(self, name):
        return [msg for msg in self.lines if msg.get("event") == name]

    def write(self, obj):
        self.process.stdin.write(json.dumps(obj) + "\n")
        self.process.stdin.flush()

    def stop(self):
        try:
            if self.process.poll() is None:
                self.write({"cmd": "quit"})
                self.process.stdin.close()
                self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.wait(5)
            self.stderr = self.process.stderr.read()
            self.process.stderr.close()
            self.reader.join(5)


@unittest.skipIf(aioice is None, "aioice is not installed")
class AioiceInteropTest(unittest.TestCase):
    """Burrow on the main loop against aioice (asyncio) in a subprocess,
    signalling through the subprocess's stdin and stdout as JSON lines."""

    @classmethod
    def setUpClass(cls):
        cls.turn = Coturn(turn=True)

    @classmethod
    def tearDownClass(cls):
        cls.turn.stop()

    def connect_pair(self, burrow_controlling, relay=None):
        peer = AioicePeer(not burrow_controlling, relay)
        self.addCleanup(peer.stop)
        burrow = BurrowPeer(burrow_controlling, relay)
        self.addCleanup(burrow.close)
        self.assertTrue(burrow.gather())
        self.assertTrue(run_until(lambda: burrow.gathered and peer.lines, 10),
                        "gathering did not end")
        remote = peer.lines[0]
        self.assertIn("ufrag", remote, remote)
        self.assertTrue(remote["candidates"], "aioice gathered nothing")
        self.assertEqual(burrow.set_remote(remote), len(remote["candidates"]))
        peer.write(burrow.description())
        self.assertTrue(run_until(lambda: burrow.ready() and peer.events("connected")
                                  or peer.events("failed"), 20),
                        f"states: burrow {burrow.states}, aioice {peer.lines[1:]}")
        self.assertFalse(peer.events("failed"), peer.lines)
        self.assertTrue(burrow.ready(), burrow.states)
        return burrow, peer

    def assertEchoes(self, burrow, peer):
        sent = payloads(b"to-aioice")
        for data in sent:
            self.assertEqual(burrow.send(data), len(data))
        self.assertTrue(run_until(lambda: len(burrow.received) >= COUNT, 5),
                        f"echoed back {len(burrow.received)} of {COUNT}")
        self.assertEqual(sorted(burrow.received), sorted(sent))
        self.assertEqual(sorted(bytes.fromhex(m["data"]) for m in peer.events("received")),
                         sorted(sent))

    def test_burrow_controlling(self):
        burrow, peer = self.connect_pair(True)
        self.assertEqual(burrow.selected_types(),
                         (Burrow.CandidateType.HOST, Burrow.CandidateType.HOST))
        self.assertEchoes(burrow, peer)

    def test_aioice_controlling(self):
        burrow, peer = self.connect_pair(False)
        self.assertEqual(burrow.selected_types(),
                         (Burrow.CandidateType.HOST, Burrow.CandidateType.HOST))
        self.assertEchoes(burrow, peer)

    def test_relayed_burrow_controlling(self):
        burrow, peer = self.connect_pair(True, relay=self.turn)
        self.assertEqual(burrow.selected_types(),
                         (Burrow.CandidateType.RELAYED, Burrow.CandidateType.RELAYED))
        self.assertEchoes(burrow, peer)

    def test_relayed_aioice_controlling(self):
        burrow, peer = self.connect_pair(False, relay=self.turn)
        self.assertEqual(burrow.selected_types(),
                         (Burrow.CandidateType.RELAYED, Burrow.CandidateType.RELAYED))
        self.assertEchoes(burrow, peer)


if __name__ == "__main__":
    sys.exit(taptest.main())
