# labprobe.py: UDP and STUN probes for the NAT lab (stdlib only)
# SPDX-License-Identifier: LGPL-2.1-or-later
"""UDP and STUN probes for the NAT lab; burrowlab re-exports all of it.

* ``stun_binding_request()`` / ``stun_parse()``: just enough STUN (RFC 8489
  Binding, RFC 5780 CHANGE-REQUEST, OTHER-ADDRESS, RESPONSE-ORIGIN) for probes
  that must not depend on Burrow.
* ``UdpAgent``: one UDP socket inside a namespace, driven from the test
  process (``Host.udp_agent()``, ``Lab.public_agent()``).
* ``probe_nat(lab, host)``: classifies a host's NAT with plain UDP
  reflectors, without STUN or coturn.
* ``nat_type_of(mapping, filtering)``: RFC 5780 behaviours → classic name.

``labprobe.py agent …`` and ``labprobe.py wait-stun …`` are the programs
that run inside the namespaces.
"""

import json
import os
import queue
import secrets
import selectors
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

_HERE = os.path.dirname(os.path.abspath(__file__))
_PYTHON = sys.executable or '/usr/bin/python3'


class ProbeError(Exception):
    """A probe could not start or talk to its namespace."""


def _killpg(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            proc.send_signal(sig)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------------------
# STUN (just enough for probes: Binding with CHANGE-REQUEST)

STUN_MAGIC = 0x2112A442
_ATTR_NAMES = {0x0001: 'mapped', 0x0020: 'xor-mapped', 0x802b: 'response-origin',
               0x802c: 'other-address', 0x0004: 'source-address',
               0x0005: 'changed-address'}


def stun_binding_request(change_ip=False, change_port=False):
    """Returns (transaction id, bytes) of a Binding request."""
    txid = secrets.token_bytes(12)
    attrs = b''
    if change_ip or change_port:
        attrs = struct.pack('!HHI', 0x0003, 4, (4 if change_ip else 0) | (2 if change_port else 0))
    return txid, struct.pack('!HHI12s', 0x0001, len(attrs), STUN_MAGIC, txid) + attrs


def stun_parse(data, txid=None):
    """Parses a Binding response; returns a dict or None if @data is not one.

    Keys: 'class' ('success' or 'error'), 'txid', 'error' (code or None) and
    one (ip, port) tuple per address attribute: 'mapped', 'xor-mapped',
    'response-origin', 'other-address'.
    """
    if len(data) < 20:
        return None
    mtype, length, magic, tid = struct.unpack('!HHI12s', data[:20])
    if magic != STUN_MAGIC or mtype not in (0x0101, 0x0111) or (txid and tid != txid):
        return None
    out = {'class': 'success' if mtype == 0x0101 else 'error', 'txid': tid, 'error': None}
    pos = 20
    end = min(len(data), 20 + length)
    while pos + 4 <= end:
        atype, alen = struct.unpack('!HH', data[pos:pos + 4])
        value = data[pos + 4:pos + 4 + alen]
        pos += 4 + alen + (-alen % 4)
        if atype in _ATTR_NAMES and len(value) >= 8 and value[1] == 1:
            port, = struct.unpack('!H', value[2:4])
            addr = value[4:8]
            if atype == 0x0020:
                port ^= STUN_MAGIC >> 16
                addr = bytes(a ^ b for a, b in zip(addr, struct.pack('!I', STUN_MAGIC)))
            out[_ATTR_NAMES[atype]] = (socket.inet_ntoa(addr), port)
        elif atype == 0x0009 and len(value) >= 4:
            out['error'] = (value[2] & 7) * 100 + value[3]
    return out


# ---------------------------------------------------------------------------
# UDP agents


class UdpAgent:
    """One UDP socket inside a namespace, driven from the test process.

    Runs ``labprobe.py agent`` in the namespace; datagrams cross the pipe as
    JSON lines. Received datagrams queue up until ``recv``/``drain``. Closed
    at lab teardown at the latest.
    """

    def __init__(self, popen, ns, address='0.0.0.0', port=0, reflect=False):
        """@popen(ns, argv, **kw) starts a tracked process in namespace @ns
        (Lab.popen_ns); use Host.udp_agent() or Lab.public_agent()."""
        argv = [_PYTHON, os.path.join(_HERE, 'labprobe.py'), 'agent',
                '--bind', f'{address}:{port}'] + (['--reflect'] if reflect else [])
        self.ns = ns
        self._proc = popen(ns, argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True, bufsize=1)
        self._queue = queue.Queue()
        self._ready = queue.Queue()
        self.errors = []
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()
        try:
            event = self._ready.get(timeout=10)
        except queue.Empty:
            self.close()
            raise ProbeError(f'UDP agent in {ns} did not start within 10 s')
        if 'error' in event:
            self.close()
            raise ProbeError(f'UDP agent in {ns} failed: {event["error"]}')
        self.local = tuple(event['local'])

    def _reader(self):
        for line in self._proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get('event') == 'packet':
                self._queue.put((bytes.fromhex(event['data']), tuple(event['from'])))
            elif event.get('event') == 'ready':
                self._ready.put(event)
            else:
                self.errors.append(event.get('error'))

    def send(self, to, data):
        """Sends @data (bytes or str) to @to, an (ip, port) tuple."""
        if isinstance(data, str):
            data = data.encode()
        cmd = {'op': 'send', 'to': [to[0], int(to[1])], 'data': data.hex()}
        self._proc.stdin.write(json.dumps(cmd) + '\n')
        self._proc.stdin.flush()

    def recv(self, timeout=1.0):
        """Returns the next (data, (ip, port)) or None after @timeout s."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self, timeout=0.5):
        """Returns every datagram arriving within @timeout seconds."""
        out = []
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            pkt = self.recv(left)
            if pkt is None:
                break
            out.append(pkt)
        return out

    def stun_binding(self, server, change_ip=False, change_port=False,
                     rto=0.2, retransmissions=3):
        """Sends a Binding request to @server; returns stun_parse()'s dict
        plus 'from' (where the answer came from), or None without answer.
        Datagrams that are not the answer are dropped."""
        txid, req = stun_binding_request(change_ip, change_port)
        wait = rto
        for _ in range(retransmissions + 1):
            self.send(server, req)
            deadline = time.monotonic() + wait
            while (left := deadline - time.monotonic()) > 0:
                pkt = self.recv(left)
                if pkt is None:
                    break
                res = stun_parse(pkt[0], txid)
                if res:
                    res['from'] = pkt[1]
                    return res
            wait *= 2
        return None

    def close(self):
        if self._proc.poll() is None:
            try:
                self._proc.stdin.close()
            except OSError:
                pass
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                _killpg(self._proc, signal.SIGKILL)
                self._proc.wait(timeout=5)
        self._thread.join(timeout=2)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _agent_main(args):
    """`labprobe.py agent --bind IP:PORT [--reflect]`: the agent side."""
    bind = args[args.index('--bind') + 1]
    reflect = '--reflect' in args
    host, _, port = bind.rpartition(':')
    out = sys.stdout
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host, int(port)))
    except OSError as e:
        print(json.dumps({'event': 'ready', 'error': str(e)}), flush=True)
        return 1
    sock.setblocking(False)
    print(json.dumps({'event': 'ready', 'local': list(sock.getsockname())}), flush=True)
    sel = selectors.DefaultSelector()
    stdin = sys.stdin.fileno()
    sel.register(stdin, selectors.EVENT_READ, 'stdin')
    sel.register(sock, selectors.EVENT_READ, 'sock')
    pending = b''
    while True:
        for key, _ in sel.select():
            if key.data == 'stdin':
                chunk = os.read(stdin, 65536)
                if not chunk:
                    return 0
                pending += chunk
                while b'\n' in pending:
                    line, pending = pending.split(b'\n', 1)
                    cmd = json.loads(line)
                    if cmd['op'] != 'send':
                        continue
                    try:
                        sock.sendto(bytes.fromhex(cmd['data']), tuple(cmd['to']))
                    except OSError as e:
                        out.write(json.dumps({'event': 'send-error', 'error': str(e)}) + '\n')
                        out.flush()
            else:
                try:
                    data, src = sock.recvfrom(65535)
                except OSError:
                    continue      # e.g. ICMP port unreachable from a previous send
                out.write(json.dumps({'event': 'packet', 'from': list(src),
                                      'data': data.hex()}) + '\n')
                out.flush()
                if reflect and stun_parse(data) is None and not data.startswith(b'seen '):
                    sock.sendto(f'seen {src[0]}:{src[1]}'.encode(), src)


def _wait_stun_main(args):
    """`labprobe.py wait-stun TIMEOUT IP:PORT…`: exits 0 once every server
    answers a Binding request, or 1 at the deadline."""
    deadline = time.monotonic() + float(args[0])
    servers = [(a.rpartition(':')[0], int(a.rpartition(':')[2])) for a in args[1:]]
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pending = list(servers)
    while pending and time.monotonic() < deadline:
        server = pending[0]
        txid, req = stun_binding_request()
        try:
            sock.sendto(req, server)
            sock.settimeout(0.2)
            while True:
                data, _ = sock.recvfrom(2048)
                if stun_parse(data, txid):
                    pending.pop(0)
                    break
        except OSError:
            time.sleep(0.1)
    if pending:
        print(f'no STUN answer from {pending[0][0]}:{pending[0][1]}', file=sys.stderr)
        return 1
    return 0


def nat_type_of(mapping, filtering, external_is_local=False):
    """The classic NAT type name of a mapping/filtering pair (RFC 5780 terms)."""
    if external_is_local:
        return 'none'
    return {
        ('endpoint-independent', 'endpoint-independent'): 'full-cone',
        ('endpoint-independent', 'address-dependent'): 'restricted-cone',
        ('endpoint-independent', 'address-and-port-dependent'): 'port-restricted',
        ('address-and-port-dependent', 'address-and-port-dependent'): 'symmetric',
        ('address-dependent', 'address-and-port-dependent'): 'symmetric',
        ('address-dependent', 'address-dependent'): 'symmetric',
    }.get((mapping, filtering), 'unknown')


def probe_nat(lab, host, wait=0.5):
    """Classifies @host's NAT with plain UDP, without STUN or coturn.

    Three reflectors in the public namespace, A = (203.0.113.1, a),
    B = (203.0.113.1, b) and C = (203.0.113.2, c), answer every datagram with
    the source they saw. Mapping: one fresh host socket talks to A, B and C
    and compares the three reflected sources. Filtering: another fresh socket
    talks to A only; then B and C send to its mapped address unprompted, and
    whatever gets through decides. Returns a dict with 'nat-type',
    'mapping', 'filtering', 'external-address' ('ip:port' seen by A, or None)
    and 'local-port'.
    """
    unknown = {'nat-type': 'udp-blocked', 'mapping': 'unknown', 'filtering': 'unknown',
               'external-address': None, 'local-port': None}
    agents = []
    try:
        for addr in (lab.server_address, lab.server_address, lab.alt_server_address):
            agents.append(lab.public_agent(addr, 0, reflect=True))
        a, b, c = agents

        def ask(agent, reflector):
            for attempt in range(3):
                agent.send(reflector.local, b'who am i')
                deadline = time.monotonic() + wait * (attempt + 1)
                while (left := deadline - time.monotonic()) > 0:
                    pkt = agent.recv(left)
                    if pkt and pkt[1] == reflector.local and pkt[0].startswith(b'seen '):
                        ip, _, port = pkt[0][5:].decode().rpartition(':')
                        return ip, int(port)
            return None

        m = host.udp_agent()
        agents.append(m)
        seen = [ask(m, a)]
        if seen[0] is None:
            return unknown
        seen += [ask(m, b), ask(m, c)]
        if seen[0] == seen[1] == seen[2]:
            mapping = 'endpoint-independent'
        elif seen[0] == seen[1]:
            mapping = 'address-dependent'
        else:
            mapping = 'address-and-port-dependent'

        f = host.udp_agent()
        agents.append(f)
        ext = ask(f, a)
        if ext is None:
            return unknown
        b.send(ext, b'from same address, other port')
        c.send(ext, b'from other address')
        got = {src for _, src in f.drain(wait)}
        if c.local in got:
            filtering = 'endpoint-independent'
        elif b.local in got:
            filtering = 'address-dependent'
        else:
            filtering = 'address-and-port-dependent'
        is_local = ext == (host.address, f.local[1])
        return {'nat-type': nat_type_of(mapping, filtering, is_local),
                'mapping': mapping, 'filtering': filtering,
                'external-address': f'{ext[0]}:{ext[1]}', 'local-port': f.local[1],
                'mapped-ports': [s[1] if s else None for s in seen],
                'mapping-local-port': m.local[1]}
    finally:
        for agent in agents:
            agent.close()


def main(argv):
    if argv[:1] == ['agent']:
        return _agent_main(argv[1:])
    if argv[:1] == ['wait-stun']:
        return _wait_stun_main(argv[1:])
    print('usage: labprobe.py agent --bind IP:PORT [--reflect] | '
          'wait-stun TIMEOUT IP:PORT…', file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
