"""Dilution facts: a deposit the protocol credited (almost) no claim for, and the rule over them
(DILUTION, exploit class).

The ERC-4626 inflation (donation) attack takes nothing beyond anyone's claim: the attacker first
owns every share, donates to push the share price up, and the victim's deposit then rounds down
to zero shares; the victim's value now backs the attacker's shares, and the attacker's later
redeem takes exactly its claim (no EXTRACTION, and a balance window within claims is excused).
The harmful step is the victim's deposit, and it is visible in the claims view: the depositor's
claim rose by (almost) nothing although it paid in. The facts, for one transaction `tx` in block
N and one registered ERC-20 token:

- the **depositors**: `tx.from`, then `tx.to` (a router or zap depositing for its caller), the
  monitored contracts and the zero address left out;
- **deposited**: what of the token moved from the depositors into the monitored contracts, net of
  what moved from the monitored contracts back to them in `tx` (clamped at zero);
- the depositors' **claims** (sum of the registered `claimOf(account, token)`) at N-1 and at N;
- the monitored **balance** of the token at N-1;
- **minted**: 1 if a monitored contract recorded a deposit in `tx`: it emitted an ERC-4626
  `Deposit(sender, owner, assets, shares)` event or an ERC-20 `Transfer` from the zero address (a
  share or receipt token minted), of any amount, zero included (`deposit_records`). Only then is
  the inflow a deposit that should have credited claims. A plain transfer to the protocol (a
  donation, which gives value away by choice) records none; neither does a payment that is not a
  deposit: a debt repayment, a liquidator repaying a borrower's debt and seizing its collateral,
  a swap's input, a fee. Those reduce a debt or buy something, and crediting the payer no claim
  is what they are meant to do (a market crash's liquidations were read as diluted deposits
  before this fact: a false PAUSE).

The rule (`judge_dilution`): with a claims view registered, the **shortfall**
`deposited - (claims_after - claims_before)` is evidence when it exceeds `SHORTFALL_BPS` of the
deposit AND `TOLERANCE_BPS` of the monitored balance. Why these numbers:
- A deposit fee or the rounding of one share costs the depositor a few percent at most; half of
  the deposit is beyond any fee a protocol charges, so a legitimate deposit never triggers.
- The attacker who front-runs a known deposit donates at least its size (the donation comes back
  with the redeem), so the victim gets zero shares: the shortfall is ~100%. The one-share variant
  loses up to ~50% and is caught at its worst; smaller roundings are below the rule (a blind spot).
- The floor of `TOLERANCE_BPS` of the balance (the EXTRACTION tolerance) ignores dust: a 1-wei
  deposit rounding to zero shares in a large vault harms nobody.
Never evidence: no claims view (nobody can tell what a deposit is worth), a transaction the
registered governance sent (the team adding yield), an inflow the protocol recorded no deposit
for (`minted` 0: a donation, a repayment, a liquidation, a swap). An attacker cannot use this to
hide the inflation attack: the victim's deposit is the vault's own `deposit`, which records it
(ERC-4626 emits `Deposit` and mints, even zero shares); a vault whose deposits record nothing is
not judged (docs/security.md).

Blind spots (docs/security.md): the depositor's claim is read at the end of block N on the mined
path, so the node skips a depositor that another transaction of block N names in a log of the
protocol or of a registered token (a later withdrawal would fake a shortfall); a deposit credited
to a third account (`receiver` other than the sender and `tx.to`) looks credited nothing, and a
donation in a transaction that also records a deposit (a keeper that pays in and deposits) looks
like a deposit (both err toward evidence); a protocol whose deposits record nothing (no ERC-4626
`Deposit`, no share mint: a lending market's internal balances) is not judged, and a repayment
that also mints something (interest accrued to a treasury as shares) is judged as a deposit;
native-value deposits are not judged.

This module is pure: node/detectors/dilution.py reads the chain and hands the reads here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak

from protocol.evidence import Evidence
from protocol.intent import TOLERANCE_BPS, TRANSFER_TOPIC, ZERO, IntentError, Transfer
from protocol.verdict import EvidenceVerdict, Finding

BPS = 10_000
SHORTFALL_BPS = 5_000  # a deposit credited less than half its value (no fee is that large)
MAX_DEPOSITORS = 2  # tx.from, tx.to
TX_HASH_BYTES = 32
OBSERVED_FIELDS = ("deposited", "claims_before", "claims_after", "balance_before", "minted")
# ERC-4626: Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares)
DEPOSIT_TOPIC = keccak(b"Deposit(address,address,uint256,uint256)")


@dataclass(frozen=True)
class DilutionFacts:
    tx_hash: bytes
    depositors: tuple[bytes, ...]
    deposited: int
    claims_before: int
    claims_after: int
    balance_before: int
    minted: int  # 1: a monitored contract recorded a deposit in the transaction (deposit_records)

    def observed(self) -> tuple[int, ...]:
        return (self.deposited, self.claims_before, self.claims_after, self.balance_before,
                self.minted)

    def detail(self) -> bytes:
        return self.tx_hash + b"".join(self.depositors)

    @property
    def shortfall(self) -> int:
        return self.deposited - (self.claims_after - self.claims_before)


def depositors_of(tx_from: bytes, tx_to: bytes | None, monitored: Sequence[bytes]
                  ) -> tuple[bytes, ...]:
    inside = set(monitored)
    found: dict[bytes, None] = {}
    for account in (tx_from, tx_to):
        if account is not None and account not in inside and account != ZERO:
            found.setdefault(account, None)
    return tuple(found)


def is_deposit_record(address: bytes, topics: Sequence[bytes], monitored: Sequence[bytes]) -> bool:
    """A log by a monitored contract that records a deposit: ERC-4626 `Deposit` (two indexed
    accounts), or an ERC-20 `Transfer` from the zero address (a share or receipt token minted)."""
    if address not in set(monitored) or not topics:
        return False
    if topics[0] == DEPOSIT_TOPIC:
        return len(topics) == 3
    return (topics[0] == TRANSFER_TOPIC and len(topics) == 3
            and topics[1] == b"\x00" * 32)


def deposit_records(logs: Iterable[tuple[bytes, Sequence[bytes]]],
                    monitored: Sequence[bytes]) -> int:
    """1 if any of one transaction's logs, as (address, topics), records a deposit; else 0."""
    return 1 if any(is_deposit_record(a, t, monitored) for a, t in logs) else 0


def deposited(transfers: Sequence[Transfer], monitored: Sequence[bytes],
              depositors: Sequence[bytes], token: bytes) -> int:
    """What of `token` the depositors moved into the monitored contracts, net of what came back."""
    inside, own = set(monitored), set(depositors)
    came = sum(t.amount for t in transfers if t.token == token and t.sender in own
               and t.receiver in inside)
    back = sum(t.amount for t in transfers if t.token == token and t.sender in inside
               and t.receiver in own)
    return max(0, came - back)


def facts_from_fields(observed: Sequence[int], detail: bytes) -> DilutionFacts:
    if len(observed) != len(OBSERVED_FIELDS):
        raise IntentError(f"observed must be {OBSERVED_FIELDS}")
    body = detail[TX_HASH_BYTES:]
    if len(detail) < TX_HASH_BYTES + 20 or len(body) % 20:
        raise IntentError("detail must be tx hash (32) + depositors (20 each)")
    accounts = tuple(body[i:i + 20] for i in range(0, len(body), 20))
    if len(accounts) > MAX_DEPOSITORS or len(set(accounts)) != len(accounts) or ZERO in accounts:
        raise IntentError(f"detail must name 1..{MAX_DEPOSITORS} distinct depositors")
    deposit, before, after, balance, minted = observed
    if minted not in (0, 1):
        raise IntentError("minted must be 0 or 1")
    return DilutionFacts(detail[:TX_HASH_BYTES], accounts, deposit, before, after, balance,
                         minted)


@dataclass(frozen=True)
class DilutionVerdict:
    exploit: bool
    reason: str


def judge_dilution(facts: DilutionFacts, has_claims_view: bool,
                   admin: bytes | None = None) -> DilutionVerdict:
    if not has_claims_view:
        return DilutionVerdict(False, "dilution: no claims view registered")
    if facts.deposited == 0:
        return DilutionVerdict(False, "dilution: nothing was deposited")
    if admin is not None and admin != ZERO and facts.depositors[:1] == (admin,):
        return DilutionVerdict(False, "dilution: sent by the protocol's registered governance")
    if facts.minted != 1:
        return DilutionVerdict(False, "dilution: the protocol recorded no deposit (a donation, "
                                      "a repayment, a liquidation, a swap)")
    short = facts.shortfall
    if (short * BPS > SHORTFALL_BPS * facts.deposited
            and short * BPS > TOLERANCE_BPS * facts.balance_before):
        return DilutionVerdict(True, f"dilution: {facts.deposited} deposited, the depositors' "
                                     f"claims rose {facts.claims_after - facts.claims_before} "
                                     f"(shortfall beyond {SHORTFALL_BPS} bps of the deposit "
                                     f"and {TOLERANCE_BPS} bps of {facts.balance_before})")
    return DilutionVerdict(False, f"dilution: {facts.deposited} deposited, credited "
                                  f"{facts.claims_after - facts.claims_before}")


def check_dilution(ev: Evidence, params) -> EvidenceVerdict:
    """The DILUTION rule as `protocol.detection.RULES` calls it (`params`: its DetectionParams)."""
    def malformed(reason: str) -> EvidenceVerdict:
        return EvidenceVerdict(Finding.MALFORMED, f"dilution: {reason}")

    if ev.subject not in params.tokens or ev.subject == ZERO:  # ZERO: native value
        return malformed(f"token 0x{ev.subject.hex()} is not a registered ERC-20 token")
    if ev.block_from != ev.block_to:
        return malformed("block_from and block_to must be the transaction's block")
    if params.claims is None:
        return malformed("the protocol registered no claims view")
    try:
        facts = facts_from_fields(ev.observed, ev.detail)
    except IntentError as exc:
        return malformed(str(exc))
    verdict = judge_dilution(facts, True, params.admin)
    return EvidenceVerdict(Finding.VIOLATION if verdict.exploit else Finding.NO_VIOLATION,
                           verdict.reason)
