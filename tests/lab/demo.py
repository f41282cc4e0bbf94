#!/usr/bin/python3
"""Demo: burrow-stun --discover from behind each kind of emulated NAT.

Run by `./dev.sh demo` as root. Builds a lab (tests/lab/burrowlab.py) with
coturn on the "public" side and one host behind each NAT type, runs the
Burrow tool inside each host's namespace and prints what it found.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import burrowlab  # noqa: E402

TOOL = os.environ.get("BURROW_STUN_TOOL", "burrow-stun")
TYPES = ["none", "full-cone", "restricted-cone", "port-restricted", "symmetric", "udp-blocked"]


def main():
    with burrowlab.Lab() as lab:
        server = f"{lab.server_address}:{lab.stun_port}"
        print(f"coturn (RFC 5780) on {lab.server_address} and {lab.alt_server_address}")
        print(f"{'emulated NAT':<18}{'discovered':<18}{'mapping':<28}{'filtering':<28}external")
        wrong = 0
        for i, nat in enumerate(TYPES):
            host = lab.add_host(f"h{i}", nat=nat)
            res = host.run([TOOL, "--discover", "--json", "--rto", "100",
                            "--retransmissions", "4", server], timeout=60)
            if res.returncode != 0:
                print(f"{nat:<18}error: {res.stderr.strip()}")
                wrong += 1
                continue
            report = json.loads(res.stdout)
            found = report["nat-type"]
            wrong += found != nat
            print(f"{nat:<18}{found:<18}{report['mapping']:<28}{report['filtering']:<28}"
                  f"{report['external-address']}")
        return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
