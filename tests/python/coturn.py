"""Start coturn on loopback for the binding tests (stdlib only)."""
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time


def _free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
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


class Coturn:
    """coturn on 127.0.0.1 (and 127.0.0.2 for RFC 5780) on free ports."""

    def __init__(self, rfc5780=False, args=()):
        self.address = "127.0.0.1"
        self.alt_address = "127.0.0.2" if rfc5780 else None
        self.port = free_port_pair()
        self.alt_port = self.port + 1
        self.dir = tempfile.mkdtemp(prefix="burrow-coturn-")
        argv = ["turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--simple-log",
                f"--log-file={self.dir}/turn.log", f"--pidfile={self.dir}/turn.pid",
                f"--db={self.dir}/turndb", f"--listening-ip={self.address}",
                f"--listening-port={self.port}", f"--alt-listening-port={self.alt_port}"]
        argv += [f"--listening-ip={self.alt_address}"] if rfc5780 else ["--no-rfc5780"]
        argv += list(args)
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if _answers(self.address, self.port):
                return
            if self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("coturn did not start")

    def stop(self):
        if self.process.poll() is None:
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
