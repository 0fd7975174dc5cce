"""Heartbeats: one per period, and one soon after the mesh grows or the first head arrives, so a
starting network hears of every member in about a second (it waited a whole period)."""

from __future__ import annotations

import trio

from node.records import BlockHeader, GuardianKey
from node.status import FAST_BEAT_SECONDS, Heartbeats, NodeState
from protocol import messages
from protocol.bls import get_backend

B = get_backend()


class FakeP2P:
    def __init__(self) -> None:
        self.mesh = 0

    def peer_count(self) -> int:
        return self.mesh

    def mesh_peer_count(self) -> int:
        return self.mesh

    def peer_report(self) -> dict:
        return {}


async def test_a_beat_follows_a_mesh_change_and_the_first_head(autojump_clock):
    p2p, beats, head = FakeP2P(), [], [None]

    async def publish(data: bytes) -> None:
        beats.append((trio.current_time(), messages.decode(data, B)))

    hb = Heartbeats(state=NodeState("g1", 1), key=GuardianKey(1, 7), key_epoch=1, backend=B,
                    p2p=p2p, publish=publish, header=lambda: head[0], period=5.0)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(hb.run)
        start = trio.current_time()
        await trio.sleep(1.0)
        assert beats == []  # no head yet: nothing to say
        head[0] = BlockHeader(7, b"\x01" * 32, 1_700_000_000)
        await trio.sleep(FAST_BEAT_SECONDS + 0.01)
        assert len(beats) == 1 and beats[0][1].head_block == 7  # not 5 s after start
        await trio.sleep(1.0)
        p2p.mesh = 1  # a peer joined the mesh after our beat
        await trio.sleep(FAST_BEAT_SECONDS + 0.01)
        assert len(beats) == 2 and beats[1][0] - start < 2.6
        await trio.sleep(3.0)
        assert len(beats) == 2  # otherwise one per period
        await trio.sleep(2.5)
        assert len(beats) == 3
        nursery.cancel_scope.cancel()
