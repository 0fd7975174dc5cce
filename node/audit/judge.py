"""The judgement: would the guardians have signed this containment, on the caller's own chain?

The digest is recomputed from the chain (chain id, the oracle the transaction called, the key
epoch at the block before it, the protocol id of its target, and the calldata's action, nonce,
deadline, evidence block and hash) and the signature checked under the group key of that block.
Then the evidence is judged by `node.verification.ReportVerifier`, the very code a guardian runs
before it signs a peer's report, against the registration the oracle held at the block before the
containment (`node.chain.registry`): registered, not contained, evidence after the last release,
the prescribed action, the rule of its kind violated (`protocol.detection`), the nonce, the
deadline, and the observations re-made on this chain (a pending transaction re-simulated on its
base block, `node.pending_check`). So an audit cannot disagree with the guardians silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.audit.transaction import AuthorizeCall
from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from node.chain.rpc import ChainRpc
from node.chain.simulate import Simulator
from node.chain.view import RpcChainView
from node.records import Watched
from node.verification import ReportRejected, ReportVerifier
from protocol import intent, messages
from protocol.bls import DST_AUTHORIZATION, BLSError, get_backend
from protocol.detection import BPS, EvidenceKind, Finding, check_evidence
from protocol.digest import Action, authorization_digest, protocol_id
from protocol.evidence import Evidence

_BALANCE_KINDS = (EvidenceKind.OUTFLOW, EvidenceKind.BALANCE_DROP)


@dataclass(frozen=True)
class Judgement:
    justified: bool
    reason: str  # the first failed check, or the rule's verdict
    rule: str  # the rule and its numbers, in words
    digest: bytes
    key_epoch: int
    chain_id: int
    signature_valid: bool
    watched: Watched | None


async def _decimals(rpc: ChainRpc, token: bytes, block: int) -> int | None:
    if token == b"\x00" * 20:
        return 18
    answer = await rpc.call(token, bytes.fromhex("313ce567"), block)  # decimals()
    if answer is None or len(answer) != 32 or int.from_bytes(answer, "big") > 36:
        return None
    return int.from_bytes(answer, "big")


def _amount(value: int, decimals: int | None) -> str:
    if decimals is None:
        return f"{value:,}"
    whole = value / 10**decimals
    return f"{whole:,.0f}" if whole >= 100 else f"{whole:,.4g}"


async def describe_rule(rpc: ChainRpc, ev: Evidence, watched: Watched | None) -> str:
    """The rule and its numbers: "outflow 1,000,000 -> 0 over 20 blocks (100% fell), limit 15%"."""
    if watched is None:
        return "no registration at that block: no rule applies"
    params, verdict = watched.params, check_evidence(ev, watched.params)
    holds = "holds" if verdict.violated else "does not hold"
    kind = EvidenceKind(ev.kind) if ev.kind in set(EvidenceKind) else None
    if kind in _BALANCE_KINDS and len(ev.observed) == 2:
        before, after = ev.observed
        limit = params.outflow_limit_bps if kind is EvidenceKind.OUTFLOW else \
            params.balance_drop_bps
        decimals = await _decimals(rpc, ev.subject, ev.block_from)
        fell = (before - after) * 100 / before if before > after and before else 0.0
        label = "outflow" if kind is EvidenceKind.OUTFLOW else "one-block drop"
        return (f"{label} {_amount(before, decimals)} -> {_amount(after, decimals)} over "
                f"{ev.block_to - ev.block_from} blocks ({fell:.1f}% fell), limit "
                f"{limit * 100 / BPS:g}%: {holds}")
    if kind is EvidenceKind.EXTRACTION and verdict.finding is not Finding.MALFORMED:
        facts = intent.facts_from_fields(ev.observed, ev.detail)
        decimals = await _decimals(rpc, ev.subject, ev.block_from)
        view = "claims view" if params.claims is not None else "no claims view"
        return (f"extraction in tx 0x{facts.tx_hash.hex()}: {_amount(facts.extracted, decimals)} "
                f"taken by {len(facts.beneficiaries)} account(s) whose claims were "
                f"{_amount(facts.claims, decimals)} ({view}), of "
                f"{_amount(facts.balance_before, decimals)}; flash loans {facts.flash_loans}, "
                f"young contract {'yes' if facts.young else 'no'}: {holds}")
    return f"{verdict.reason}: {holds}"


def signature_valid(group_key_eip2537: bytes, digest: bytes, signature_eip2537: bytes) -> bool:
    backend = get_backend()
    try:
        pk = backend.g1_from_eip2537(group_key_eip2537)
        sig = backend.g2_from_eip2537(signature_eip2537)
        return backend.verify(pk, digest, sig, DST_AUTHORIZATION)
    except (BLSError, ValueError):
        return False


async def judge(rpc: ChainRpc, call: AuthorizeCall, ev: Evidence) -> Judgement:
    """Re-run the guardians' re-verification of this containment on `rpc`'s chain."""
    before = call.block - 1  # the oracle's state the containment was judged against
    if call.action not in set(Action):  # a GuardianOracle reverts it; a look-alike may not
        rule = "no rule: unknown action"
        return Judgement(False, f"unknown action {call.action}", rule, b"", 0, 0, False, None)
    oracle = OracleClient(rpc, call.oracle)
    chain_id = await rpc.chain_id()
    key_epoch = await oracle.key_epoch(block=before)
    pid = protocol_id(call.target)
    digest = authorization_digest(chain_id, call.oracle, key_epoch, pid, call.action, call.nonce,
                                  call.deadline, call.evidence_from_block, call.evidence_hash)
    sig_ok = signature_valid(await oracle.group_public_key(block=before), digest, call.signature)
    watched = await RegistryTracker(oracle).watched_at(pid, before)
    rule = await describe_rule(rpc, ev, watched)

    def result(ok: bool, reason: str) -> Judgement:
        return Judgement(ok, reason, rule, digest, key_epoch, chain_id, sig_ok, watched)

    if not sig_ok:
        return result(False, "the signature does not verify under the group key over the "
                             "digest recomputed from the chain")
    if ev.protocol_id != pid:
        return result(False, "the evidence is about another protocol")
    if ev.block_from != call.evidence_from_block:
        return result(False, f"the evidence starts at block {ev.block_from}, the signed digest "
                             f"says {call.evidence_from_block}")
    report = messages.Report(chain_id=chain_id, oracle=call.oracle, key_epoch=key_epoch,
                             protocol_id=pid, action=call.action, nonce=call.nonce,
                             deadline=call.deadline, evidence=ev, observed_block=ev.block_to,
                             guardian=1, signature=b"\x00" * messages.SIGNATURE_BYTES)
    verifier = ReportVerifier(chain_id=chain_id, oracle_address=call.oracle, key_epoch=key_epoch,
                              view=RpcChainView(rpc), oracle=oracle,
                              watched=lambda: {pid: watched} if watched else {},
                              head_wait_seconds=0.0, simulator=Simulator(rpc))
    await verifier.on_head(before)
    try:
        await verifier.verify(report)
    except ReportRejected as exc:
        return result(False, str(exc))
    return result(True, check_evidence(ev, watched.params).reason)
