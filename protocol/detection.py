"""Detection rules: when does evidence show an exploit in progress? Every guardian applies the
same rules to the same evidence, parameterised only by what the protocol registered on chain
(`DetectionParams`), never by local configuration. A node gathers observations; this module
decides. A peer's report: fetch the same observations, require them equal, `check_evidence`.

`RULES` is the one table of evidence kinds: for each, the pure check, its class (`Shape`) and
what the evidence fields mean (`protocol.rules_doc.rules_table()` renders it). Adding a kind is a
member of `EvidenceKind`, its check and its row here, plus its detector in node/detectors/.

Two classes (`Shape`; what each may engage: `protocol.containment.CLASS_ACTIONS`): VOLATILITY
(how much left) engages only an allowed circuit breaker, else nothing; EXPLOIT (how value left,
what broke) the strongest allowed of pause > collateral lock > circuit breaker. PREPARED has the
class of the rule that judged its probe (`evidence_shape`). `Finding` and `EvidenceVerdict` live
in protocol/verdict.py (a rule in its own module returns them without importing this table)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

from protocol import intent
from protocol.containment import CLASS_ACTIONS, Shape, allows
from protocol.digest import Action
from protocol.dilution import check_dilution
from protocol.evidence import Evidence
from protocol.prepared import PreparedError, decode_probe, probe_rule
from protocol.privileged import PRIVILEGED_TOPICS
from protocol.verdict import EvidenceVerdict, Finding  # noqa: F401 - re-exported

BPS = 10_000
# How long a guardian signature stays usable: deadline = timestamp of evidence.block_to + this.
AUTHORIZATION_VALIDITY_SECONDS = 900
ETHER = b"\x00" * 20  # the token address that stands for the chain's native currency
ABI_TRUE = (1).to_bytes(32, "big")

class EvidenceKind(IntEnum):
    """The kinds of evidence; each has one row in `RULES`."""

    OUTFLOW = 1
    BALANCE_DROP = 2
    INVARIANT = 3
    PRIVILEGED_CHANGE = 4
    EXTRACTION = 5  # value taken beyond the takers' own claims (protocol.intent)
    PREPARED = 6  # a new contract whose simulated probe breaks a rule (protocol.prepared)
    DILUTION = 7  # a deposit credited (almost) no claim (protocol.dilution)


@dataclass(frozen=True)
class InvariantCall:
    target: bytes  # 20 B
    data: bytes


@dataclass(frozen=True)
class DetectionParams:
    """The detection parameters a protocol registered with the oracle."""

    monitored: tuple[bytes, ...]
    tokens: tuple[bytes, ...]
    outflow_limit_bps: int
    window_blocks: int
    balance_drop_bps: int
    invariants: tuple[InvariantCall, ...]
    admin: bytes = ETHER  # the protocol's governance: its own privileged changes are legitimate
    claims: bytes | None = None  # the claims view (protocol.intent.split_claims), if registered


MAX_INVARIANT_SPAN = 256  # blocks between the invariant's last hold and its break
PROBE_RULES = (EvidenceKind.OUTFLOW, EvidenceKind.BALANCE_DROP, EvidenceKind.INVARIANT,
               EvidenceKind.EXTRACTION)  # may judge a PREPARED probe (its class: `evidence_shape`)


def evidence_after_release(ev: Evidence, release_block: int) -> bool:
    """Evidence counts only if it starts after the last release (oracle's `lastReleaseBlock`)."""
    return ev.block_from > release_block


def drop_exceeds_bps(before: int, after: int, limit_bps: int) -> bool:
    """True when the balance fell by more than `limit_bps` basis points of `before`."""
    if before <= 0 or after >= before or limit_bps <= 0:
        return False
    return (before - after) * BPS > limit_bps * before


def invariant_holds(returndata: bytes | None) -> bool:
    """An invariant holds only when the call returned exactly ABI-encoded `true`.

    A revert (None) or any other answer counts as broken: a protocol registers calls that answer.
    """
    return returndata == ABI_TRUE


def shape_of(kind: EvidenceKind) -> Shape:
    return RULES[EvidenceKind(kind)].shape


def evidence_shape(ev: Evidence) -> Shape:
    """Its kind's class; PREPARED has its probe's rule's (a balance rule cannot tell a withdrawal
    from a theft, probed or not); a probe that does not decode has the weakest class."""
    if ev.kind != EvidenceKind.PREPARED:
        return shape_of(EvidenceKind(ev.kind))
    rule = probe_rule(ev.detail)
    return shape_of(EvidenceKind(rule)) if rule in PROBE_RULES else Shape.VOLATILITY


def choose_action(of: EvidenceKind | Evidence, allowed_actions_mask: int) -> Action | None:
    """The strongest allowed containment the class of `of` (evidence: `evidence_shape`; a kind:
    its row's) may engage; None: nothing (volatility where the circuit breaker is not allowed)."""
    shape = evidence_shape(of) if isinstance(of, Evidence) else shape_of(of)
    for action in CLASS_ACTIONS[shape]:
        if allows(allowed_actions_mask, action):
            return action
    return None


def report_deadline(block_timestamp: int) -> int:
    return block_timestamp + AUTHORIZATION_VALIDITY_SECONDS


def preference_key(evidence_block_to: int, evidence_hash: bytes) -> tuple[int, bytes]:
    """Order of competing reports for one incident: earlier evidence first, then lower hash.
    Every guardian converges on the smallest key it has seen: duplicates merge onto one digest."""
    return (evidence_block_to, evidence_hash)


def _malformed(reason: str) -> EvidenceVerdict:
    return EvidenceVerdict(Finding.MALFORMED, reason)


def _check_balance_evidence(ev: Evidence, params: DetectionParams, limit_bps: int,
                            max_span: int, label: str) -> EvidenceVerdict:
    if len(ev.detail) != 20:
        return _malformed(f"{label}: detail must be the 20-byte holder address")
    if ev.detail not in params.monitored:
        return _malformed(f"{label}: holder 0x{ev.detail.hex()} is not a monitored address")
    if ev.subject not in params.tokens and ev.subject != ETHER:
        return _malformed(f"{label}: token 0x{ev.subject.hex()} is not registered")
    span = ev.block_to - ev.block_from
    if not 0 < span <= max_span:
        return _malformed(f"{label}: block span {span} outside 1..{max_span}")
    if len(ev.observed) != 2:
        return _malformed(f"{label}: expected (balance_from, balance_to)")
    before, after = ev.observed
    if drop_exceeds_bps(before, after, limit_bps):
        return EvidenceVerdict(Finding.VIOLATION,
                       f"{label}: balance fell {before} -> {after} over {span} blocks, "
                       f"limit {limit_bps} bps")
    return EvidenceVerdict(Finding.NO_VIOLATION, f"{label}: within {limit_bps} bps")


def check_outflow(ev: Evidence, params: DetectionParams) -> EvidenceVerdict:
    """ERC-7265 style: net outflow over at most `window_blocks` above `outflow_limit_bps`."""
    if params.outflow_limit_bps == 0 or params.window_blocks == 0:
        return _malformed("outflow: the protocol registered no outflow limit")
    return _check_balance_evidence(ev, params, params.outflow_limit_bps, params.window_blocks,
                                   "outflow")


def check_balance_drop(ev: Evidence, params: DetectionParams) -> EvidenceVerdict:
    """A sudden drop between two consecutive blocks above `balance_drop_bps`."""
    if params.balance_drop_bps == 0:
        return _malformed("balance drop: the protocol registered no drop limit")
    return _check_balance_evidence(ev, params, params.balance_drop_bps, 1, "balance drop")


def check_invariant(ev: Evidence, params: DetectionParams) -> EvidenceVerdict:
    """A registered view call that held at `block_from` and no longer holds at `block_to`.

    The evidence is the transition, not the broken state: an invariant still broken when the
    protocol's governance lifted a containment (or when its containment expired) is not new
    evidence, and `block_from` must come after the protocol's last release (the oracle checks it),
    so a containment can only follow a new break."""
    if InvariantCall(ev.subject, ev.detail) not in params.invariants:
        return _malformed("invariant: not a registered invariant call")
    if not 0 < ev.block_to - ev.block_from <= MAX_INVARIANT_SPAN:
        return _malformed(f"invariant: block span {ev.block_to - ev.block_from} outside "
                          f"1..{MAX_INVARIANT_SPAN}")
    if ev.observed not in ((0, 0), (0, 1), (1, 0), (1, 1)):
        return _malformed("invariant: observed must be (held@from, held@to), each 0 or 1")
    if ev.observed == (1, 0):
        return EvidenceVerdict(Finding.VIOLATION,
                               "invariant: registered view call held, then stopped holding")
    return EvidenceVerdict(Finding.NO_VIOLATION, "invariant: no new break")


def check_privileged_change(ev: Evidence, params: DetectionParams) -> EvidenceVerdict:
    if ev.subject not in params.monitored:
        return _malformed("privileged change: contract is not monitored")
    if len(ev.detail) != 84 or len(ev.observed) != 1:
        return _malformed("privileged change: detail must be tx hash + topic0 + actor")
    topic, actor = ev.detail[32:64], ev.detail[64:84]
    if topic not in PRIVILEGED_TOPICS:
        return _malformed("privileged change: not a privileged event")
    if ev.block_from != ev.block_to:
        return _malformed("privileged change: block_from must equal block_to")
    if actor == params.admin:
        return EvidenceVerdict(Finding.NO_VIOLATION, "privileged change: made by the protocol's governance")
    return EvidenceVerdict(Finding.VIOLATION,
                   f"privileged change: {PRIVILEGED_TOPICS[topic]} by 0x{actor.hex()}, "
                   f"not the protocol's governance")


def check_extraction(ev: Evidence, params: DetectionParams) -> EvidenceVerdict:
    """Value taken out in one transaction beyond the takers' own claims (`protocol.intent`)."""
    if ev.subject not in params.tokens and ev.subject != ETHER:
        return _malformed(f"extraction: token 0x{ev.subject.hex()} is not registered")
    if ev.block_from != ev.block_to:
        return _malformed("extraction: block_from and block_to must be the transaction's block")
    try:
        facts = intent.facts_from_fields(ev.observed, ev.detail)
    except intent.IntentError as exc:
        return _malformed(f"extraction: {exc}")
    if params.claims is None and facts.claims != 0:
        return _malformed("extraction: claims observed but no claims view is registered")
    if max(facts.held_before, facts.held_after) >> len(params.invariants):
        return _malformed("extraction: invariant bits beyond the registered invariants")
    verdict = intent.judge_extraction(facts, params.claims is not None, intent.one_tx_limit_bps(
        params.outflow_limit_bps, params.balance_drop_bps), params.admin)
    return EvidenceVerdict(Finding.VIOLATION if verdict.exploit else Finding.NO_VIOLATION,
                           verdict.reason)


def check_prepared(ev: Evidence, params: DetectionParams) -> EvidenceVerdict:
    """A probe of a new contract (`protocol.prepared`), simulated on block `block_from`, breaks
    a rule: that rule's own check judges the probe's `subject`, `observed`, nothing looser."""
    try:
        probe = decode_probe(ev.detail)
    except PreparedError as exc:
        return _malformed(f"prepared: {exc}")
    if probe.rule not in PROBE_RULES:
        return _malformed(f"prepared: rule {probe.rule} cannot judge a probe")
    if ev.block_to != ev.block_from + 1:
        return _malformed("prepared: block_to must be the block after the base block")
    inner = Evidence(kind=probe.rule, protocol_id=ev.protocol_id, block_to=ev.block_to,
                     block_from=ev.block_to if probe.rule == EvidenceKind.EXTRACTION
                     else ev.block_from, subject=ev.subject, observed=ev.observed,
                     detail=probe.rule_detail)  # EXTRACTION: the simulated block alone
    verdict = RULES[EvidenceKind(probe.rule)].check(inner, params)
    return EvidenceVerdict(verdict.finding, f"prepared: probe 0x{probe.calldata[:4].hex()} of "
                           f"new contract 0x{probe.contract.hex()} from 0x{probe.sender.hex()}: "
                           f"{verdict.reason}")


@dataclass(frozen=True)
class EvidenceRule:
    kind: EvidenceKind
    check: Callable[[Evidence, DetectionParams], EvidenceVerdict]
    shape: Shape  # its class: which containments it may engage (CLASS_ACTIONS)
    subject: str  # what each evidence field holds for this kind
    detail: str
    observed: str


RULES: dict[EvidenceKind, EvidenceRule] = {rule.kind: rule for rule in (
    EvidenceRule(EvidenceKind.OUTFLOW, check_outflow, Shape.VOLATILITY, "token (0x0=ETH)",
                 "holder address (20 B), a monitored addr", "(balance@from, balance@to)"),
    EvidenceRule(EvidenceKind.BALANCE_DROP, check_balance_drop, Shape.VOLATILITY,
                 "token (0x0=ETH)", "holder address (20 B)", "(balance@from, balance@to)"),
    EvidenceRule(EvidenceKind.INVARIANT, check_invariant, Shape.EXPLOIT, "call target",
                 "calldata of the registered invariant",
                 "(held@from, held@to), 1 if the call returned true"),
    EvidenceRule(EvidenceKind.PRIVILEGED_CHANGE, check_privileged_change, Shape.EXPLOIT,
                 "monitored addr", "tx hash (32) + topic0 (32) + actor (20)", "(log index,)"),
    EvidenceRule(EvidenceKind.EXTRACTION, check_extraction, Shape.EXPLOIT, "token (0x0=ETH)",
                 "tx hash (32) + beneficiaries (20 each, 1..16)",
                 "(extracted, claims, balance@from, flash loans, young, held@from, held@to)"),
    EvidenceRule(EvidenceKind.PREPARED, check_prepared, Shape.EXPLOIT,
                 "the broken rule's subject", "the probe (protocol.prepared, msgpack)",
                 "the broken rule's observed, before/after the probe"),
    EvidenceRule(EvidenceKind.DILUTION, check_dilution, Shape.EXPLOIT, "token (ERC-20)",
                 "tx hash (32) + depositors (20 each, 1..2)",
                 "(deposited, claims before, after, balance, minted)"),
)}
assert set(RULES) == set(EvidenceKind), "every evidence kind has exactly one rule"


def is_known_kind(kind: int) -> bool:
    return kind in RULES


def check_evidence(ev: Evidence, params: DetectionParams) -> EvidenceVerdict:
    """The verdict every guardian reaches from this evidence under the registered parameters."""
    if ev.block_to < ev.block_from:
        return _malformed("block_to precedes block_from")
    if not is_known_kind(ev.kind):
        return _malformed(f"unknown evidence kind {ev.kind}")
    return RULES[EvidenceKind(ev.kind)].check(ev, params)
