#!/usr/bin/python3
"""The demo's second half: two burrow-ice processes connect, as two peers
would across the internet, through a STUN/TURN server on loopback; then the
same through the relay only. Each prints one signalling line, which this
script hands to the other (the part a chat or e-mail plays between real
peers), then each peer's stdin goes to the other's stdout.

Usage: demo_connect.py HOST:PORT USER PASSWORD (burrow-ice from
BURROW_ICE_TOOL)."""
import os
import subprocess
import sys
import threading

TIMEOUT = 30


class Peer:
    def __init__(self, name, args):
        self.name = name
        self.process = subprocess.Popen(
            [os.environ["BURROW_ICE_TOOL"], "--local-address", "127.0.0.1", *args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out, self.err = bytearray(), bytearray()
        self.cond = threading.Condition()
        for pipe, buf in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=self.collect, args=(pipe, buf), daemon=True).start()

    def collect(self, pipe, buf):
        while True:
            chunk = os.read(pipe.fileno(), 65536)
            with self.cond:
                buf += chunk
                self.cond.notify_all()
            if not chunk:
                return

    def line(self):
        with self.cond:
            if not self.cond.wait_for(lambda: b"\n" in self.out, TIMEOUT):
                sys.exit(f"{self.name}: no signalling line: {self.err.decode()}")
            return bytes(self.out[:self.out.index(b"\n") + 1])

    def send(self, data):
        self.process.stdin.write(data)
        self.process.stdin.close()

    def finish(self):
        try:
            status = self.process.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            sys.exit(f"{self.name}: did not finish within {TIMEOUT} s")
        with self.cond:
            self.cond.wait_for(lambda: b"\n" in self.out, 1)
        received = bytes(self.out[self.out.index(b"\n") + 1:]).decode(errors="replace")
        selected = [line for line in self.err.decode(errors="replace").splitlines()
                    if line.startswith("selected:")]
        return status, received, selected


def connect(title, args):
    print(f"\n{title}")
    alice = Peer("alice", ["--controlling", "--drain", "2", *args])
    bob = Peer("bob", ["--controlled", "--drain", "2", *args])
    line_a, line_b = alice.line(), bob.line()
    print(f"  alice's line ({len(line_a)} bytes of base64 SDP) goes to bob, bob's to alice")
    bob.process.stdin.write(line_a)
    bob.process.stdin.flush()
    alice.process.stdin.write(line_b)
    alice.process.stdin.flush()
    alice.send(b"hello bob, this is alice\n")
    bob.send(b"hello alice, this is bob\n")
    ok = True
    for peer in (alice, bob):
        status, received, selected = peer.finish()
        print(f"  {peer.name}: {selected[0] if selected else 'no pair selected'}")
        print(f"  {peer.name} received: {received.strip()!r}")
        ok = ok and status == 0 and received.strip() != ""
    return ok


def main():
    server, user, password = sys.argv[1:4]
    relay = ["--turn", server, "-u", user, "-p", password]
    ok = connect(f"burrow-ice: two peers with STUN and TURN at {server} connect; the "
                 "best pair wins (host, here on one machine)", ["--stun", server, *relay])
    ok = connect("burrow-ice --force-relay: the same through the TURN relay only",
                 ["--force-relay", *relay]) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
