"""Submit combined proofs to the oracle: one guardian submits, the others stand by.

Each ready proof gets its own task. The task waits this guardian's turn (`protocol.submission`),
then, unless the oracle's nonce for the protocol has already moved past the incident (someone
submitted) or a peer's proof transaction is still pending (its `Proof` arrived, or the nonce has
moved in our node's pending state), it sends `authorize` and gossips a
`Proof` so the others keep standing by. A failed transaction is recorded; the next guardian's
turn then comes by itself. Every send is recorded in the store first, so a restarted node looks
up its earlier transaction instead of sending a second one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

import trio

from node.chain.rawtx import RawTxError, decode_raw_tx
from node.race_view import RaceView
from node.records import GuardianKey, ReadyProof, TxReceipt
from node.stages import StageClock
from node.store import Store, incident_key
from protocol import messages
from protocol.evidence import evidence_hash
from protocol.pending import race_fee_cap, race_tip
from protocol.submission import race_delay, submission_delay, submission_rank

log = logging.getLogger("guardian.submitter")


def short_hash(value: bytes) -> str:
    """0x1234abcd...ef01: full 32-byte hex strings are masked in logs (they look like keys)."""
    text = value.hex()
    return f"0x{text[:10]}...{text[-6:]}"


PENDING_WAITS = 3  # a pending peer transaction delays us this many times at most (then it is stuck)
# Reverts that no later attempt of this proof can get past: the guardians' turn is over.
FINAL_REFUSALS = frozenset({
    "GuardianOracleContainmentActive", "GuardianOracleCooldownActive",
    "GuardianOracleInvalidNonce", "GuardianOracleDeadlineExpired",
    "GuardianOracleEvidenceBeforeRelease", "GuardianOracleActionNotAllowed",
    "GuardianOracleNotRegistered", "GuardianOracleInvalidSignature",
    "GuardianOracleHookFailedBefore"})


class SubmitClient(Protocol):
    async def nonce(self, protocol_id: bytes, block: str = "latest") -> int: ...

    async def send_authorize(self, protocol_id: bytes, action: int, nonce: int, deadline: int,
                             evidence_from_block: int, evidence_hash: bytes,
                             signature: bytes, gas_estimate: int | None = None,
                             priority_fee: int | None = None,
                             fee_cap: int | None = None) -> bytes: ...

    async def wait_receipt(self, tx_hash: bytes, timeout: float) -> TxReceipt | None: ...


class Submitter:
    def __init__(self, *, key: GuardianKey, backend, store: Store, client: SubmitClient,
                 publish: Callable[[bytes], Awaitable[None]], live: Callable[[], Iterable[int]],
                 stagger_seconds: float = 2.0, receipt_timeout: float = 30.0,
                 on_contained: Callable[[ReadyProof, bytes, TxReceipt], Awaitable[None]] | None = None,
                 metrics=None, tip_margin: int = 10**9, max_tip: int = 500 * 10**9,
                 max_fee: int = 1000 * 10**9, stages: StageClock | None = None,
                 sees_mempool: Callable[[], bool] | None = None):
        self.key = key
        self.backend = backend
        self.store = store
        self.client = client
        self.publish = publish
        self.live = live
        self.stagger = stagger_seconds
        self.receipt_timeout = receipt_timeout
        self.on_contained = on_contained
        self.metrics = metrics
        self.tip_margin = tip_margin  # wei per gas above a pending exploit's priority fee
        self.max_tip = max_tip
        self.max_fee = max_fee  # the highest fee cap (maxFeePerGas) a racing containment sets
        self.stages = stages or StageClock()
        self.outbid: list[bytes] = []  # digests whose pending exploit paid more than max_tip
        self._pending_peer_tx: dict[bytes, bytes] = {}  # digest -> a peer's tx hash
        self.race = RaceView(sees_mempool)  # who else is sending (node.race_view)
        self._stand_down: dict[bytes, trio.Event] = {}
        self._nursery: trio.Nursery | None = None
        self.sent: list[bytes] = []
        self.sent_at: dict[bytes, float] = {}  # digest -> monotonic time the tx was sent

    async def run(self, task_status=trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started()
            await trio.sleep_forever()

    async def submit_when_due(self, ready: ReadyProof) -> None:
        """Called by the pipeline when a proof is ready; starts the waiting task."""
        assert self._nursery is not None, "Submitter.run must be started first"
        # The task gets the event itself: `forget` may drop the digest before the task first runs.
        stand_down = self._stand_down.setdefault(ready.digest, trio.Event())
        try:
            self._nursery.start_soon(self._submit_task, ready, stand_down)
        except RuntimeError:  # the node is stopping: its nursery takes no new task
            log.info("proof for 0x%s ready while stopping: not submitted", ready.digest.hex()[:12])

    def expect_race(self) -> None:
        """A pending exploit is being judged: read the send's nonce and fees now, so that the
        send does not wait for them once the proof is ready (node.chain.send_prep)."""
        prepare = getattr(self.client, "prepare_send", None)
        if prepare is not None and self._nursery is not None:
            try:
                self._nursery.start_soon(prepare)
            except RuntimeError:  # the node is stopping
                pass

    def peer_proof(self, proof: messages.Proof) -> None:
        """A peer sent (or is sending) this digest's transaction: wait for it before our turn."""
        if proof.tx_hash:
            self._pending_peer_tx[proof.digest] = proof.tx_hash
            self.race.announced(proof.digest, proof.tx_hash)

    def contained(self, digest: bytes) -> None:
        self._stand_down.setdefault(digest, trio.Event()).set()

    def forget(self, digest: bytes) -> None:
        """Drop the per-digest state of a closed incident (node.lifecycle). A task still waiting
        holds its own reference to the stand-down event, so it is not disturbed."""
        self._pending_peer_tx.pop(digest, None)
        self.race.forget(digest)
        self._stand_down.pop(digest, None)
        self.sent_at.pop(digest, None)

    def tracked_digests(self) -> set[bytes]:
        return (set(self._stand_down) | set(self._pending_peer_tx) | set(self.sent_at)
                | self.race.digests())

    async def _races(self, ready: ReadyProof, rank: int) -> bool:
        """Whether our first attempt at a pending incident's proof is sent at once
        (node.race_view); where only the chain can tell, one read of the oracle's nonce in our
        node's pending state stands for the mempool."""
        verdict = self.race.races(ready.digest, self._authorize_args(ready), rank, set(self.sent))
        return verdict if verdict is not None else not await self._already_done(ready, "pending")

    async def _already_done(self, ready: ReadyProof, block: str = "latest") -> bool:
        """The oracle's nonce for the protocol has moved past the incident: at `latest`, someone's
        authorize is mined; at `pending`, one is in our node's mempool."""
        return await self.client.nonce(ready.report.protocol_id, block) > ready.report.nonce

    async def _submit_task(self, ready: ReadyProof, stand_down: trio.Event) -> None:
        digest, report = ready.digest, ready.report
        rank = submission_rank(digest, self.key.index, self.live())
        pending = report.evidence.pending is not None
        delay = race_delay(rank) if pending else submission_delay(rank, self.stagger)
        log.info("proof ready for 0x%s: my rank %d, submitting in %.2fs unless someone does first",
                 digest.hex()[:12], rank, delay)
        with trio.move_on_after(delay):
            await stand_down.wait()
        pending_waits = attempts = 0
        while not stand_down.is_set():
            peer_tx = self._pending_peer_tx.pop(digest, None)
            if peer_tx is not None:
                receipt = await self.client.wait_receipt(peer_tx, self.receipt_timeout)
                if receipt is not None and receipt.ok:
                    log.info("peer transaction 0x%s contained it; standing down", peer_tx.hex()[:12])
                    return
            # Racing a pending exploit into its block, our first attempt skips the checks and the
            # gas estimate (it re-executes the BLS check a dozen times: hundreds of ms) and sends
            # with the configured maximum gas at once (`_races`). The receipt decides as always.
            racing = pending and attempts == 0 and await self._races(ready, rank)
            attempts += 1
            if not racing and await self._already_done(ready):
                log.info("oracle nonce moved past %d: already submitted; standing down",
                         report.nonce)
                return
            if racing:
                refusal, estimate = None, 0
            elif pending_waits < PENDING_WAITS and await self._already_done(ready, "pending"):
                # A peer's transaction is in the mempool but its Proof has not reached us yet (gossip
                # is slower than the chain under load): give it a block or two before sending ours.
                pending_waits += 1
                log.info("a peer's authorize for 0x%s is pending; waiting for it", digest.hex()[:12])
                with trio.move_on_after(self.stagger * 2):
                    await stand_down.wait()
                continue
            else:
                refusal, estimate = await self._simulate(ready)
            if refusal is not None:
                if getattr(refusal, "name", "") in FINAL_REFUSALS:
                    log.info("authorize for 0x%s would revert with %s: standing down",
                             digest.hex()[:12], refusal)
                    self.store.set_submission(digest, "refused", detail=str(refusal)[:500])
                    return
                log.warning("authorize for 0x%s would revert with %s; trying at the next turn",
                            digest.hex()[:12], refusal)
            elif await self._send(ready, estimate):
                return
            # our transaction failed: let the next guardian's turn come, then check again
            with trio.move_on_after(self.stagger * 2):
                await stand_down.wait()

    def _authorize_args(self, ready: ReadyProof) -> tuple:
        report = ready.report
        return (report.protocol_id, report.action, report.nonce, report.deadline,
                report.evidence.block_from, evidence_hash(report.evidence),
                self.backend.g2_to_eip2537(ready.signature))

    def _race_fees(self, ready: ReadyProof) -> tuple[int, int] | None:
        """For a pending incident: (priority fee, fee cap) above the exploit's
        (`protocol.pending`), so that the containment is ordered first in the block both land in,
        whether the block is ordered by effective tip or by fee cap."""
        pending = ready.report.evidence.pending
        if pending is None:
            return None
        try:
            exploit = decode_raw_tx(pending.raw_tx)
        except RawTxError:
            return None
        tip, tip_outbid = race_tip(exploit.max_priority_fee, self.tip_margin, self.max_tip, 0)
        fee_cap, cap_outbid = race_fee_cap(exploit.max_fee, self.tip_margin, self.max_fee, tip)
        if tip_outbid or cap_outbid:
            self.outbid.append(ready.digest)
            log.warning("the pending exploit pays a priority fee of %.1f gwei with a fee cap of "
                        "%.1f gwei, above our maximum %.1f / %.1f gwei: the containment may be "
                        "ordered after it", exploit.max_priority_fee / 1e9, exploit.max_fee / 1e9,
                        self.max_tip / 1e9, self.max_fee / 1e9)
        return tip, fee_cap

    async def _simulate(self, ready: ReadyProof) -> tuple[object | None, int]:
        """The oracle's answer to our authorize on the pending state, before we pay for it."""
        try:
            return await self.client.simulate_authorize(*self._authorize_args(ready))
        except Exception as exc:  # noqa: BLE001 - RPC trouble: send anyway, the receipt decides
            log.warning("could not simulate authorize: %s", exc)
            return None, 0

    async def _send(self, ready: ReadyProof, gas_estimate: int = 0) -> bool:
        digest, report = ready.digest, ready.report
        previous = self.store.submission(digest)
        if previous and previous.tx_hash and previous.status != "reverted":
            # We sent one before (maybe in a previous life): never send a second while the first
            # may still be mined. Its receipt decides.
            receipt = await self.client.wait_receipt(previous.tx_hash, self.receipt_timeout)
            if receipt is not None and receipt.ok:
                await self._confirmed(ready, previous.tx_hash, receipt)
                return True
            if receipt is None:
                log.info("earlier authorize tx 0x%s still pending", previous.tx_hash.hex()[:12])
                return False
            self.store.set_submission(digest, "reverted", previous.tx_hash)
        self.store.set_submission(digest, "sending")
        try:
            fees = self._race_fees(ready)
            tx_hash = await self.client.send_authorize(
                *self._authorize_args(ready), gas_estimate=gas_estimate or None,
                **({"priority_fee": fees[0], "fee_cap": fees[1]} if fees is not None else {}))
        except Exception as exc:  # RPC errors are reported, then the next turn comes
            self.store.set_submission(digest, "failed", detail=str(exc)[:500])
            log.warning("sending authorize for 0x%s failed: %s", digest.hex()[:12], exc)
            return False
        self.sent.append(tx_hash)
        self.sent_at[digest] = time.monotonic()
        self.stages.mark(incident_key(report.protocol_id, report.nonce), "authorize_sent")
        self.store.set_submission(digest, "sent", tx_hash)
        log.info("submitted authorize for 0x%s in tx %s", digest.hex()[:12], short_hash(tx_hash))
        proof = messages.sign_message(messages.Proof(
            incident_id=report.incident_id, digest=digest, combined_signature=ready.signature,
            signers=tuple(sorted(ready.signers)), tx_hash=tx_hash, guardian=self.key.index,
            signature=b""), self.key.secret, self.backend)
        await self.publish(messages.encode(proof))
        receipt = await self.client.wait_receipt(tx_hash, self.receipt_timeout)
        if receipt is None or not receipt.ok:
            # no receipt yet: "sent" (still pending); a revert frees the next attempt
            self.store.set_submission(digest, "reverted" if receipt else "sent", tx_hash,
                                      "reverted" if receipt else "no receipt yet")
            log.warning("authorize tx %s %s", short_hash(tx_hash),
                        "reverted" if receipt else "was not mined in time")
            return False
        await self._confirmed(ready, tx_hash, receipt)
        return True

    async def _confirmed(self, ready: ReadyProof, tx_hash: bytes, receipt: TxReceipt) -> None:
        self.store.set_submission(ready.digest, "confirmed", tx_hash)
        self.store.mark_contained(incident_key(ready.report.protocol_id, ready.report.nonce),
                                  tx_hash, receipt.block)
        if self.metrics:
            self.metrics.detection_to_submission_seconds.observe(
                time.monotonic() - ready.detected_at)
            self.metrics.submission_gas.observe(receipt.gas_used)
        log.info("containment confirmed in block %d (gas %d)", receipt.block, receipt.gas_used)
        if self.on_contained:
            await self.on_contained(ready, tx_hash, receipt)
