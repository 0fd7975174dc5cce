"""Several guardians in one trio run (tests and quick experiments): the same `Guardian` services
the daemon runs, each with its own store, keys and libp2p host on loopback."""

from __future__ import annotations

import random
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import trio

from node.assembly import Guardian, assemble
from node.chain.bridge import AsyncioThread
from node.chain.oracle import OracleClient
from node.chain.rpc import ChainRpc
from node.config import PendingSection
from node.metrics import Metrics
from node.p2p import P2PConfig
from node.p2p.identity import generate_identity, peer_id_of
from node.records import GuardianKey
from node.store import Store
from protocol import threshold
from protocol.bls import Backend
from protocol.guardian_set import GuardianSet


@dataclass
class Network:
    gset: GuardianSet
    dealing: threshold.Dealing
    guardians: dict[int, Guardian] = field(default_factory=dict)
    scopes: dict[int, trio.CancelScope] = field(default_factory=dict)
    stores: dict[int, Path] = field(default_factory=dict)
    identities: dict[int, bytes] = field(default_factory=dict)
    bootstrap: tuple[str, ...] = ()


def deal(n: int, t: int, backend: Backend, seed: int | None = None) -> tuple[threshold.Dealing,
                                                                          GuardianSet]:
    rng = random.Random(seed) if seed is not None else None
    dealing = threshold.deal(n, t, backend=backend, rng=rng)
    return dealing, GuardianSet.from_dealing(dealing, 1, backend)


@asynccontextmanager
async def guardian_network(*, dealing: threshold.Dealing, gset: GuardianSet, backend: Backend,
                           rpc_url: str, ws_url: str, oracle: bytes, chain_id: int,
                           submitter_keys: dict[int, bytes], data_dir: Path,
                           indices: list[int] | None = None, stagger_seconds: float = 1.0,
                           validator_wrap=None, blind: frozenset[int] = frozenset(),
                           outsiders: str = "deny", pending=None, cover=None):
    """Start guardians `indices` (default all); yields the Network; stops them on exit.
    Guardians in `blind` run no detectors and watch no pending transactions: they sign only
    what peers report. `pending` is the guardians' `PendingSection`; without it they watch no
    pending transactions (the mined-block path alone, as the older tests expect). `outsiders` is
    the guardians' policy for libp2p peers outside the set (deny, or observe). `cover`: their
    `[cover]` section (a `CoverSection` with the factory: breach confirmations on)."""
    if not gset.peer_ids:  # the guardians recognise each other by the peer ids in their set
        identities = [generate_identity() for _ in range(gset.n)]
        gset = gset.with_peer_ids([peer_id_of(i) for i in identities])
    else:
        identities = None
    net = Network(gset, dealing)
    if identities is not None:
        net.identities.update(enumerate(identities, 1))
    with AsyncioThread() as bridge:
        async with trio.open_nursery() as nursery:
            async def start(index: int) -> Guardian:
                identity = net.identities.setdefault(index, generate_identity())
                store_path = net.stores.setdefault(index, data_dir / f"guardian-{index}.sqlite")
                rpc = ChainRpc(rpc_url)
                client = OracleClient(rpc, oracle, submitter_key=submitter_keys[index],
                                      chain_id=chain_id)
                guardian = assemble(
                    name=f"guardian-{index}", key=GuardianKey(index, dealing.shares[index - 1]),
                    guardian_set=gset, backend=backend, store=Store(store_path), oracle=client,
                    ws_url=ws_url, bridge=bridge, chain_id=chain_id, oracle_address=oracle,
                    identity=identity, metrics=Metrics(),
                    p2p_config=P2PConfig(bootstrap=net.bootstrap, redial_min_seconds=0.2,
                                         members=gset.peer_ids, outsiders=outsiders),
                    validator_wrap=(None if validator_wrap is None
                                    else lambda validate: validator_wrap(index, validate)),
                    stagger_seconds=stagger_seconds, heartbeat_seconds=1.0,
                    detectors=[] if index in blind else None,
                    pending=(pending if pending is not None and index not in blind
                             else PendingSection(max_per_block=0)),
                    cover_config=cover)
                p2p = guardian.p2p
                scope = trio.CancelScope()

                async def life(task_status=trio.TASK_STATUS_IGNORED):
                    with scope:
                        try:
                            await guardian.run(task_status=task_status)
                        finally:
                            guardian.store.close()

                await nursery.start(life)
                net.guardians[index] = guardian
                net.scopes[index] = scope
                if not net.bootstrap:
                    net.bootstrap = tuple(p2p.listen_addrs())
                return guardian

            net.start = start  # type: ignore[attr-defined]

            def stop(index: int) -> None:
                net.scopes[index].cancel()

            net.stop = stop  # type: ignore[attr-defined]
            for index in indices or range(1, gset.n + 1):
                await start(index)
            try:
                yield net
            finally:
                nursery.cancel_scope.cancel()
