# burrowlab.py: a NAT lab in Linux network namespaces for Burrow's tests
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A NAT lab in Linux network namespaces, for Burrow's tests.

Stdlib only (Python 3.11). Needs root, ``ip`` (iproute2) and ``nft``;
``turnserver`` (coturn) when the lab runs a STUN/TURN server. See
docs/testing-lab.md for the topology, the address plan and the NAT rules.

Typical use::

    import burrowlab

    burrowlab.require_lab()            # skip (or fail when CI=true) without root
    with burrowlab.Lab() as lab:
        host = lab.add_host('alice', nat='symmetric')
        res = host.run(['burrow-stun', '--json',
                        f'{lab.server_address}:{lab.stun_port}'], timeout=10)

Interface
---------
``Lab(prefix=None, coturn=True, coturn_args=(), turn_user='burrow',
turn_password='burrowpass', realm='burrow.test')``
    Context manager. ``start()`` (called by ``__enter__``) creates the public
    namespace with a bridge holding 203.0.113.1/24 and 203.0.113.2/24 and
    starts coturn on both, UDP/TCP port 3478 with alternate port 3479
    (RFC 5780). ``close()`` (``__exit__``, ``atexit`` and SIGTERM/SIGHUP)
    kills every process and deletes every namespace. Attributes:
    ``prefix``, ``public_ns``, ``server_address``, ``alt_server_address``,
    ``stun_port``, ``alt_stun_port``, ``turn_user``, ``turn_password``,
    ``realm``, ``hosts`` (name → Host), ``coturn_pid``.
    Methods: ``add_host(name, nat='port-restricted', behind=None)`` (nat=None
    means 'port-restricted'),
    ``run_public(argv, timeout=30, …)``, ``popen_public(argv, …)``,
    ``public_agent(address, port=0, reflect=False)``, ``coturn_log()``,
    ``describe()`` (a JSON-able dict), ``detach()`` (leave it running; the
    CLI's ``up``).

``Host``
    ``name``, ``nat``, ``ns``, ``router_ns`` (None for nat='none'),
    ``address``, ``public_address``, ``gateway``; ``run(argv, timeout=30,
    env=None, check=False, input=None)`` → ``subprocess.CompletedProcess``
    (text mode; always bounded by ``timeout``, raises
    ``subprocess.TimeoutExpired`` after killing the process group);
    ``popen(argv, **kw)`` → ``subprocess.Popen`` killed at teardown;
    ``router_run`` / ``router_popen`` (run in the router namespace, e.g.
    miniupnpd); ``udp_agent(port=0)``.

``UdpAgent``
    One UDP socket inside a namespace, driven from the test process:
    ``local``, ``send(to, data)``, ``recv(timeout)``, ``drain(timeout)``,
    ``stun_binding(server, change_ip=False, change_port=False)``, ``close()``.
    With ``reflect=True`` it answers every non-STUN datagram with
    ``b'seen IP:PORT'`` (the source it saw), which makes it a minimal,
    coturn-independent mapping reflector.

Module functions: ``require_lab(coturn=True)``, ``cleanup_stale()``,
``list_labs()``, ``stun_binding_request()``, ``stun_parse()``.

NAT types: ``'none'``, ``'full-cone'``, ``'restricted-cone'``,
``'port-restricted'``, ``'symmetric'``, ``'udp-blocked'`` (see NAT_TYPES).
"""

import atexit
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from labprobe import (  # noqa: E402  (re-exported: burrowlab.UdpAgent, …)
    ProbeError, _killpg, UdpAgent, nat_type_of, probe_nat, stun_binding_request, stun_parse)

NAT_TYPES = ('none', 'full-cone', 'restricted-cone', 'port-restricted',
             'symmetric', 'udp-blocked')

SERVER_ADDRESS = '203.0.113.1'
ALT_SERVER_ADDRESS = '203.0.113.2'
PUBLIC_NET = '203.0.113.0/24'
STUN_PORT = 3478
ALT_STUN_PORT = 3479
MAX_ROUTERS = 15          # LAN 198.51.100.16*i/28 for i in 1..15
MAX_HOSTS_PER_LAN = 13    # .16i+2 … .16i+14

STATE_DIR = os.environ.get('BURROW_LAB_STATE_DIR', '/run/burrow-lab')

# Prefixes the lab generates: 'bl' + pid % 10000 + two random characters.
AUTO_PREFIX_RE = re.compile(r'^bl[0-9]{1,4}[a-z0-9]{2}$')
# Any prefix, including one chosen on the command line.
# (≤ 8 characters so that PREFIX-h15x13 fits the 15 characters of a name.)
PREFIX_RE = re.compile(r'^[a-z][a-z0-9]{1,7}$')
# Namespaces a lab creates: PREFIX-pub, PREFIX-rN, PREFIX-hN, PREFIX-hNxM.
NS_SUFFIX_RE = re.compile(r'^(?P<prefix>[a-z][a-z0-9]{1,7})-(pub|r[0-9]+|h[0-9]+(x[0-9]+)?)$')

COMMAND_TIMEOUT = 15      # seconds for one ip/nft/sysctl invocation
COTURN_READY_TIMEOUT = 10
TEARDOWN_GRACE = 2.0      # seconds between SIGTERM and SIGKILL

_HERE = os.path.dirname(os.path.abspath(__file__))
_PYTHON = sys.executable or '/usr/bin/python3'


class LabError(Exception):
    """Setting up or talking to the lab failed."""


class LabInterrupted(KeyboardInterrupt):
    """Raised in the main thread on SIGTERM or SIGHUP.

    A KeyboardInterrupt, so that unittest does not swallow it as a test error:
    the whole run unwinds, `with Lab()` blocks close their labs and atexit
    closes the rest.
    """

    def __init__(self, signum):
        super().__init__(f'terminated by signal {signum}')
        self.signum = signum


# ---------------------------------------------------------------------------
# Running commands


def _run(argv, timeout=COMMAND_TIMEOUT, input=None, check=True):
    """Runs a set-up command in the root namespace, bounded by @timeout."""
    try:
        res = subprocess.run(argv, input=input, capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise LabError(f'{" ".join(argv)} did not finish within {timeout} s') from e
    except FileNotFoundError as e:
        raise LabError(f'{argv[0]} is not installed') from e
    if check and res.returncode != 0:
        raise LabError(f'{" ".join(argv)} failed ({res.returncode}): '
                       f'{res.stderr.strip() or res.stdout.strip()}')
    return res


def _ns_argv(ns, argv):
    return ['ip', 'netns', 'exec', ns] + [str(a) for a in argv]


def run_in_ns(ns, argv, timeout=30, env=None, check=False, input=None, text=True):
    """Runs @argv in namespace @ns and waits at most @timeout seconds.

    On timeout the whole process group is killed and
    ``subprocess.TimeoutExpired`` is raised. Returns a CompletedProcess with
    stdout and stderr captured.
    """
    full = _ns_argv(ns, argv)
    proc = subprocess.Popen(full, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=text, start_new_session=True)
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(proc, signal.SIGKILL)
        out, err = proc.communicate(timeout=5)
        raise subprocess.TimeoutExpired(full, timeout, output=out, stderr=err)
    except BaseException:
        _killpg(proc, signal.SIGKILL)
        proc.wait(timeout=5)
        raise
    res = subprocess.CompletedProcess(full, proc.returncode, out, err)
    if check:
        res.check_returncode()
    return res


def _ns_exists(ns):
    return os.path.exists(os.path.join('/run/netns', ns))


def _ns_list():
    res = _run(['ip', 'netns', 'list'], check=False)
    return [line.split()[0] for line in res.stdout.splitlines() if line.strip()]


def _ns_pids(ns):
    res = _run(['ip', 'netns', 'pids', ns], check=False)
    return [int(p) for p in res.stdout.split() if p.isdigit()]


def _kill_ns_processes(ns):
    """SIGTERMs, then SIGKILLs, every process inside @ns (bounded)."""
    pids = _ns_pids(ns)
    if not pids:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + TEARDOWN_GRACE
        while time.monotonic() < deadline:
            pids = [p for p in pids if _pid_alive(p)]
            if not pids:
                return
            time.sleep(0.05)


def _delete_ns(ns):
    if not _ns_exists(ns):
        return
    _kill_ns_processes(ns)
    _run(['ip', 'netns', 'delete', ns], check=False)


def _pid_start_time(pid):
    """The start time of @pid in clock ticks (to tell reused pids apart)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
    except OSError:
        return None
    # The command name may contain spaces; fields resume after the last ')'.
    return int(stat[stat.rindex(')') + 2:].split()[19])


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is as good as dead.
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
        return stat[stat.rindex(')') + 2] != 'Z'
    except OSError:
        return False


def _owner_alive(state):
    pid = state.get('owner-pid')
    if pid is None:
        return True           # a persistent lab: only `burrow-lab down` removes it
    return _pid_alive(pid) and _pid_start_time(pid) == state.get('owner-start')


# ---------------------------------------------------------------------------
# State files and stale labs


def _state_path(prefix):
    return os.path.join(STATE_DIR, prefix + '.json')


def _read_state(prefix):
    try:
        with open(_state_path(prefix)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def list_labs():
    """Returns the state (a dict) of every lab with a state file."""
    labs = []
    try:
        names = sorted(os.listdir(STATE_DIR))
    except FileNotFoundError:
        return labs
    for name in names:
        if name.endswith('.json'):
            state = _read_state(name[:-5])
            if state:
                state['stale'] = not _owner_alive(state)
                labs.append(state)
    return labs


def _destroy_from_state(prefix, state):
    namespaces = list((state or {}).get('namespaces', []))
    namespaces += [ns for ns in _ns_list()
                   if (m := NS_SUFFIX_RE.match(ns)) and m['prefix'] == prefix
                   and ns not in namespaces]
    # Hosts first, then routers, then the public namespace.
    for ns in sorted(namespaces, key=lambda n: (n.endswith('-pub'), '-r' in n)):
        _delete_ns(ns)
    shutil.rmtree(os.path.join(STATE_DIR, prefix), ignore_errors=True)
    try:
        os.unlink(_state_path(prefix))
    except FileNotFoundError:
        pass


def destroy_lab(prefix):
    """Tears down lab @prefix from its state file, whoever owns it."""
    _destroy_from_state(prefix, _read_state(prefix))


def orphaned_namespaces():
    """Lab namespaces without a state file (their owner died early or was
    SIGKILLed between steps). Only names this module generates, or whose
    state directory is ours: never someone else's look-alike namespace."""
    out = []
    for ns in _ns_list():
        m = NS_SUFFIX_RE.match(ns)
        if not m or os.path.exists(_state_path(m['prefix'])):
            continue
        if AUTO_PREFIX_RE.match(m['prefix']) or os.path.isdir(os.path.join(STATE_DIR, m['prefix'])):
            out.append(ns)
    return out


def cleanup_stale(everything=False):
    """Deletes labs whose owning process is gone; returns their prefixes.

    A lab is stale when its state file names an owner pid that no longer runs
    (pid and start time are compared, so a reused pid does not count).
    Namespaces following the automatic naming scheme (``blNNNNxx-…``) with
    no state file at all are orphans and deleted too. Labs left up by
    ``burrow-lab up`` have no owner and survive unless @everything is true.
    """
    removed = []
    try:
        names = os.listdir(STATE_DIR)
    except FileNotFoundError:
        names = []
    for name in names:
        # A state file left empty by an owner killed while claiming it.
        path = os.path.join(STATE_DIR, name)
        if (name.endswith('.json') and _read_state(name[:-5]) is None
                and time.time() - os.path.getmtime(path) > 60):
            _destroy_from_state(name[:-5], None)
            removed.append(name[:-5])
    for state in list_labs():
        prefix = state['prefix']
        if everything or state['stale']:
            _destroy_from_state(prefix, state)
            removed.append(prefix)
    for ns in orphaned_namespaces():
        prefix = NS_SUFFIX_RE.match(ns)['prefix']
        _delete_ns(ns)
        if prefix not in removed:
            removed.append(prefix)
    return removed


# ---------------------------------------------------------------------------
# Skipping or failing tests


def lab_unavailable_reason(coturn=True):
    """Returns why the lab cannot run here, or None when it can."""
    if os.geteuid() != 0:
        return 'the NAT lab needs root (network namespaces, nftables)'
    for tool in ('ip', 'nft') + (('turnserver',) if coturn else ()):
        if shutil.which(tool) is None:
            return f'the NAT lab needs {tool}, which is not installed'
    probe = f'blprobe{os.getpid()}'
    res = _run(['ip', 'netns', 'add', probe], check=False)
    if res.returncode != 0:
        return f'ip netns is unusable here: {res.stderr.strip()}'
    try:
        res = run_in_ns(probe, ['nft', 'list', 'ruleset'], timeout=10)
        if res.returncode != 0:
            return f'nftables is unusable in a namespace: {res.stderr.strip()}'
    finally:
        _run(['ip', 'netns', 'delete', probe], check=False)
    return None


def require_lab(coturn=True):
    """Skips the calling test when the lab cannot run here.

    Raises unittest.SkipTest without root or without working network
    namespaces, except when the environment has CI=true: CI must never skip
    lab tests, so there it raises LabError (the test fails).
    """
    reason = lab_unavailable_reason(coturn)
    if reason is None:
        return
    if os.environ.get('CI', '').lower() in ('true', '1', 'yes'):
        raise LabError(f'{reason} (CI=true: lab tests must not be skipped)')
    raise unittest.SkipTest(reason)


# ---------------------------------------------------------------------------
# Tearing down on exit and on signals

_live_labs = []
_handlers_installed = False


def _close_all_labs():
    for lab in list(_live_labs):
        lab.close()


def _on_signal(signum, frame):
    if not _live_labs:
        # Nothing to tear down: die of the signal as if we never caught it.
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    # Unwind the stack so `with Lab()` blocks run; atexit closes the rest.
    raise LabInterrupted(signum)


def _install_handlers():
    global _handlers_installed
    if _handlers_installed:
        return
    _handlers_installed = True
    atexit.register(_close_all_labs)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, _on_signal)


# ---------------------------------------------------------------------------
# NAT rules


def _nat_ruleset(nat):
    """The nftables ruleset of a router doing @nat (LAN bridge 'lan', WAN 'wan').

    Mapping state is keyed on the external port the masquerade picked
    (``ct reply proto-dst``, read after source NAT) and points back at the
    internal address and port (``ct original``), so every local port has its
    own filter state and several hosts can share one router.
    """
    masq = 'masquerade fully-random' if nat == 'symmetric' else 'masquerade'
    rules = [
        'flush ruleset',
        'table ip burrow {',
    ]
    if nat == 'full-cone':
        rules += [
            # external port → internal address . port
            '  map cone { type inet_service : ipv4_addr . inet_service;',
            '    flags dynamic, timeout; timeout 180s; }',
        ]
    elif nat == 'restricted-cone':
        rules += [
            # remote address . external port → internal address . port
            '  map cone { type ipv4_addr . inet_service : ipv4_addr . inet_service;',
            '    flags dynamic, timeout; timeout 180s; }',
        ]
    rules += [
        '  chain forward {',
        '    type filter hook forward priority filter; policy accept;',
    ]
    if nat == 'udp-blocked':
        rules += ['    meta l4proto udp counter drop']
    rules += [
        '  }',
        '  chain prerouting {',
        '    type nat hook prerouting priority dstnat; policy accept;',
    ]
    if nat == 'full-cone':
        rules += ['    iifname "wan" meta l4proto udp dnat ip addr . port to udp dport map @cone']
    elif nat == 'restricted-cone':
        rules += ['    iifname "wan" meta l4proto udp dnat ip addr . port to ip saddr . udp dport map @cone']
    rules += [
        '  }',
        '  chain postrouting {',
        '    type nat hook postrouting priority srcnat; policy accept;',
        f'    oifname "wan" {masq}',
        '  }',
    ]
    if nat in ('full-cone', 'restricted-cone'):
        key = ('ct reply proto-dst' if nat == 'full-cone'
               else 'ip daddr . ct reply proto-dst')
        rules += [
            # After source NAT: the reply tuple holds the external port.
            '  chain track {',
            '    type filter hook postrouting priority srcnat + 10; policy accept;',
            f'    oifname "wan" ct direction original meta l4proto udp update @cone '
            f'{{ {key} timeout 180s : ct original ip saddr . ct original proto-src }}',
            '  }',
        ]
    rules += ['}']
    return '\n'.join(rules) + '\n'


# ---------------------------------------------------------------------------
# Hosts and the lab


class Host:
    """A host namespace, behind its own router namespace unless nat='none'."""

    def __init__(self, lab, name, nat, ns, router_ns, address, public_address,
                 gateway, index):
        self.lab = lab
        self.name = name
        self.nat = nat
        self.ns = ns
        self.router_ns = router_ns
        self.address = address
        self.public_address = public_address
        self.gateway = gateway
        self.index = index

    def __repr__(self):
        return f'<Host {self.name} nat={self.nat} ns={self.ns} {self.address}>'

    def run(self, argv, timeout=30, env=None, check=False, input=None, text=True):
        """Runs @argv in the host namespace (see run_in_ns)."""
        return run_in_ns(self.ns, argv, timeout=timeout, env=env, check=check,
                         input=input, text=text)

    def popen(self, argv, **kw):
        """Starts @argv in the host namespace; killed at lab teardown."""
        return self.lab.popen_ns(self.ns, argv, **kw)

    def router_run(self, argv, timeout=30, env=None, check=False, input=None, text=True):
        """Runs @argv in the router namespace (e.g. nft, conntrack)."""
        if self.router_ns is None:
            raise LabError(f'host {self.name} has no router (nat=none)')
        return run_in_ns(self.router_ns, argv, timeout=timeout, env=env, check=check,
                         input=input, text=text)

    def router_popen(self, argv, **kw):
        """Starts @argv in the router namespace (e.g. miniupnpd)."""
        if self.router_ns is None:
            raise LabError(f'host {self.name} has no router (nat=none)')
        return self.lab.popen_ns(self.router_ns, argv, **kw)

    def udp_agent(self, port=0, reflect=False):
        """Returns a UdpAgent bound to 0.0.0.0:@port in the host namespace."""
        return UdpAgent(self.lab.popen_ns, self.ns, '0.0.0.0', port, reflect)

    def describe(self):
        return {'name': self.name, 'nat': self.nat, 'ns': self.ns,
                'router-ns': self.router_ns, 'address': self.address,
                'public-address': self.public_address, 'gateway': self.gateway}


class _Router:
    def __init__(self, index, nat, ns):
        self.index = index
        self.nat = nat
        self.ns = ns
        self.hosts = 0

    @property
    def wan_address(self):
        return f'203.0.113.{100 + self.index}'

    @property
    def lan_address(self):
        return f'198.51.100.{16 * self.index + 1}'


class Lab:
    """A NAT lab: a public namespace with coturn, and hosts behind NATs."""

    def __init__(self, prefix=None, coturn=True, coturn_args=(), turn_user='burrow',
                 turn_password='burrowpass', realm='burrow.test', clean_stale=True):
        self._auto_prefix = prefix is None
        if prefix is None:
            prefix = self._new_prefix()
        if not PREFIX_RE.match(prefix):
            raise ValueError(f'lab prefix {prefix!r} must match {PREFIX_RE.pattern}')
        self.prefix = prefix
        self.public_ns = f'{prefix}-pub'
        self.server_address = SERVER_ADDRESS
        self.alt_server_address = ALT_SERVER_ADDRESS
        self.stun_port = STUN_PORT
        self.alt_stun_port = ALT_STUN_PORT
        self.turn_user = turn_user
        self.turn_password = turn_password
        self.realm = realm
        self.hosts = {}
        self.coturn_pid = None
        self._coturn = coturn
        self._coturn_args = list(coturn_args)
        self._clean_stale = clean_stale
        self._routers = []
        self._namespaces = []
        self._procs = []
        self._persistent = False
        self._started = False
        self._closed = False
        self.state_dir = os.path.join(STATE_DIR, prefix)

    # -- life cycle ---------------------------------------------------------

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        """Creates the public namespace and starts coturn."""
        if self._started:
            return self
        self._started = True
        _install_handlers()
        if self._clean_stale:
            cleanup_stale()
        self._claim_prefix()
        _live_labs.append(self)
        try:
            self._add_ns(self.public_ns)
            self._ip_batch(self.public_ns, [
                'link add br0 type bridge forward_delay 0 stp_state 0',
                f'addr add {SERVER_ADDRESS}/24 dev br0',
                f'addr add {ALT_SERVER_ADDRESS}/24 dev br0',
                'link set br0 up',
            ])
            if self._coturn:
                self._start_coturn()
            self._save_state()
        except BaseException:
            self.close()
            raise
        return self

    @staticmethod
    def _new_prefix():
        suffix = ''.join(random.choices(string.ascii_lowercase + string.digits, k=2))
        return f'bl{os.getpid() % 10000}{suffix}'

    def _claim_prefix(self):
        """Creates the state file exclusively, so two labs never share a
        prefix (an automatic prefix is re-drawn on a clash)."""
        os.makedirs(STATE_DIR, exist_ok=True)
        for _ in range(50):
            path = _state_path(self.prefix)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                fd = None
            if fd is not None and _ns_exists(self.public_ns):
                os.close(fd)
                os.unlink(path)
                fd = None
            if fd is not None:
                os.close(fd)
                break
            if not self._auto_prefix:
                raise LabError(f'a lab named {self.prefix} already exists '
                               f'(burrow-lab down {self.prefix})')
            self.prefix = self._new_prefix()
            self.public_ns = f'{self.prefix}-pub'
            self.state_dir = os.path.join(STATE_DIR, self.prefix)
        else:
            raise LabError('could not find a free lab prefix')
        os.makedirs(self.state_dir, exist_ok=True)
        self._save_state()

    def close(self):
        """Kills every process and deletes every namespace. Idempotent."""
        if self._closed or self._persistent:
            return
        self._closed = True
        # Finish the teardown even if another SIGTERM or SIGINT arrives.
        blocked = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
        old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            for proc in self._procs:
                if proc.poll() is None:
                    _killpg(proc, signal.SIGTERM)
            deadline = time.monotonic() + TEARDOWN_GRACE
            for proc in self._procs:
                try:
                    proc.wait(timeout=max(0.01, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    _killpg(proc, signal.SIGKILL)
                    try:
                        proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        pass
            _destroy_from_state(self.prefix, {'namespaces': self._namespaces})
        finally:
            if self in _live_labs:
                _live_labs.remove(self)
            signal.pthread_sigmask(signal.SIG_SETMASK, old)

    def detach(self):
        """Leaves the lab running after this process exits (`burrow-lab up`).

        The state file then names no owner, so cleanup_stale() keeps it;
        `burrow-lab down PREFIX` removes it.
        """
        self._persistent = True
        if self in _live_labs:
            _live_labs.remove(self)
        self._save_state()

    # -- namespaces -------------------------------------------------------

    def _add_ns(self, ns):
        if len(ns) > 15:
            raise LabError(f'namespace name {ns} is longer than 15 characters')
        self._namespaces.append(ns)
        self._save_state()
        _run(['ip', 'netns', 'add', ns])
        self._ip_batch(ns, ['link set lo up'])
        run_in_ns(ns, ['sysctl', '-q', '-w',
                       'net.ipv6.conf.all.disable_ipv6=1',
                       'net.ipv6.conf.default.disable_ipv6=1'], timeout=COMMAND_TIMEOUT,
                  check=True)

    def _ip_batch(self, ns, lines):
        _run(['ip', '-n', ns, '-batch', '-'], input='\n'.join(lines) + '\n')

    def _veth(self, ns_a, name_a, ns_b, name_b):
        """A veth pair created straight inside the namespaces (never in the
        root namespace)."""
        _run(['ip', '-n', ns_a, 'link', 'add', name_a, 'type', 'veth',
              'peer', 'name', name_b, 'netns', ns_b])

    def popen_ns(self, ns, argv, **kw):
        """Starts @argv in namespace @ns (one of this lab's) in a new session;
        the process group is killed at teardown."""
        kw.setdefault('start_new_session', True)
        kw.setdefault('stdin', subprocess.DEVNULL)
        proc = subprocess.Popen(_ns_argv(ns, argv), **kw)
        self._procs.append(proc)
        return proc

    # -- coturn -----------------------------------------------------------

    def _start_coturn(self):
        argv = ['turnserver', '-n',
                '--listening-ip', SERVER_ADDRESS, '--listening-ip', ALT_SERVER_ADDRESS,
                '--listening-port', str(STUN_PORT), '--alt-listening-port', str(ALT_STUN_PORT),
                '--no-tls', '--no-dtls', '--no-cli',
                '--log-file', 'stdout', '--simple-log', '--no-stdout-log',
                '--pidfile', os.path.join(self.state_dir, 'turnserver.pid'),
                '--userdb', os.path.join(self.state_dir, 'turndb')]
        if self.turn_user:
            argv += ['--lt-cred-mech', '--user', f'{self.turn_user}:{self.turn_password}',
                     '--realm', self.realm]
        else:
            argv += ['--no-auth']
        argv += self._coturn_args
        log = open(os.path.join(self.state_dir, 'turnserver.log'), 'w')
        with log:
            proc = self.popen_ns(self.public_ns, argv, stdout=log, stderr=subprocess.STDOUT)
        self.coturn_pid = proc.pid
        endpoints = [f'{a}:{p}' for a in (SERVER_ADDRESS, ALT_SERVER_ADDRESS)
                     for p in (STUN_PORT, ALT_STUN_PORT)]
        res = run_in_ns(self.public_ns, [_PYTHON, os.path.join(_HERE, 'labprobe.py'),
                                         'wait-stun', str(COTURN_READY_TIMEOUT)] + endpoints,
                        timeout=COTURN_READY_TIMEOUT + 5)
        if res.returncode != 0 or proc.poll() is not None:
            raise LabError(f'coturn did not answer STUN within {COTURN_READY_TIMEOUT} s '
                           f'({res.stderr.strip()}); its log:\n{self.coturn_log()[-3000:]}')

    def coturn_log(self):
        """Returns coturn's log so far ('' without coturn)."""
        try:
            with open(os.path.join(self.state_dir, 'turnserver.log'), errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    # -- hosts ------------------------------------------------------------

    def add_host(self, name, nat=None, behind=None):
        """Adds host @name behind a NAT of type @nat; returns the Host.

        @nat is one of NAT_TYPES, 'port-restricted' when None. nat='none' puts
        the host straight on the public bridge. Every other type gets a router
        namespace of its own, unless @behind names an existing Host: then the
        new host shares that host's router and LAN (and @nat must be None or
        that router's type).
        """
        if not self._started:
            raise LabError('start the lab first (with Lab() as lab: …)')
        if name in self.hosts or not re.match(r'^[A-Za-z0-9_.-]{1,32}$', name):
            raise ValueError(f'host name {name!r} is taken or invalid')
        if behind is not None:
            router = self._router_of(behind)
            if nat not in (None, router.nat):
                raise ValueError(f'{behind.name} is behind a {router.nat} NAT, not {nat}')
            return self._add_lan_host(name, router)
        if nat is None:
            nat = 'port-restricted'
        if nat not in NAT_TYPES:
            raise ValueError(f'unknown NAT type {nat!r}; expected one of {NAT_TYPES}')
        index = len(self._routers) + 1
        if index > MAX_ROUTERS:
            raise LabError(f'a lab holds at most {MAX_ROUTERS} routers and public hosts')
        self._routers.append(None)
        if nat == 'none':
            return self._add_public_host(name, index)
        router = _Router(index, nat, f'{self.prefix}-r{index}')
        self._routers[index - 1] = router
        self._add_router(router)
        return self._add_lan_host(name, router)

    def _router_of(self, host):
        for router in self._routers:
            if router and host.router_ns == router.ns:
                return router
        raise ValueError(f'{host.name} has no router to share')

    def _add_public_host(self, name, index):
        ns = f'{self.prefix}-h{index}'
        address = f'203.0.113.{100 + index}'
        self._add_ns(ns)
        self._veth(self.public_ns, f'p{index}', ns, 'eth0')
        self._ip_batch(self.public_ns, [f'link set p{index} master br0', f'link set p{index} up'])
        self._ip_batch(ns, [f'addr add {address}/24 dev eth0', 'link set eth0 up'])
        host = Host(self, name, 'none', ns, None, address, address, None, index)
        return self._register(host)

    def _add_router(self, router):
        i = router.index
        ns = router.ns
        self._add_ns(ns)
        self._veth(self.public_ns, f'p{i}', ns, 'wan')
        self._ip_batch(self.public_ns, [f'link set p{i} master br0', f'link set p{i} up'])
        self._ip_batch(ns, [
            f'addr add {router.wan_address}/24 dev wan',
            'link set wan up',
            'link add lan type bridge forward_delay 0 stp_state 0',
            f'addr add {router.lan_address}/28 dev lan',
            'link set lan up',
        ])
        run_in_ns(ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
                  timeout=COMMAND_TIMEOUT, check=True)
        res = run_in_ns(ns, ['nft', '-f', '-'], input=_nat_ruleset(router.nat),
                        timeout=COMMAND_TIMEOUT)
        if res.returncode != 0:
            raise LabError(f'nft rejected the {router.nat} ruleset: {res.stderr.strip()}')

    def _add_lan_host(self, name, router):
        if router.hosts >= MAX_HOSTS_PER_LAN:
            raise LabError(f'the LAN of {router.ns} is full')
        router.hosts += 1
        j = router.hosts
        i = router.index
        ns = f'{self.prefix}-h{i}' if j == 1 else f'{self.prefix}-h{i}x{j}'
        address = f'198.51.100.{16 * i + 1 + j}'
        self._add_ns(ns)
        self._veth(router.ns, f'l{j}', ns, 'eth0')
        self._ip_batch(router.ns, [f'link set l{j} master lan', f'link set l{j} up'])
        self._ip_batch(ns, [
            f'addr add {address}/28 dev eth0',
            'link set eth0 up',
            f'route add default via {router.lan_address}',
        ])
        host = Host(self, name, router.nat, ns, router.ns, address, router.wan_address,
                    router.lan_address, i)
        return self._register(host)

    def _register(self, host):
        self.hosts[host.name] = host
        self._save_state()
        return host

    # -- running things in the public namespace ----------------------------

    def run_public(self, argv, timeout=30, env=None, check=False, input=None, text=True):
        """Runs @argv in the public namespace (see run_in_ns)."""
        return run_in_ns(self.public_ns, argv, timeout=timeout, env=env, check=check,
                         input=input, text=text)

    def popen_public(self, argv, **kw):
        """Starts @argv in the public namespace; killed at lab teardown."""
        return self.popen_ns(self.public_ns, argv, **kw)

    def public_agent(self, address=SERVER_ADDRESS, port=0, reflect=False):
        """Returns a UdpAgent bound to @address:@port in the public namespace.

        @address is one of the server addresses or a public host's address.
        """
        return UdpAgent(self.popen_ns, self.public_ns, address, port, reflect)

    # -- description ------------------------------------------------------

    def describe(self):
        """Returns the lab as a JSON-able dict (also its state file)."""
        return {
            'prefix': self.prefix,
            'owner-pid': None if self._persistent else os.getpid(),
            'owner-start': None if self._persistent else _pid_start_time(os.getpid()),
            'public-ns': self.public_ns,
            'server-address': self.server_address,
            'alt-server-address': self.alt_server_address,
            'stun-port': self.stun_port,
            'alt-stun-port': self.alt_stun_port,
            'turn-user': self.turn_user,
            'turn-password': self.turn_password,
            'realm': self.realm,
            'coturn-pid': self.coturn_pid,
            'coturn-log': os.path.join(self.state_dir, 'turnserver.log') if self._coturn else None,
            'namespaces': list(self._namespaces),
            'hosts': {name: h.describe() for name, h in self.hosts.items()},
        }

    def _save_state(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        path = _state_path(self.prefix)
        tmp = f'{path}.{os.getpid()}.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.describe(), f, indent=2)
        os.replace(tmp, path)


if __name__ == '__main__':
    print('burrowlab is a module; use tests/lab/burrow-lab to drive the lab by hand',
          file=sys.stderr)
    sys.exit(2)
