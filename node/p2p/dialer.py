"""Keeping the configured guardians connected: dial each bootstrap peer and redial it whenever it
is lost (py-libp2p reconnects nothing by itself), with exponential backoff, forever. Docker service
names (/dns4/...) are resolved on every attempt, since a container's address can change."""

from __future__ import annotations

import logging
import socket

import multiaddr
import trio
from libp2p.peer.peerinfo import info_from_p2p_addr

log = logging.getLogger("guardian.p2p")


async def keep_connected(host, own_peer_id: str, addr: str, config, stats: dict) -> None:
    """Dial a bootstrap peer and redial it whenever it is lost (defect 10)."""
    try:
        info = info_from_p2p_addr(multiaddr.Multiaddr(addr))
    except Exception as exc:  # noqa: BLE001 - a bad address is a config error
        log.error("p2p: bad bootstrap address %s: %s", addr, exc)
        return
    if info.peer_id.to_base58() == own_peer_id:
        return
    delay = config.redial_min_seconds
    while True:
        if info.peer_id not in host.get_connected_peers():
            try:
                if "/dns" in addr:  # docker service names: resolve on every attempt
                    info = info_from_p2p_addr(multiaddr.Multiaddr(await _resolve(addr)))
                with trio.fail_after(10):
                    await host.connect(info)
                log.info("p2p: connected to %s", info.peer_id.to_base58())
                delay = config.redial_min_seconds
            except Exception as exc:  # noqa: BLE001 - unreachable peers are normal
                stats["redials"] += 1
                log.debug("p2p: dial %s failed (%s); retry in %.1fs", addr, exc, delay)
                await trio.sleep(delay)
                delay = min(delay * 2, config.redial_max_seconds)
                continue
        await trio.sleep(config.redial_min_seconds)  # watch the connection


async def _resolve(addr: str) -> str:
    """/dns4/<name>/tcp/... -> /ip4/<address>/tcp/... (a container's address can change)."""
    parts = addr.split("/")
    name = parts[2]
    infos = await trio.to_thread.run_sync(
        lambda: socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM))
    parts[1], parts[2] = "ip4", infos[0][4][0]
    return "/".join(parts)
