"""The cover service: after a containment, confirm the breach so that the cover pool pays.

    oracle ContainmentEngaged ──> facts (node.cover.chain: the loss rule on our chain)
      ──> nothing lost: say so, sign nothing
      ──> else: our partial (DST_BREACH) in a BreachShare ──> gossip (re-gossiped until confirmed)
    peers' BreachShares ──> cover rules (protocol.cover_rules: REJECT with the differing fields)
      ──> at t equal partials: combine, check under the group key ──> our turn in the submission
          order (protocol.submission) ──> confirmBreach ──> the pool pays claims

A guardian whose own computation differs signs only its own numbers, which never gather t
shares, and logs which fields differ in every peer share it rejects (`status()["cover"]`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import trio

from node.chain.decode import ChainError
from node.cover.chain import CoverChain, Engaged, PoolInfo
from node.cover.config import CoverSection
from node.cover.pool import PoolClient
from node.records import GuardianKey
from protocol import breach, cover_rules, cover_wire
from protocol.cover_loss import BreachFacts, LossRuleError
from protocol.gossip_rules import Verdict
from protocol.submission import submission_delay, submission_rank

log = logging.getLogger("guardian.cover")
REGOSSIP_SECONDS = 3.0
STAGGER_SECONDS = 2.0
MAX_INCIDENTS = 64  # per node; incidents are rare, this bounds memory if they are not


@dataclass
class CoverIncident:
    pool: PoolInfo
    engaged: Engaged
    status: str = "computing"
    facts: BreachFacts | None = None
    confirmation: breach.Confirmation | None = None
    partials: dict[int, bytes] = field(default_factory=dict)
    share: bytes = b""
    signature: bytes | None = None
    last_gossip: float = 0.0
    contained_at: float = field(default_factory=time.monotonic)
    timings: dict[str, float] = field(default_factory=dict)
    rejected: dict[int, str] = field(default_factory=dict)  # guardian -> why, bounded by n

    def view(self) -> dict:
        doc = {"pool": "0x" + self.pool.address.hex(), "nonce": self.engaged.nonce,
               "protocol": "0x" + self.pool.protocol_id.hex(), "status": self.status,
               "containment_block": self.engaged.position.block,
               "partials_from": sorted(self.partials), **self.timings}
        if self.facts is not None:
            doc.update(loss=str(self.facts.loss), snapshot_block=self.facts.snapshot_block,
                       root="0x" + self.facts.root.hex(), accounts=len(self.facts.leaves))
        if self.rejected:
            doc["rejected"] = {str(k): v for k, v in self.rejected.items()}
        return doc


class CoverService:
    def __init__(self, *, key: GuardianKey, guardian_set, backend, oracle, chain_id: int,
                 oracle_address: bytes, config: CoverSection, publish, live) -> None:
        self.key = key
        self.gset = guardian_set
        self.backend = backend
        self.oracle = oracle
        self.chain = CoverChain(oracle.rpc)
        self.chain_id = chain_id
        self.oracle_address = oracle_address
        self.config = config
        self.publish = publish
        self.live = live
        self.pools: dict[bytes, PoolInfo] = {}
        self.incidents: dict[tuple[bytes, int], CoverIncident] = {}
        self._scanned = config.from_block - 1
        self._registrations: dict[bytes, tuple[bytes, ...]] = {}
        # shares that arrived before our own computation, judged once it is done:
        # (pool, nonce) -> guardian -> bytes (pools we follow, at most n guardians each)
        self._early: dict[tuple[bytes, int], dict[int, bytes]] = {}

    # what the gossip rules and the status server read -------------------------------------------
    def computed(self, pool: bytes, nonce: int) -> tuple[bool, breach.Confirmation | None]:
        inc = self.incidents.get((pool, nonce))
        if inc is None or inc.facts is None:
            return False, None
        return True, inc.confirmation

    def tree_for(self, protocol_id: bytes, nonce: int) -> list[CoverIncident]:
        return [i for (_, n), i in self.incidents.items()
                if n == nonce and i.pool.protocol_id == protocol_id and i.facts is not None]

    def status(self) -> list[dict]:
        return [i.view() for i in self.incidents.values()]

    def validate(self, peer_id: str, data: bytes):
        ctx = cover_rules.CoverContext(self.gset, self.chain_id, int(time.time()),
                                       frozenset(self.pools), self.computed)
        verdict, outcome, msg = cover_rules.validate_bytes(data, ctx, self.backend)
        if outcome.reason is cover_rules.CoverReason.NOT_COMPUTED and msg is not None:
            key = (msg.confirmation.pool, msg.confirmation.nonce)
            if key in self._early or len(self._early) < MAX_INCIDENTS:
                self._early.setdefault(key, {})[msg.guardian] = data
        if outcome.reason is cover_rules.CoverReason.MISMATCH and msg is not None:
            # the sender is authenticated by then (the rules check its signature first): one
            # entry and one log line per guardian and incident
            inc = self.incidents.get((msg.confirmation.pool, msg.confirmation.nonce))
            if inc is not None and msg.guardian not in inc.rejected:
                inc.rejected[msg.guardian] = outcome.detail
                log.warning("cover: not signing guardian %d's confirmation: %s", msg.guardian,
                            outcome.detail)
        return verdict, str(outcome)

    async def on_share(self, data: bytes) -> None:
        """An accepted BreachShare (validated, so equal to our own confirmation)."""
        try:
            msg = cover_wire.decode(data, None)
        except cover_wire.MessageError:
            return
        inc = self.incidents.get((msg.confirmation.pool, msg.confirmation.nonce))
        if inc is None or inc.confirmation is None or msg.confirmation != inc.confirmation:
            return
        inc.partials.setdefault(msg.guardian, msg.partial)

    # the loop -----------------------------------------------------------------------------------
    async def run(self) -> None:
        async with trio.open_nursery() as nursery:
            while True:
                try:
                    await self._tick(nursery)
                except ChainError as exc:
                    log.warning("cover: chain read failed (retrying): %s", exc)
                await trio.sleep(self.config.poll_seconds)  # polling the chain: no event to await

    async def _tick(self, nursery: trio.Nursery) -> None:
        head = await self.chain.rpc.block_number()
        if head > self._scanned and self.config.factory is not None:
            for pool in await self.chain.pools(self.config.factory, self._scanned + 1, head):
                self.pools[pool.address] = pool
                log.info("cover: pool 0x%s covers protocol 0x%s", pool.address.hex(),
                         pool.protocol_id.hex()[:12])
            for ev in await self.chain.engaged(self.oracle_address, self._scanned + 1, head):
                for pool in [p for p in self.pools.values() if p.protocol_id == ev.protocol_id]:
                    if ev.hook_succeeded and len(self.incidents) < MAX_INCIDENTS:
                        inc = CoverIncident(pool, ev)
                        self.incidents[(pool.address, ev.nonce)] = inc
                        nursery.start_soon(self._compute, inc)
            self._scanned = head
        for inc in list(self.incidents.values()):
            if inc.confirmation is not None and not inc.status.startswith(("confirmed", "expired")):
                await self._advance(inc, nursery)

    async def _monitored(self, protocol_id: bytes) -> tuple[bytes, ...]:
        if protocol_id not in self._registrations:
            reg = await self.oracle.registration(protocol_id)
            self._registrations[protocol_id] = tuple(reg.monitored) if reg else ()
        return self._registrations[protocol_id]

    async def _compute(self, inc: CoverIncident) -> None:
        try:
            monitored = await self._monitored(inc.pool.protocol_id)
            facts = await self.chain.facts(inc.pool, monitored, inc.engaged, self.config.from_block)
            engaged_at = await self.oracle.block_timestamp(inc.engaged.position.block)
        except (ChainError, LossRuleError) as exc:
            inc.status = f"error: {exc}"
            log.warning("cover: incident %d of pool 0x%s: %s", inc.engaged.nonce,
                        inc.pool.address.hex()[:8], exc)
            return
        inc.facts = facts
        inc.timings["computed_s"] = round(time.monotonic() - inc.contained_at, 3)
        if facts.loss == 0:
            inc.status = "nothing lost, nothing to pay"
            await self._judge_early(inc)
            log.info("cover: incident %d of protocol 0x%s: nothing lost, nothing to pay",
                     inc.engaged.nonce, inc.pool.protocol_id.hex()[:12])
            return
        c = breach.Confirmation(self.chain_id, inc.pool.address, inc.pool.protocol_id,
                                inc.engaged.nonce, facts.loss, facts.snapshot_block, facts.root,
                                engaged_at + inc.pool.confirmation_window)
        partial = breach.partial_sign(self.key.secret, c.digest(), self.backend)
        msg = cover_wire.sign(cover_wire.BreachShare(c, partial, self.key.index, b""),
                              self.key.secret, self.backend)
        inc.partials[self.key.index] = partial
        inc.share = cover_wire.encode(msg)
        inc.confirmation = c
        inc.status = "signed"
        await self._judge_early(inc)
        log.info("cover: incident %d: loss %d from %d exploit tx(s), snapshot block %d, %d "
                 "accounts, root 0x%s: signed", c.nonce, facts.loss, len(facts.exploit_txs),
                 facts.snapshot_block, len(facts.leaves), facts.root.hex()[:16])

    async def _judge_early(self, inc: CoverIncident) -> None:
        for data in self._early.pop((inc.pool.address, inc.engaged.nonce), {}).values():
            verdict, _ = self.validate("early", data)  # REJECTs are recorded there
            if verdict is Verdict.ACCEPT:
                await self.on_share(data)

    async def _advance(self, inc: CoverIncident, nursery: trio.Nursery) -> None:
        c = inc.confirmation
        assert c is not None
        if c.deadline < time.time():
            inc.status = "expired"
            return
        onchain = await PoolClient(self.oracle, c.pool).confirmed_loss(c.nonce)
        if onchain:
            inc.status = ("confirmed" if onchain == c.loss else
                          f"confirmed by the others with a loss of {onchain} (ours {c.loss})")
            inc.timings.setdefault("confirmed_s", round(time.monotonic() - inc.contained_at, 3))
            return
        if time.monotonic() - inc.last_gossip > REGOSSIP_SECONDS:
            inc.last_gossip = time.monotonic()
            await self.publish(inc.share)
        if inc.signature is None and len(inc.partials) >= self.gset.threshold:
            try:
                inc.signature = breach.combine_confirmation(self.gset, c.digest(), inc.partials,
                                                            self.backend)
            except breach.BreachError as exc:
                log.warning("cover: combining incident %d failed: %s", c.nonce, exc)
                return
            inc.status = "combined"
            inc.timings["combined_s"] = round(time.monotonic() - inc.contained_at, 3)
            nursery.start_soon(self._submit, inc)

    async def _submit(self, inc: CoverIncident) -> None:
        c, sig = inc.confirmation, inc.signature
        assert c is not None and sig is not None
        pool = PoolClient(self.oracle, c.pool)
        rank = submission_rank(c.digest(), self.key.index, self.live())
        await trio.sleep(submission_delay(rank, STAGGER_SECONDS))  # our turn in the order
        try:
            if await pool.confirmed_loss(c.nonce):
                return
            signature = self.backend.g2_to_eip2537(sig)
            refused = await pool.simulate_confirm(c, signature)
            if refused is not None:
                log.warning("cover: confirmBreach would revert (%s); not sending", refused)
                return
            tx = await pool.send_confirm(c, signature)
            receipt = await self.chain.rpc.wait_receipt(tx, 30.0)
        except ChainError as exc:
            log.warning("cover: sending the confirmation failed: %s", exc)
            return
        if receipt is not None and receipt.ok:
            inc.status = "confirmed"
            inc.timings.update(confirmed_s=round(time.monotonic() - inc.contained_at, 3),
                               confirm_tx="0x" + tx.hex(), confirm_gas=receipt.gas_used,
                               confirm_block=receipt.block, submitted_by_me=True)
            log.info("cover: incident %d confirmed in block %d (gas %d)", c.nonce, receipt.block,
                     receipt.gas_used)
