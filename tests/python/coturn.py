"""Start coturn on loopback for the STUN and TURN tests (stdlib only).

``Coturn()`` is a plain STUN server; ``Coturn(rfc5780=True)`` adds the
alternate address 127.0.0.2 for NAT discovery; ``Coturn(turn=True)`` is a
TURN server with the long-term user ``burrow``/``burrowpass`` in realm
``burrow.test`` (or, with ``auth_secret=S``, coturn's TURN REST API), that
relays on 127.0.0.1 within a free port range and lets loopback peers in.
``tls=True`` adds a TLS listener with a self-signed certificate made with the
``openssl`` command (``cert_file`` is the file to trust). The server is
stopped and its temporary directory removed by ``stop()``, by leaving a
``with`` block, or when it fails to start; if the test process dies
before that, coturn gets SIGTERM (``setpriv --pdeathsig``).
"""
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

TURN_USER = "burrow"
TURN_PASSWORD = "burrowpass"
TURN_REALM = "burrow.test"


def _free(port, kinds=(socket.SOCK_DGRAM, socket.SOCK_STREAM)):
    for kind in kinds:
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_port_pair():
    for _ in range(200):
        port = random.randrange(20000, 40000)
        if _free(port) and _free(port + 1):
            return port
    raise RuntimeError("no free port pair")


def free_port_range(count):
    """The first port of @count consecutive free UDP ports (40000 to 60000),
    for coturn's relayed addresses."""
    for _ in range(200):
        first = random.randrange(40000, 60000 - count) & ~1
        if all(_free(p, (socket.SOCK_DGRAM,)) for p in range(first, first + count)):
            return first
    raise RuntimeError(f"no {count} free consecutive UDP ports")


def _answers(address, port):
    tid = os.urandom(12)
    request = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + tid
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.1)
    try:
        s.sendto(request, (address, port))
        data, _ = s.recvfrom(2048)
        return data[8:20] == tid
    except OSError:
        return False
    finally:
        s.close()


def _accepts(address, port):
    try:
        with socket.create_connection((address, port), timeout=0.1):
            return True
    except OSError:
        return False


def make_certificate(directory):
    """Makes a self-signed certificate for 127.0.0.1 and localhost in
    @directory; returns the paths of the certificate and its key."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                   timeout=60)
    return cert, key


class Coturn:
    """coturn on 127.0.0.1 (and 127.0.0.2 for RFC 5780) on free ports.

    TURN options (all need ``turn=True``): ``tls`` adds a TLS listener on
    ``tls_port``; ``auth_secret`` switches from the long-term user to the
    TURN REST API with that static secret; ``stale_nonce`` is the nonce
    lifetime in seconds; ``max_allocate_lifetime`` caps allocation lifetimes;
    ``relay_ports`` is how many relay ports to give coturn.
    """

    def __init__(self, rfc5780=False, args=(), turn=False, tls=False, auth_secret=None,
                 stale_nonce=None, max_allocate_lifetime=None, relay_ports=200):
        if (tls or auth_secret or stale_nonce or max_allocate_lifetime) and not turn:
            raise ValueError("TLS and the TURN options need turn=True")
        self.address = "127.0.0.1"
        self.alt_address = "127.0.0.2" if rfc5780 else None
        self.port = free_port_pair()
        self.alt_port = self.port + 1
        self.tls_port = None
        self.cert_file = None
        self.min_port = self.max_port = None
        self.process = None
        self.dir = tempfile.mkdtemp(prefix="burrow-coturn-")
        try:
            self._start(rfc5780, args, turn, tls, auth_secret, stale_nonce,
                        max_allocate_lifetime, relay_ports)
        except BaseException:
            self.stop()
            raise

    def _turn_args(self, tls, auth_secret, stale_nonce, max_allocate_lifetime, relay_ports):
        self.min_port = free_port_range(relay_ports)
        self.max_port = self.min_port + relay_ports - 1
        argv = [f"--realm={TURN_REALM}", f"--relay-ip={self.address}",
                f"--min-port={self.min_port}", f"--max-port={self.max_port}",
                "--allow-loopback-peers"]
        if auth_secret:
            argv += ["--use-auth-secret", f"--static-auth-secret={auth_secret}"]
        else:
            argv += ["--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}"]
        if stale_nonce:
            argv += [f"--stale-nonce={int(stale_nonce)}"]
        if max_allocate_lifetime:
            argv += [f"--max-allocate-lifetime={int(max_allocate_lifetime)}"]
        if tls:
            self.cert_file, key = make_certificate(self.dir)
            self.tls_port = free_port_pair()
            argv += [f"--cert={self.cert_file}", f"--pkey={key}",
                     f"--tls-listening-port={self.tls_port}",
                     f"--alt-tls-listening-port={self.tls_port + 1}"]
        return argv

    def _start(self, rfc5780, args, turn, tls, auth_secret, stale_nonce,
               max_allocate_lifetime, relay_ports):
        argv = ["turnserver", "-n", "--no-cli", "--no-dtls", "--simple-log",
                f"--log-file={self.dir}/turn.log", f"--pidfile={self.dir}/turn.pid",
                f"--db={self.dir}/turndb", f"--listening-ip={self.address}",
                f"--listening-port={self.port}", f"--alt-listening-port={self.alt_port}"]
        argv += [f"--listening-ip={self.alt_address}"] if rfc5780 else ["--no-rfc5780"]
        if turn:
            argv += self._turn_args(tls, auth_secret, stale_nonce, max_allocate_lifetime,
                                    relay_ports)
        if not tls:
            argv += ["--no-tls"]
        argv += list(args)
        # coturn dies with this process, even when a crash skips stop().
        if shutil.which("setpriv"):
            argv = ["setpriv", "--pdeathsig", "TERM", "--"] + argv
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _answers(self.address, self.port) and \
                    (self.tls_port is None or _accepts(self.address, self.tls_port)):
                return
            if self.process.poll() is not None:
                break
        raise RuntimeError("coturn did not start:\n" + self.log_tail())

    def log_tail(self, lines=20):
        """The end of coturn's log, for error messages."""
        try:
            with open(os.path.join(self.dir, "turn.log"), errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
