"""The explorer's data, refreshed on a period: one dict the page renders and `/snapshot.json`
serves. A refresh that fails (RPC down) keeps the previous data and says why."""

from __future__ import annotations

import logging
import time

import trio

from node.chain.decode import ChainError
from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.explorer.containments import ContainmentLedger
from node.explorer.guardians import guardian_rows
from node.explorer.incidents import incident_rows
from node.explorer.registry import protocol_rows
from node.recursion import bound_recursion

log = logging.getLogger("guardian.explorer")


class Explorer:
    def __init__(self, rpc_url: str, oracle: bytes, guardians: list[str],
                 from_block: int = 0) -> None:
        bound_recursion()  # guardians' JSON is untrusted: a nesting bomb must not crash us
        self.rpc = ChainRpc(rpc_url, timeout=5.0, retries=1)
        self.oracle = OracleClient(self.rpc, oracle)
        self.tracker = RegistryTracker(self.oracle)
        self.guardians = [g.rstrip("/") for g in guardians]
        self.ledger = ContainmentLedger(self.rpc, self.oracle, from_block)
        self.snapshot: dict = {"oracle": "0x" + oracle.hex(), "refreshed_at": None,
                               "protocols": [], "containments": [], "incidents": [],
                               "guardians": [], "error": "not refreshed yet"}
        self.refreshed = trio.Event()  # set after the first refresh

    async def refresh(self) -> dict:
        try:
            head = await self.rpc.block_number()
            now = (await self.rpc.header(head)).timestamp
            threshold = await self.oracle.threshold()
            protocols = await protocol_rows(self.oracle, self.tracker, head, now)
            containments = await self.ledger.refresh(head, self.guardians)
            statuses, indexes = await guardian_rows(self.guardians)
            incidents = await incident_rows(indexes, containments, statuses, threshold)
            self.snapshot = {
                "oracle": self.snapshot["oracle"], "chain_id": await self.rpc.chain_id(),
                "head": head, "chain_time": now, "threshold": threshold,
                "refreshed_at": time.time(), "protocols": protocols,
                "containments": containments, "incidents": incidents, "guardians": statuses,
                "error": None}
        except ChainError as exc:
            log.warning("explorer refresh failed: %s", exc)
            self.snapshot = {**self.snapshot, "error": str(exc)}
        except Exception as exc:  # noqa: BLE001 - untrusted answers must never stop the page
            log.exception("explorer refresh failed")
            self.snapshot = {**self.snapshot, "error": f"{type(exc).__name__}: {exc}"}
        self.refreshed.set()
        return self.snapshot

    async def run(self, period: float) -> None:
        while True:
            await self.refresh()
            await trio.sleep(period)  # a refresh period, not synchronisation
