"""Intent facts: how value left a protocol in one transaction, and the rule over them (EXTRACTION).

A threshold on how much left a protocol cannot tell a whale taking back its own deposit from a
drain. These facts can, and every guardian derives them identically from the chain, for one
transaction `tx` in block N (or a pending transaction simulated as block N on its base block N-1):

- the **transfers** of the transaction, in execution order: ERC-20 `Transfer(from, to, value)`
  logs (three topics, a 32-byte value) and native value moved by calls that did not revert;
- the **extracted** value of one registered token: what left the monitored contracts for
  non-monitored addresses in `tx`, minus what came into them from non-monitored addresses
  (`net_outflow`); clamped at zero;
- the **beneficiaries**: `tx.from`, `tx.to`, then every receiver of value leaving a monitored
  contract, in order of first appearance, monitored contracts and the zero address left out, at
  most `MAX_BENEFICIARIES` (later ones are dropped: their claims do not count, which errs toward
  evidence, never away from it);
- their **claims** before `tx`: the sum over beneficiaries of the registered claims view
  `claimOf(account, token)` at block N-1 (a revert or a malformed answer counts as 0);
- the monitored **balance** of the token at block N-1 (the scale for the tolerance and limits);
- the **flash loans** in `tx`: how many times a token went from some L to some X and then at
  least as much of the same token went from X back to L, later in the same transaction (L != X,
  neither of them monitored: a deposit into the protocol then a withdrawal is not a loan);
- whether the **calling contract is young**: `tx.to` had no code at block N - `AGE_BLOCKS`;
- which registered **invariants held** at N-1 and at N (bitmasks, in registration order).

The rule (`judge_extraction`), decided as follows:
- With a claims view registered, extracting more than the beneficiaries' own claims by more than
  `TOLERANCE_BPS` of the monitored balance is an exploit, whatever funded it: nobody may take out
  what is not theirs, and a whale or a bank run only takes back its own. The tolerance absorbs
  interest accrued between the block before and the transaction, and rounding.
- Without a claims view the guardians cannot know whose value it was, so they need all three
  signs of an atomic exploit at once: more than the registered one-transaction limit (the smaller
  non-zero of the outflow and one-block drop limits) left in this ONE transaction, it was funded
  by a flash loan, and it went through a contract younger than `AGE_BLOCKS`. Any one of them
  alone is ordinary (a whale, an arbitrage bot's loan, a new integration).
- Outflow to accounts taking back their own claims is never evidence: it is within the claims;
  and a flash deposit then withdrawal in one transaction extracts nothing net.
- A transaction the protocol's registered governance sent (`tx.from` is the admin) is never
  evidence: the team moving its protocol's funds (a migration to a new version) takes nothing
  that is not the protocol's to move, and the same admin's privileged changes are legitimate
  too (PRIVILEGED_CHANGE). A compromised admin key is beyond what the guardians can contain.

Blind spots (docs/security.md): claims are read at the block before, so value deposited by an
earlier transaction of the same block counts as not theirs (errs toward evidence); collateral in
another token posted in the same transaction does not raise the claim in this token; native value
moved without a call frame (a SELFDESTRUCT's beneficiary) is not seen on the mined path.

The evidence's `block_from` and `block_to` are both N, the transaction's block (the facts "before"
are read at N-1): the evidence starts with the transaction, so a transaction in the block right
after a release (a lift, an expiry, a failed hook) is new evidence, and one in the release's own
block is not.

This module is pure: the node (node/chain/trace.py, node/detectors/extraction.py) reads the chain
and hands the transfers and reads here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak

from protocol.errors import ProtocolError

BPS = 10_000
ZERO = b"\x00" * 20
# "claimOf(address,address)" (account, token) -> uint256: how much of `token` `account` may
# rightfully take out of the protocol right now. Registered as an invariant entry whose calldata is
# exactly this selector (a marker, not an invariant: `split_claims`).
CLAIM_OF_SELECTOR = keccak(b"claimOf(address,address)")[:4]
# keccak("Transfer(address,address,uint256)")
TRANSFER_TOPIC = keccak(b"Transfer(address,address,uint256)")
AGE_BLOCKS = 300  # a calling contract with no code this many blocks ago is young (~1 h at 12 s)
TOLERANCE_BPS = 10  # extraction beyond claims below 0.1% of the monitored balance is noise
MAX_BENEFICIARIES = 16
TX_HASH_BYTES = 32
# observed[i] of EXTRACTION evidence, in this order
OBSERVED_FIELDS = ("extracted", "claims", "balance_before", "flash_loans", "young",
                   "held_before", "held_after")


class IntentError(ProtocolError):
    """Facts that do not have the shape the rule needs (malformed evidence)."""


@dataclass(frozen=True)
class Transfer:
    token: bytes  # 20 B; ZERO for native value
    sender: bytes
    receiver: bytes
    amount: int


@dataclass(frozen=True)
class ExtractionFacts:
    tx_hash: bytes
    beneficiaries: tuple[bytes, ...]
    extracted: int
    claims: int
    balance_before: int
    flash_loans: int
    young: int  # 1: tx.to had no code AGE_BLOCKS ago
    held_before: int  # bit i: registered invariant i held at block N-1
    held_after: int  # ... at block N

    def observed(self) -> tuple[int, ...]:
        return (self.extracted, self.claims, self.balance_before, self.flash_loans, self.young,
                self.held_before, self.held_after)

    def detail(self) -> bytes:
        return self.tx_hash + b"".join(self.beneficiaries)


# -- registration: the claims view marker ----------------------------------------------------


def claims_marker(adapter: bytes) -> tuple[bytes, bytes]:
    """The invariant entry `(target, calldata)` that registers `adapter` as the claims view."""
    if len(adapter) != 20:
        raise IntentError("claims adapter must be a 20-byte address")
    return (bytes(adapter), CLAIM_OF_SELECTOR)


def is_claims_marker(data: bytes) -> bool:
    return bytes(data) == CLAIM_OF_SELECTOR


def split_claims(entries: Iterable[tuple[bytes, bytes]]
                 ) -> tuple[tuple[tuple[bytes, bytes], ...], bytes | None]:
    """(the real invariants, the claims adapter or None) from a registration's invariant entries.
    The first marker names the adapter; further markers are ignored (they are not invariants)."""
    invariants, claims = [], None
    for target, data in entries:
        if is_claims_marker(data):
            claims = claims if claims is not None else bytes(target)
        else:
            invariants.append((bytes(target), bytes(data)))
    return tuple(invariants), claims


def claim_of_calldata(account: bytes, token: bytes) -> bytes:
    return CLAIM_OF_SELECTOR + b"\x00" * 12 + account + b"\x00" * 12 + token


def decode_claim(returndata: bytes | None) -> int:
    """A claims view's answer: exactly one uint256; anything else (a revert) is no claim."""
    if returndata is None or len(returndata) != 32:
        return 0
    return int.from_bytes(returndata, "big")


# -- facts from transfers ----------------------------------------------------------------------


def net_outflow(transfers: Sequence[Transfer], monitored: Sequence[bytes], token: bytes) -> int:
    """What of `token` left the monitored contracts in the transaction, net of what came in."""
    inside = set(monitored)
    out = sum(t.amount for t in transfers if t.token == token and t.sender in inside
              and t.receiver not in inside)
    came = sum(t.amount for t in transfers if t.token == token and t.receiver in inside
               and t.sender not in inside)
    return max(0, out - came)


def beneficiaries_of(tx_from: bytes, tx_to: bytes | None, transfers: Sequence[Transfer],
                     monitored: Sequence[bytes]) -> tuple[bytes, ...]:
    inside = set(monitored)
    found: dict[bytes, None] = {}
    candidates = [tx_from] + ([tx_to] if tx_to is not None else []) + [
        t.receiver for t in transfers if t.sender in inside and t.receiver not in inside]
    for account in candidates:
        if account not in inside and account != ZERO:
            found.setdefault(account, None)
    return tuple(found)[:MAX_BENEFICIARIES]


def flash_loans(transfers: Sequence[Transfer], monitored: Sequence[bytes]) -> int:
    """Borrow-and-repay pairs: L -> X then at least as much X -> L of the same token, later."""
    inside = set(monitored)
    count, used = 0, set()
    for i, loan in enumerate(transfers):
        if (loan.amount == 0 or loan.sender == loan.receiver or loan.sender in inside
                or loan.receiver in inside or ZERO in (loan.sender, loan.receiver)):
            continue
        for j in range(i + 1, len(transfers)):
            back = transfers[j]
            if (j not in used and back.token == loan.token and back.sender == loan.receiver
                    and back.receiver == loan.sender and back.amount >= loan.amount):
                used.add(j)
                count += 1
                break
    return count


def held_mask(results: Sequence[bool]) -> int:
    return sum(1 << i for i, held in enumerate(results) if held)


# -- evidence fields -----------------------------------------------------------------------------


def facts_from_fields(observed: Sequence[int], detail: bytes) -> ExtractionFacts:
    if len(observed) != len(OBSERVED_FIELDS):
        raise IntentError(f"observed must be {OBSERVED_FIELDS}")
    body = detail[TX_HASH_BYTES:]
    if len(detail) < TX_HASH_BYTES + 20 or len(body) % 20:
        raise IntentError("detail must be tx hash (32) + beneficiaries (20 each)")
    accounts = tuple(body[i:i + 20] for i in range(0, len(body), 20))
    if len(accounts) > MAX_BENEFICIARIES or len(set(accounts)) != len(accounts):
        raise IntentError(f"detail must name 1..{MAX_BENEFICIARIES} distinct beneficiaries")
    extracted, claims, balance, flash, young, before, after = observed
    if young not in (0, 1):
        raise IntentError("young must be 0 or 1")
    return ExtractionFacts(detail[:TX_HASH_BYTES], accounts, extracted, claims, balance, flash,
                           young, before, after)


# -- the rule ------------------------------------------------------------------------------------


def one_tx_limit_bps(outflow_limit_bps: int, balance_drop_bps: int) -> int:
    """The registered limit on what may leave in one transaction: the smaller non-zero of the
    outflow and one-block drop limits (0: none registered)."""
    limits = [bps for bps in (outflow_limit_bps, balance_drop_bps) if bps > 0]
    return min(limits) if limits else 0


@dataclass(frozen=True)
class IntentVerdict:
    exploit: bool
    reason: str


def beyond_claims(facts: ExtractionFacts) -> bool:
    """Extraction beyond the beneficiaries' own claims by more than the tolerance."""
    beyond = facts.extracted - facts.claims
    return beyond > 0 and beyond * BPS > TOLERANCE_BPS * facts.balance_before


def by_governance(facts: ExtractionFacts, admin: bytes | None) -> bool:
    """The transaction was sent by the protocol's registered governance (the first beneficiary is
    `tx.from`): the team moving its own protocol's funds (a migration, a treasury operation) is
    not extraction, as its own privileged changes are not evidence either."""
    return admin is not None and admin != ZERO and facts.beneficiaries[:1] == (admin,)


def judge_extraction(facts: ExtractionFacts, has_claims_view: bool,
                     one_tx_limit_bps: int, admin: bytes | None = None) -> IntentVerdict:
    if facts.extracted == 0:
        return IntentVerdict(False, "extraction: nothing left the monitored contracts net")
    if by_governance(facts, admin):
        return IntentVerdict(False, "extraction: sent by the protocol's registered governance")
    if has_claims_view:
        if beyond_claims(facts):
            return IntentVerdict(True, f"extraction: {facts.extracted} taken, the takers' own "
                                       f"claims were {facts.claims} (tolerance {TOLERANCE_BPS} "
                                       f"bps of {facts.balance_before})")
        return IntentVerdict(False, f"extraction: {facts.extracted} within the takers' own "
                                    f"claims {facts.claims}")
    if one_tx_limit_bps <= 0:
        return IntentVerdict(False, "extraction: no claims view and no outflow limit registered")
    large = facts.extracted * BPS > one_tx_limit_bps * facts.balance_before
    signs = {"above the one-transaction limit": large, "flash-loan funded": facts.flash_loans > 0,
             "through a young contract": facts.young == 1}
    if all(signs.values()):
        return IntentVerdict(True, f"extraction: {facts.extracted} of {facts.balance_before} "
                                   f"in one transaction, flash-loan funded, through a contract "
                                   f"younger than {AGE_BLOCKS} blocks")
    missing = ", ".join(name for name, seen in signs.items() if not seen)
    return IntentVerdict(False, f"extraction: without a claims view, not {missing}")


def only_own_claims(facts: Sequence[ExtractionFacts]) -> bool:
    """A transaction that took value out (per registered token: `facts`) and all of it within
    the takers' own claims: returning its sender its own money, never pending evidence."""
    return any(f.extracted > 0 for f in facts) and not any(beyond_claims(f) for f in facts)
