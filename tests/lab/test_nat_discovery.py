#!/usr/bin/python3
# test_nat_discovery.py: RFC 5780 NAT discovery against the lab's emulated NATs
# SPDX-License-Identifier: LGPL-2.1-or-later
"""NAT discovery in the lab (``meson test --suite lab``; needs root).

One lab for the whole file: coturn on 203.0.113.1/.2 (ports 3478/3479) and
one host per NAT type. For every type:

* ``LabSelfCheck``: the lab is first proven by clients that are not Burrow:
  coturn's own RFC 5780 client ``turnutils_natdiscovery`` and plain UDP
  probes (``burrowlab.probe_nat``, which does not use STUN or coturn at all).
  If these fail, the lab is broken, not Burrow.
* ``BurrowStunDiscovery``: ``$BURROW_STUN_TOOL --discover --json`` from
  the host must report the type, the mapping and filtering behaviour and the
  router's WAN address; plain ``--json`` (one Binding) must report the
  router's WAN address as the mapped address.

Output is TAP (tests/lab/taptest.py). Run by hand as root:
``BURROW_STUN_TOOL=build/tools/burrow-stun /usr/bin/python3
tests/lab/test_nat_discovery.py [-k symmetric]``.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import burrowlab  # noqa: E402
import taptest  # noqa: E402

EI = 'endpoint-independent'
AD = 'address-dependent'
APD = 'address-and-port-dependent'

# NAT type → (mapping, filtering) the lab emulates.
EXPECTED = {
    'none': (EI, EI),
    'full-cone': (EI, EI),
    'restricted-cone': (EI, AD),
    'port-restricted': (EI, APD),
    'symmetric': (APD, APD),
    'udp-blocked': ('unknown', 'unknown'),
}

TOOL_TIMEOUT = 60
NATDISCOVERY_TIMEOUT = 30

lab = None
hosts = {}


def setUpModule():
    global lab
    burrowlab.cleanup_stale()
    lab = burrowlab.Lab()
    lab.start()
    try:
        for nat in burrowlab.NAT_TYPES:
            hosts[nat] = lab.add_host(nat, nat)
    except BaseException:
        lab.close()
        raise


def tearDownModule():
    if lab is not None:
        lab.close()


def _split_address(text):
    """'ip:port' → (ip, port)."""
    ip, _, port = text.rpartition(':')
    return ip.strip('[]'), int(port)


# ---------------------------------------------------------------------------
# The lab proven by third-party clients

_NATDISCOVERY_WORDS = {
    'Endpoint Independent': EI,
    'Address Dependent': AD,
    'Address and Port Dependent': APD,
}


def natdiscovery(host):
    """Runs coturn's turnutils_natdiscovery -m -f in @host's namespace.

    It uses a fresh local port for the filtering tests, so the mapping tests
    (which contact the alternate address) do not open the filter for them.
    Returns (mapping, filtering, reflexive (ip, port) or None, output).
    """
    res = host.run(['turnutils_natdiscovery', '-m', '-f', '-L', host.address,
                    lab.server_address], timeout=NATDISCOVERY_TIMEOUT)
    out = res.stdout + res.stderr
    mapping = filtering = 'unknown'
    if 'No NAT!' in out:
        mapping = 'no-nat'
    elif m := re.search(r'NAT with (.+?) Mapping!', out):
        mapping = _NATDISCOVERY_WORDS[m[1]]
    if m := re.search(r'NAT with (.+?) Filtering!', out):
        filtering = _NATDISCOVERY_WORDS[m[1]]
    reflexive = None
    if m := re.search(r'UDP reflexive addr: ([0-9.]+):([0-9]+)', out):
        reflexive = (m[1], int(m[2]))
    return mapping, filtering, reflexive, out


class LabSelfCheck(unittest.TestCase):
    """The emulated NATs behave as designed, seen by clients that are not
    Burrow's."""

    def check_natdiscovery(self, nat):
        if shutil.which('turnutils_natdiscovery') is None:
            self.skipTest('turnutils_natdiscovery (coturn) is not installed')
        host = hosts[nat]
        mapping, filtering, reflexive, out = natdiscovery(host)
        want_mapping, want_filtering = EXPECTED[nat]
        if nat == 'none':
            want_mapping = 'no-nat'
        msg = f'turnutils_natdiscovery in {host.ns} ({nat}) said:\n{out}'
        self.assertEqual(mapping, want_mapping, msg)
        self.assertEqual(filtering, want_filtering, msg)
        if nat == 'udp-blocked':
            self.assertIsNone(reflexive, msg)
        else:
            self.assertIsNotNone(reflexive, msg)
            self.assertEqual(reflexive[0], host.public_address, msg)

    def check_udp_probes(self, nat):
        host = hosts[nat]
        got = burrowlab.probe_nat(lab, host)
        taptest.diag(f'{nat}: {json.dumps(got)}')
        want_mapping, want_filtering = EXPECTED[nat]
        self.assertEqual(got['nat-type'], nat, got)
        self.assertEqual(got['mapping'], want_mapping, got)
        self.assertEqual(got['filtering'], want_filtering, got)
        if nat == 'udp-blocked':
            self.assertIsNone(got['external-address'], got)
        else:
            self.assertEqual(_split_address(got['external-address'])[0],
                             host.public_address, got)

    def check_filter_state_per_mapping(self, nat):
        # Socket X talks to A and C, socket Y only to A; then C sends to both
        # mappings. Only X may hear it: what X opened must not open Y's
        # filter (RFC 5780 filtering tests rely on this with a fresh port).
        host = hosts[nat]
        a = lab.public_agent(lab.server_address, 0, reflect=True)
        c = lab.public_agent(lab.alt_server_address, 0, reflect=True)
        x, y = host.udp_agent(), host.udp_agent()
        try:
            mapped = {}
            for sock, peers in ((x, (a, c)), (y, (a,))):
                for peer in peers:
                    sock.send(peer.local, b'hello')
                    reply = sock.recv(2.0)
                    self.assertIsNotNone(reply, f'{peer.local} did not answer {nat} host')
                    ip, port = _split_address(reply[0][5:].decode())
                    mapped.setdefault(sock, (ip, port))
            c.send(mapped[x], b'to X')
            c.send(mapped[y], b'to Y')
            self.assertEqual([d for d, _ in x.drain(0.5)], [b'to X'])
            self.assertEqual([d for d, _ in y.drain(0.3)], [])
        finally:
            for agent in (a, c, x, y):
                agent.close()

    def test_filter_state_is_per_mapping_restricted_cone(self):
        """lab self-check: restricted-cone filter state belongs to one mapping"""
        self.check_filter_state_per_mapping('restricted-cone')

    def test_filter_state_is_per_mapping_port_restricted(self):
        """lab self-check: port-restricted filter state belongs to one mapping"""
        self.check_filter_state_per_mapping('port-restricted')

    def test_udp_blocked_passes_tcp(self):
        """lab self-check: udp-blocked still lets TCP reach the server"""
        host = hosts['udp-blocked']
        code = ('import socket; s = socket.create_connection(("%s", %d), timeout=5); '
                'print(s.getsockname()[0])' % (lab.server_address, lab.stun_port))
        res = host.run([sys.executable, '-c', code], timeout=15)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout.strip(), host.address)


# ---------------------------------------------------------------------------
# Burrow's tool


def stun_tool():
    """The burrow-stun executable from $BURROW_STUN_TOOL."""
    path = os.environ.get('BURROW_STUN_TOOL')
    if not path:
        if os.environ.get('CI', '').lower() == 'true':
            raise AssertionError('BURROW_STUN_TOOL is not set (CI must not skip)')
        raise unittest.SkipTest('BURROW_STUN_TOOL is not set (run through meson test)')
    if not os.access(path, os.X_OK):
        raise AssertionError(f'BURROW_STUN_TOOL={path} is not an executable')
    return path


def run_tool(testcase, host, args):
    """Runs the tool in @host; returns (parsed JSON, CompletedProcess)."""
    argv = [stun_tool()] + args + [f'{lab.server_address}:{lab.stun_port}']
    try:
        res = host.run(argv, timeout=TOOL_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        testcase.fail(f'{" ".join(argv)} in {host.ns} did not finish within '
                      f'{TOOL_TIMEOUT} s; stderr: {e.stderr}')
    where = (f'{" ".join(argv)} in {host.ns} ({host.nat}) exited {res.returncode}\n'
             f'stdout: {res.stdout}\nstderr: {res.stderr}')
    testcase.assertEqual(res.returncode, 0, where)
    try:
        report = json.loads(res.stdout)
    except ValueError as e:
        report = None
        problem = str(e)
    if not isinstance(report, dict):
        testcase.fail(f'stdout is not one JSON object ({problem if report is None else report!r})'
                      f'; {where}')
    return report, where


class BurrowStunDiscovery(unittest.TestCase):
    """burrow-stun reports what the lab emulates."""

    def check_discover(self, nat):
        host = hosts[nat]
        report, where = run_tool(self, host, ['--discover', '--json', '--rto', '100',
                                              '--retransmissions', '4'])
        want_mapping, want_filtering = EXPECTED[nat]
        self.assertEqual(report.get('nat-type'), nat, where)
        self.assertEqual(report.get('mapping'), want_mapping, where)
        self.assertEqual(report.get('filtering'), want_filtering, where)
        self.assertIn(report.get('hairpinning'), ('supported', 'unsupported', 'unknown'),
                      where)
        self.assertIsInstance(report.get('problems'), list, where)
        if report['problems'] or report.get('hairpinning') != 'unknown':
            taptest.diag(f'{nat}: hairpinning {report.get("hairpinning")}, '
                         f'problems {report["problems"]}')
        if nat == 'udp-blocked':
            self.assertIsNone(report.get('external-address'), where)
            return
        self.assertIsInstance(report.get('external-address'), str, where)
        ip, port = _split_address(report['external-address'])
        self.assertEqual(ip, host.public_address, where)
        self.assertTrue(0 < port < 65536, where)
        self.assertEqual(report.get('other-address'),
                         f'{lab.alt_server_address}:{lab.alt_stun_port}', where)
        if nat == 'none' and isinstance(report.get('local-address'), str):
            # Without NAT the mapped port is the local one.
            self.assertEqual(_split_address(report['local-address'])[1], port, where)

    def test_binding_reports_router_wan_address(self):
        """burrow-stun --json from a port-restricted host maps to the router's WAN address"""
        host = hosts['port-restricted']
        report, where = run_tool(self, host, ['--json'])
        keys = ('mapped-address', 'xor-mapped-address', 'external-address',
                'reflexive-address')
        mapped = next((report[k] for k in keys if isinstance(report.get(k), str)), None)
        self.assertIsNotNone(mapped, f'no mapped address among {keys}; {where}')
        ip, port = _split_address(mapped)
        self.assertEqual(ip, host.public_address, where)
        self.assertNotEqual(ip, host.address, where)
        self.assertTrue(0 < port < 65536, where)


def _add_per_nat_tests():
    for nat in burrowlab.NAT_TYPES:
        slug = nat.replace('-', '_')
        for cls, method, name, doc in (
                (LabSelfCheck, 'check_natdiscovery', f'test_natdiscovery_{slug}',
                 f"lab self-check with coturn's natdiscovery: {nat}"),
                (LabSelfCheck, 'check_udp_probes', f'test_udp_probes_{slug}',
                 f'lab self-check with plain UDP probes: {nat}'),
                (BurrowStunDiscovery, 'check_discover', f'test_discover_{slug}',
                 f'burrow-stun --discover finds {nat}')):
            def test(self, _nat=nat, _method=method):
                getattr(self, _method)(_nat)
            test.__name__ = name
            test.__doc__ = doc
            setattr(cls, name, test)


_add_per_nat_tests()


def load_tests(loader, tests, pattern):
    """Runs the lab self-checks first: if they fail, the lab is broken."""
    def flat(suite):
        for t in suite:
            yield from (flat(t) if isinstance(t, unittest.TestSuite) else (t,))
    classes = [LabSelfCheck, BurrowStunDiscovery]
    slugs = [nat.replace('-', '_') for nat in burrowlab.NAT_TYPES]

    def key(t):
        cls = classes.index(type(t)) if type(t) in classes else len(classes)
        name = t._testMethodName
        nat = next((i for i, s in enumerate(slugs) if name.endswith('_' + s)), len(slugs))
        return cls, name.rsplit('_' + slugs[nat], 1)[0] if nat < len(slugs) else name, nat

    return unittest.TestSuite(sorted(flat(tests), key=key))


if __name__ == '__main__':
    sys.exit(taptest.main(requires=burrowlab.require_lab))
