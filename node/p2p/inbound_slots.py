"""Defect 14 of `node.p2p.guards`: the Swarm's handler of an inbound connection holds one of its
250 inbound slots until the Swarm stops, not until the connection ends, so after 250 inbound
connections in a node's life (reconnecting guardians, observers, anyone who completes a
handshake) it refuses every new one. `release_inbound_slots` ends the handler when its
connection closes."""

from __future__ import annotations

import contextvars

import trio

_upgraded: contextvars.ContextVar[list | None] = contextvars.ContextVar("upgraded", default=None)


def release_inbound_slots(swarm) -> None:
    upgrade_inner = swarm.upgrade_inbound_raw_conn
    handle_inner = swarm._do_handle_inbound_connection

    async def upgrade(raw_conn, maddr):
        muxed = await upgrade_inner(raw_conn, maddr)
        holder = _upgraded.get()
        if holder is not None:
            holder.append(muxed)
        return muxed

    async def handle(read_write_closer, maddr, failure_event) -> None:
        holder: list = []
        token = _upgraded.set(holder)
        try:
            async with trio.open_nursery() as nursery:
                async def end_with_connection() -> None:
                    while not holder:  # the upgrade is still under way (bounded by its timeout)
                        await trio.sleep(0.5)
                    closed = getattr(holder[0], "event_closed", None)
                    if closed is None:
                        return  # no way to tell: keep the library's behaviour
                    await closed.wait()
                    nursery.cancel_scope.cancel()

                nursery.start_soon(end_with_connection)
                await handle_inner(read_write_closer, maddr, failure_event)
                nursery.cancel_scope.cancel()
        finally:
            _upgraded.reset(token)

    swarm.upgrade_inbound_raw_conn = upgrade
    swarm._do_handle_inbound_connection = handle
