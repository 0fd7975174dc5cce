"""node/p2p: three in-process hosts form a mesh and deliver; the validator decides; the crafted
message that crashes unguarded py-libp2p is dropped; a lost peer is redialed."""

from __future__ import annotations

import hashlib
import time

import pytest
import trio

from node.p2p import P2PConfig, P2PService
from node.p2p.identity import (
    IdentityError,
    generate_identity,
    load_identity,
    peer_id_of,
    save_identity,
)

from .p2p_helpers import V

pytestmark = pytest.mark.timeout(90)


def accept_all(peer, data):
    if data.startswith(b"bad"):
        return V.REJECT
    if data.startswith(b"meh"):
        return V.IGNORE
    if data.startswith(b"boom"):
        raise RuntimeError("validator bug")
    return V.ACCEPT


async def _start(nursery, count, validator=accept_all):
    first = P2PService(P2PConfig(), generate_identity(), validator)
    await nursery.start(first.run)
    boot = tuple(first.listen_addrs())
    services = [first]
    for _ in range(count - 1):
        svc = P2PService(P2PConfig(bootstrap=boot), generate_identity(), validator)
        await nursery.start(svc.run)
        services.append(svc)
    for svc in services:
        await svc.wait_for_peers(1, mesh=True)
    return services


async def _receive(svc, predicate):
    async for _peer, data in svc.inbound:
        if predicate(data):
            return data


def test_identity_file_round_trip(tmp_path):
    key = generate_identity()
    path = tmp_path / "keys" / "p2p.key"
    save_identity(path, key)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert load_identity(path) == key and peer_id_of(key).startswith("16Uiu2")
    with pytest.raises(Exception, match="refusing to overwrite"):
        save_identity(path, key)
    (tmp_path / "bad.key").write_text("zz")
    (tmp_path / "bad.key").chmod(0o600)
    with pytest.raises(IdentityError, match="hex"):
        load_identity(tmp_path / "bad.key")
    with pytest.raises(IdentityError, match="not found"):
        load_identity(tmp_path / "missing.key")


async def test_mesh_delivers_and_measures_latency():
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            a, b, c = await _start(nursery, 3)
            await c.wait_for_peers(1, mesh=True)
            latencies = []
            for i in range(60):
                payload = f"msg {i} {time.perf_counter_ns()}".encode()
                sent = time.perf_counter()
                await a.publish(payload)
                await _receive(c, lambda d, p=payload: d == p)
                latencies.append(time.perf_counter() - sent)
            await c.publish(b"back the other way")
            assert await _receive(a, lambda d: d == b"back the other way")
            latencies.sort()
            p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
            print(f"gossip delivery a->c: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
            assert p50 < 1.0
            nursery.cancel_scope.cancel()


async def test_validator_verdicts_rejects_and_a_raising_validator():
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            a, b = await _start(nursery, 2)
            for data in (b"bad one", b"meh one", b"boom one", b"good one"):
                await a.publish(data)
            # b only ever sees the accepted message, and keeps running after "boom"
            assert await _receive(b, lambda d: True) == b"good one"
            # a's own validator rejected its bad publish too; b never got it to count
            assert a.stats["rejected"] >= 1 and a.stats["ignored"] >= 1
            nursery.cancel_scope.cancel()


async def test_garbage_key_message_does_not_crash_the_node():
    """The message from TOOLCHAIN.md defect 1: a garbage public key in the `key` field."""
    from libp2p.peer.id import ID
    from libp2p.pubsub.pb import rpc_pb2

    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            victim, attacker = await _start(nursery, 2)
            # a peer id that does not embed its key (sha2-256 multihash), so the library
            # falls back to deserializing msg.key, which raises on garbage
            fake_from = b"\x12\x20" + hashlib.sha256(b"nobody").digest()
            evil = rpc_pb2.Message(from_id=fake_from, data=b"evil", seqno=b"\x00" * 8,
                                   topicIDs=[victim.config.topic], signature=b"\x01" * 64,
                                   key=b"\xff\xfe garbage key")
            attacker._router.send_rpc(ID.from_base58(victim.peer_id),
                                      rpc_pb2.RPC(publish=[evil]))
            await attacker.publish(b"still alive?")
            assert await _receive(victim, lambda d: True) == b"still alive?"
            nursery.cancel_scope.cancel()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_lost_peer_is_redialed():
    port, hub_key = _free_port(), generate_identity()
    hub_config = P2PConfig(listen=f"/ip4/127.0.0.1/tcp/{port}")
    with trio.fail_after(60):
        async with trio.open_nursery() as nursery:
            hub_scope = trio.CancelScope()

            async def first_hub(task_status=trio.TASK_STATUS_IGNORED):
                with hub_scope:
                    await P2PService(hub_config, hub_key, accept_all).run(task_status=task_status)

            addrs = await nursery.start(first_hub)
            spoke = P2PService(P2PConfig(bootstrap=tuple(addrs), redial_min_seconds=0.1),
                               generate_identity(), accept_all)
            await nursery.start(spoke.run)
            await spoke.wait_for_peers(1)
            hub_scope.cancel()  # the hub goes away ...
            while spoke.peer_count() > 0:
                await trio.sleep(0.05)
            assert spoke.peer_count() == 0
            # ... and comes back on the same address: the spoke dials it again by itself
            await nursery.start(P2PService(hub_config, hub_key, accept_all).run)
            await spoke.wait_for_peers(1)
            assert spoke.peer_count() == 1
            nursery.cancel_scope.cancel()
