"""A flooding outsider, as an OS process, for `scripts/bench flood` and the devnet's `--flooders`.

    python -m node.bench.flooder --target MULTIADDR [--target ...] --report FILE

It is a stock py-libp2p host that is not in the guardian set (or, with --identity, one that holds
a guardian's libp2p key: an insider). It keeps dialing every target, ignoring the library's
negative dial cache; on a connection that is admitted (a guardian with `outsiders = observe`, or
any guardian for an insider) it subscribes and streams validly signed pubsub messages carrying
forged guardian Shares (they decode, and fail only at the BLS signature check: the most expensive
thing a message can make a guardian do), and with every batch the frames that make py-libp2p log
(an RPC with a garbage senderRecord, an oversized length prefix) and a PRUNE whose peer exchange
names the flooder's own address; every 50 messages a malformed frame (py-libp2p's DecodeError).
It runs until SIGTERM or --seconds, then writes what it did as JSON to --report.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

import trio
from libp2p.peer.peerstore import env_to_send_in_RPC
from libp2p.pubsub.pb import rpc_pb2

from node.bench.outsider import DECODE_ERROR_FRAME, outsider
from protocol import messages
from protocol.bls import get_backend
from protocol.gossip_rules import TOPIC

BATCH = 25
# Frames py-libp2p answered with log lines of its own: two per garbage senderRecord, one per
# length prefix over its RPC size limit.
GARBAGE_RECORD_RPC = rpc_pb2.RPC(senderRecord=b"\x0a\x03not an envelope").SerializeToString()
OVERSIZED_PREFIX = b"\xff\xff\xff\x0f"


def forged_share(backend, stranger: int) -> bytes:
    """A Share that decodes but whose guardian signature is wrong (made with a stranger's key,
    claiming guardian 1). Each is new, so no seen-cache spares its validation."""
    digest = os.urandom(32)
    partial = backend.sign(stranger, digest, b"GUARDIAN-NETWORK-FLOOD")
    share = messages.Share(os.urandom(32), digest, partial, 1, b"")
    return messages.encode(messages.sign_message(share, stranger, backend))


async def flood(targets: list[str], seconds: float, report: dict,
                secret: bytes | None = None) -> None:
    backend = get_backend()
    stranger = int.from_bytes(os.urandom(31), "big") + 1
    report.update(connect_attempts=0, connected=0, refused=0, messages=0, malformed_frames=0,
                  log_frames=0, px_prunes=0)
    deadline = trio.current_time() + seconds
    async with outsider(secret=secret) as me:
        report["peer_id"] = me.peer_id
        envelope, _ = env_to_send_in_RPC(me.host)
        px_prune = rpc_pb2.RPC(control=rpc_pb2.ControlMessage(prune=[rpc_pb2.ControlPrune(
            topicID=TOPIC, backoff=1, peers=[rpc_pb2.PeerInfo(
                peerID=me.host.get_id().to_bytes(), signedPeerRecord=envelope)])])
        ).SerializeToString()

        async def one(addr: str) -> None:
            seq = 0
            while trio.current_time() < deadline:
                report["connect_attempts"] += 1
                try:
                    await me.connect(addr, timeout=5)
                except Exception:  # noqa: BLE001 - refused after the handshake (deny)
                    report["refused"] += 1
                    await trio.sleep(0.05)  # a pace, not synchronisation
                    continue
                report["connected"] += 1
                sub = rpc_pb2.RPC.SubOpts(subscribe=True, topicid=TOPIC)
                while trio.current_time() < deadline:
                    batch = []
                    for _ in range(BATCH):
                        seq += 1
                        batch.append(me.signed_message(TOPIC, forged_share(backend, stranger),
                                                       seq))
                    rpc = rpc_pb2.RPC(subscriptions=[sub], publish=batch)
                    frames = [rpc.SerializeToString(), GARBAGE_RECORD_RPC, px_prune]
                    report["log_frames"] += 1
                    report["px_prunes"] += 1
                    if seq % 50 < BATCH:
                        frames.append(DECODE_ERROR_FRAME)
                        report["malformed_frames"] += 1
                    await me.send_frames(addr, frames)
                    await me.send_frames(addr, [OVERSIZED_PREFIX], prefixed=False)
                    report["log_frames"] += 1
                    report["messages"] += BATCH
                    if me.host.get_network().connections.get(_peer(addr)) is None:
                        break  # disconnected (banned): dial again
                    await trio.sleep(0)

        async with trio.open_nursery() as nursery:
            for addr in targets:
                nursery.start_soon(one, addr)


def _peer(addr: str):
    from libp2p.peer.id import ID

    return ID.from_base58(addr.rsplit("/p2p/", 1)[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m node.bench.flooder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", action="append", required=True, help="guardian multiaddr")
    parser.add_argument("--seconds", type=float, default=3600.0, help="stop after this long")
    parser.add_argument("--report", type=Path, required=True, help="JSON file written at exit")
    parser.add_argument("--identity", type=Path, default=None,
                        help="libp2p identity file to flood with (e.g. a compromised guardian's "
                             "p2p.key); default: a new random identity")
    parser.add_argument("--nice", action="store_true",
                        help="run at the lowest CPU priority: on one machine with the guardians, "
                             "measure what they pay, not the attacker's own CPU taken from them")
    args = parser.parse_args(argv)
    if args.nice:
        os.nice(19)
    secret = None
    if args.identity is not None:
        from node.p2p.identity import load_identity

        secret = load_identity(args.identity)
    report: dict = {"started": time.time()}

    def on_term(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        trio.run(flood, args.target, args.seconds, report, secret)
    except KeyboardInterrupt:
        pass
    finally:
        report["seconds"] = round(time.time() - report.pop("started"), 2)
        args.report.write_text(json.dumps(report) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
