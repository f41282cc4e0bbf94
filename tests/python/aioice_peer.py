#!/usr/bin/python3
"""An aioice ICE peer on 127.0.0.1 that echoes datagrams, for interop tests.

Usage: ``aioice_peer.py --controlling|--controlled [--turn HOST:PORT USER PASS]
[--timeout S]``.

It talks JSON, one object a line: on stdout it first writes its local
description ``{"ufrag": …, "pwd": …, "candidates": ["a=candidate:…", …]}``,
then reads the remote one, of the same shape, from stdin. It then connects
and writes ``{"event": "connected"}`` (or ``{"event": "failed", "error": …}``
and exits 1), and echoes each datagram it receives back to the sender,
writing ``{"event": "received", "data": HEX}`` for each. It exits when stdin
closes, on ``{"cmd": "quit"}``, or after ``--timeout`` seconds (exit 2).

aioice gathers on every interface but loopback; the peer gathers on
127.0.0.1 only, by replacing ``aioice.ice.get_host_addresses``. With
``--turn`` it uses only a relayed candidate (TransportPolicy.RELAY, and
checks from the relay only).
"""
import argparse
import asyncio
import json
import sys

import aioice
import aioice.ice
from aioice import Candidate, Connection


def candidate_to_sdp(candidate):
    return "a=candidate:" + candidate.to_sdp()


def candidate_from_sdp(line):
    for prefix in ("a=", "candidate:"):
        if line.startswith(prefix):
            line = line[len(prefix):]
    return Candidate.from_sdp(line)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def stdin_reader():
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def echo(conn):
    while True:
        data, component = await conn.recvfrom()
        emit({"event": "received", "data": data.hex(), "component": component})
        await conn.sendto(data, component)


async def run(args):
    kwargs = {"ice_controlling": args.controlling, "use_ipv6": False}
    if args.turn:
        host, port = args.turn[0].rsplit(":", 1)
        kwargs.update(turn_server=(host, int(port)), turn_username=args.turn[1],
                      turn_password=args.turn[2],
                      transport_policy=aioice.ice.TransportPolicy.RELAY)
    conn = Connection(**kwargs)
    reader = await stdin_reader()
    try:
        await conn.gather_candidates()
        if args.turn:
            # aioice 0.8.0 hides host candidates under TransportPolicy.RELAY
            # but still checks from the host sockets (the peer then sees
            # peer-reflexive candidates): keep only the relayed one.
            conn._protocols = [p for p in conn._protocols
                               if p.local_candidate.type == "relay"]
        emit({"ufrag": conn.local_username, "pwd": conn.local_password,
              "candidates": [candidate_to_sdp(c) for c in conn.local_candidates]})

        line = await reader.readline()
        if not line:
            return 0
        remote = json.loads(line)
        conn.remote_username = remote["ufrag"]
        conn.remote_password = remote["pwd"]
        for sdp in remote["candidates"]:
            await conn.add_remote_candidate(candidate_from_sdp(sdp))
        await conn.add_remote_candidate(None)

        try:
            await conn.connect()
        except ConnectionError as e:
            emit({"event": "failed", "error": str(e)})
            return 1
        emit({"event": "connected"})

        echoing = asyncio.ensure_future(echo(conn))
        try:
            while True:
                line = await reader.readline()
                if not line or json.loads(line).get("cmd") == "quit":
                    return 0
        finally:
            echoing.cancel()
    finally:
        await conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    role = parser.add_mutually_exclusive_group(required=True)
    role.add_argument("--controlling", dest="controlling", action="store_true")
    role.add_argument("--controlled", dest="controlling", action="store_false")
    parser.add_argument("--turn", nargs=3, metavar=("HOST:PORT", "USER", "PASS"))
    parser.add_argument("--timeout", type=float, default=40)
    args = parser.parse_args()

    # Host candidates on loopback only (aioice itself skips 127.0.0.1).
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

    async def bounded():
        try:
            return await asyncio.wait_for(run(args), args.timeout)
        except asyncio.TimeoutError:
            emit({"event": "failed", "error": f"timed out after {args.timeout} s"})
            return 2

    return asyncio.run(bounded())


if __name__ == "__main__":
    sys.exit(main())
