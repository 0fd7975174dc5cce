"""The p2p service's periodic upkeep: cut off banned peers, free the slots of observers that left,
and notice a library service that stopped without raising (py-libp2p then leaves a zombie node:
listening, serving nothing), which the service answers by rebuilding its host."""

from __future__ import annotations

import logging

import trio

from node.errors import NodeError
from node.p2p.peers import PeerLedger

log = logging.getLogger("guardian.p2p")


class LibraryServiceStopped(NodeError, RuntimeError):
    """A py-libp2p service (swarm, pubsub, router) is no longer running."""


async def upkeep(host, ledger: PeerLedger, services: dict[str, object]) -> None:
    for name, obj in services.items():
        manager = getattr(obj, "manager", None)
        if manager is not None and not manager.is_running:
            raise LibraryServiceStopped(f"the libp2p {name} service stopped")
    connected = {p.to_base58(): p for p in host.get_connected_peers()}
    for name in ledger.banned_peers():
        if name in connected:
            with trio.move_on_after(5):
                try:
                    await host.disconnect(connected[name])
                except Exception as exc:  # noqa: BLE001 - already gone is fine
                    log.debug("p2p: disconnect %s: %s", name, exc)
    ledger.forget_observers_except(connected)
