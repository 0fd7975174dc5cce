"""A guardian restarted mid-incident resumes from sqlite: it re-publishes the share it had signed
(never signs a second, conflicting one), recombines, finds the transaction it had already sent,
and does not submit twice."""

from __future__ import annotations

import random

import trio

from node.detectors.base import Detection
from node.pipeline import IncidentPipeline
from node.records import GuardianKey, TxReceipt, Watched
from node.store import Store
from node.submitter import Submitter
from protocol import messages, threshold
from protocol.bls import get_backend
from protocol.detection import DetectionParams, EvidenceKind, InvariantCall, check_evidence
from protocol.evidence import Evidence
from protocol.guardian_set import GuardianSet

B = get_backend()
PID = b"\x42" * 32
POOL = b"\x07" * 20
CALL = bytes.fromhex("0f3cd5ad")  # isSolvent()
ORACLE = b"\x05" * 20


class FakeChain:
    """Oracle and chain view in one: nonce 0 until the (single) authorize is mined."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.mined = False

    async def nonce(self, protocol_id: bytes, block: str = "latest") -> int:
        return 1 if self.mined else 0

    async def block_timestamp(self, block: int) -> int:
        return 1_700_000_000 + block

    async def head(self) -> int:
        return 100

    async def simulate_authorize(self, *args):
        return None, 240_000

    async def send_authorize(self, *args, gas_estimate=None) -> bytes:
        self.sent.append(bytes(32))
        return b"\x99" * 32

    async def wait_receipt(self, tx_hash: bytes, timeout: float):
        if not self.mined:
            return None  # the node "crashes" before seeing its transaction mined
        return TxReceipt(tx_hash, True, 101, 222_000, ())

    async def call(self, target, data, block):
        return (1 if block < 100 else 0).to_bytes(32, "big")  # the invariant breaks at block 100


def _detection(params) -> Detection:
    ev = Evidence(EvidenceKind.INVARIANT, PID, 99, 100, POOL, (1, 0), CALL)
    return Detection(PID, ev, check_evidence(ev, params))


async def _node(store: Store, key: GuardianKey, gset, chain, published: list, ready: list):
    params = DetectionParams((POOL,), (), 0, 0, 0, (InvariantCall(POOL, CALL),))
    watched = {PID: Watched(PID, params, allowed_actions=1 << 1)}

    async def publish(data: bytes) -> None:
        published.append(messages.decode(data))

    async def on_ready(proof) -> None:
        ready.append(proof)

    pipeline = IncidentPipeline(key=key, guardian_set=gset, backend=B, store=store, view=chain,
                                oracle=chain, chain_id=31337, oracle_address=ORACLE,
                                watched=lambda: watched, publish=publish, on_ready=on_ready)
    await pipeline.on_head(100)
    return pipeline, params


async def test_restart_resumes_without_double_signing_or_submitting(tmp_path):
    dealing = threshold.deal(3, 2, backend=B, rng=random.Random(5))
    gset = GuardianSet.from_dealing(dealing, 1, B)
    key = GuardianKey(1, dealing.shares[0])
    chain = FakeChain()
    path = tmp_path / "guardian.sqlite"

    # --- first life: detect, sign, get a peer's share, combine, send, crash before the receipt
    store = Store(path)
    published, ready = [], []
    pipeline, params = await _node(store, key, gset, chain, published, ready)
    report = await pipeline.on_detection(_detection(params))
    assert report is not None
    digest = report.digest()
    peer_partial = threshold.partial_sign(dealing.shares[1], digest, B)
    await pipeline.on_share(messages.Share(report.incident_id, digest, peer_partial, 2, b""))
    assert len(ready) == 1
    submitter = Submitter(key=key, backend=B, store=store, client=chain,
                          publish=pipeline.publish, live=lambda: [1, 2], stagger_seconds=0.0,
                          receipt_timeout=0.1)
    assert await submitter._send(ready[0]) is False  # sent, no receipt: the node dies here
    assert len(chain.sent) == 1
    own_shares = [m for m in published if isinstance(m, messages.Share) and m.guardian == 1]
    assert len(own_shares) == 1
    store.close()

    # --- second life: same sqlite file
    store = Store(path)
    published2, ready2 = [], []
    pipeline2, params = await _node(store, key, gset, chain, published2, ready2)
    assert await pipeline2.resume() == 1  # the same share, re-published, not re-signed
    assert [m for m in published2 if isinstance(m, messages.Share)] == own_shares
    # the report goes out first: a peer that restarted too has only shares it cannot use
    assert isinstance(published2[0], messages.Report) and published2[0].digest() == digest
    assert await pipeline2.on_detection(_detection(params)) is None  # no second report
    assert len(ready2) == 1 and ready2[0].digest == digest
    chain.mined = True  # meanwhile the transaction sent in the first life was mined
    submitter2 = Submitter(key=key, backend=B, store=store, client=chain,
                           publish=pipeline2.publish, live=lambda: [1, 2], stagger_seconds=0.0,
                           receipt_timeout=0.1)
    with trio.fail_after(10):
        assert await submitter2._send(ready2[0]) is True
    assert len(chain.sent) == 1, "submitted twice after a restart"
    assert store.submission(digest).status == "confirmed"
    store.close()
