"""The oracle's protocol registry, kept current from its events.

At start the node reads every registered protocol; on each new head it reads the oracle's events
since the last head and re-reads only the protocols they touch, plus the containment state of those
currently contained (containments expire by time, without an event). Detectors and the pipeline
read the result through `watched()`, a snapshot dict they never mutate.
"""

from __future__ import annotations

import logging

from node.chain.oracle import OracleClient
from node.records import Watched
from node.registration import Registration
from protocol.detection import DetectionParams, InvariantCall
from protocol.intent import split_claims

log = logging.getLogger("guardian.registry")

_TOUCHING = ("ProtocolRegistered", "ProtocolUpdated", "ProtocolDeregistered",
             "ContainmentEngaged", "ContainmentLifted", "ContainmentExtended")


def watched_from(protocol_id: bytes, reg: Registration, contained: bool, nonce: int = 0,
                 release_block: int = 0, failed_action: int = 0) -> Watched:
    # A `claimOf(address,address)` selector entry registers the claims view: not an invariant.
    invariants, claims = split_claims(reg.invariants)
    params = DetectionParams(
        monitored=reg.monitored, tokens=reg.tokens, outflow_limit_bps=reg.outflow_limit_bps,
        window_blocks=reg.window_blocks, balance_drop_bps=reg.balance_drop_bps,
        invariants=tuple(InvariantCall(target, data) for target, data in invariants),
        admin=reg.admin, claims=claims)
    return Watched(protocol_id=protocol_id, params=params,
                   allowed_actions=reg.allowed_actions, contained=contained, nonce=nonce,
                   release_block=release_block, failed_action=failed_action)


class RegistryTracker:
    def __init__(self, oracle: OracleClient) -> None:
        self.oracle = oracle
        self._watched: dict[bytes, Watched] = {}
        self._last_block: int | None = None
        self._read_block: int | str = "latest"
        self.key_epoch: int | None = None
        self.failed_hooks: dict[bytes, dict] = {}  # protocol -> the failed containment and why

    def watched(self) -> dict[bytes, Watched]:
        return self._watched

    async def load(self, head: int) -> None:
        """Read the whole registry as of `head`."""
        self._read_block = head
        fresh: dict[bytes, Watched] = {}
        for pid in await self.oracle.protocol_ids():
            entry = await self._read(pid)
            if entry is not None:
                fresh[pid] = entry
        self._watched = fresh
        self.key_epoch = await self.oracle.key_epoch()
        self._last_block = head
        log.info("registry: %d protocol(s) at block %d, key epoch %d", len(fresh), head,
                 self.key_epoch)

    async def watched_at(self, pid: bytes, block: int) -> Watched | None:
        """One protocol as the oracle had it at `block` (what `guardian audit` judges by)."""
        self._read_block = block
        return await self._read(pid)

    async def _read(self, pid: bytes) -> Watched | None:
        """The protocol as of `_last_block`'s successor reads (all at the same block, so the
        nonce, the release and the containment agree with each other)."""
        block = self._read_block
        reg = await self.oracle.registration(pid, block=block)
        if reg is None:
            return None
        state = await self.oracle.containment(pid, block=block)
        # A containment whose hook failed is not one: detection goes on, and the next allowed
        # action (the oracle refuses the failed one until the hook is proven again) is used.
        failed = await self.oracle.failed_hook_action(pid, block)
        if failed and self.failed_hooks.get(pid, {}).get("action") != failed:
            reason = await self.oracle.hook_failure(reg, failed)
            self.failed_hooks[pid] = {"action": failed, "reason": reason}
            log.error("the containment hook of protocol 0x%s FAILED (action %d): %s. It is NOT "
                      "contained; detection continues with the next allowed action",
                      pid.hex()[:12], failed, reason)
        elif not failed:
            self.failed_hooks.pop(pid, None)
        return watched_from(pid, reg, state.active,
                            nonce=await self.oracle.nonce(pid, block),
                            release_block=await self.oracle.last_release_block(pid, block),
                            failed_action=failed)

    async def on_head(self, head: int) -> list[str]:
        """Apply the oracle's events up to `head`; returns the event names seen (for logs)."""
        if self._last_block is None:
            await self.load(head)
            return []
        if head <= self._last_block:
            return []
        events = await self.oracle.events(self._last_block + 1, head)
        self._read_block = head
        touched = {bytes(e.args["protocolId"]) for e in events
                   if e.name in _TOUCHING and "protocolId" in e.args}
        touched |= {pid for pid, w in self._watched.items() if w.failed_action}
        # A containment ends without an event when it expires: a contained protocol no event
        # touched is polled with one read (is it still active?), and read in full only when it
        # is not (five reads for each contained protocol at every head cost a loaded guardian
        # a fifth of its CPU once a wave of exploits was contained).
        for pid, w in self._watched.items():
            if w.contained and pid not in touched and not (
                    await self.oracle.containment(pid, block=head)).active:
                touched.add(pid)
        if any(e.name == "ProtocolRegistered" for e in events):
            touched |= set(await self.oracle.protocol_ids()) - set(self._watched)
        fresh = dict(self._watched)
        for pid in touched:
            entry = await self._read(pid)
            if entry is None:
                fresh.pop(pid, None)
            else:
                fresh[pid] = entry
        if any(e.name == "KeyRotated" for e in events):
            self.key_epoch = await self.oracle.key_epoch()
        self._watched = fresh
        self._last_block = head
        return [e.name for e in events]
