"""Judging a ceremony from the messages held: who qualifies, and the transcript.

The judgement is a deterministic function of the held messages (`protocol.dkg_log`), so
participants holding the same messages reach the same result. A dealer is disqualified, with
the first reason that applies, when:

1. no deal from it is held ("no deal");
2. two different deals signed by it are held ("equivocation");
3. a recipient complained about it and no justification reveals a secret matching that
   recipient's ephemeral key in the deal ("complaint by j not answered");
4. the revealed secret opens the broadcast ciphertext to something that is not a share
   matching the commitments ("bad share for recipient j").

A complaint whose justification opens to a good share is rejected: it is listed in
`rejected_complaints` and the complainer loses nothing (recipients are never disqualified; a
silent recipient complains about nobody). The shares revealed this way are public from then on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import msgpack

from protocol.dkg_commitments import share_matches
from protocol.dkg_crypto import open_revealed
from protocol.dkg_errors import ShareDecryptionError
from protocol.dkg_keys import x25519_public
from protocol.dkg_log import MessageLog
from protocol.dkg_wire import Deal

TRANSCRIPT_VERSION = 1
_DOMAIN = b"GUARDIAN-NETWORK-V1-DKG-TRANSCRIPT"


@dataclass(frozen=True)
class Judgement:
    qualified: tuple[int, ...]
    disqualified: dict[int, str]
    rejected_complaints: tuple[tuple[int, int], ...]           # (dealer, complainer)
    revealed: dict[tuple[int, int], int] = field(repr=False)   # (dealer, recipient) -> share


def _answer(log: MessageLog, deal: Deal, recipient: int, secrets: list[bytes]) -> int | None:
    """The share a justification reveals for `recipient`: an int if good, 0 if the revealed
    secret opens to a bad share, None if no revealed secret belongs to the deal."""
    ceremony = log.ceremony
    ephemeral = deal.ephemeral_keys[recipient - 1]
    for secret in secrets:
        if x25519_public(secret) != ephemeral:
            continue
        try:
            share = open_revealed(log.ceremony_id, deal.dealer, recipient, secret, ephemeral,
                                  ceremony.recipient(recipient).encryption_key,
                                  deal.ciphertexts[recipient - 1])
        except ShareDecryptionError:
            return 0
        return share if share_matches(deal.commitments, recipient, share, log.backend) else 0
    return None


def judge(log: MessageLog) -> Judgement:
    qualified: list[int] = []
    disqualified: dict[int, str] = {}
    rejected: list[tuple[int, int]] = []
    revealed: dict[tuple[int, int], int] = {}
    equivocators = set(log.equivocators())
    for dealer in (p.index for p in log.ceremony.dealers):
        deal = log.deal_of(dealer)
        if dealer in equivocators:
            disqualified[dealer] = "equivocation: two different signed deals"
            continue
        if deal is None:
            disqualified[dealer] = "no deal"
            continue
        reveals = log.reveals_of(dealer)
        reason = None
        for complainer in log.complaints_against(dealer):
            share = _answer(log, deal, complainer, reveals.get(complainer, []))
            if share is None:
                reason = f"complaint by {complainer} not answered"
            elif share == 0:
                reason = f"bad share for recipient {complainer} (shown by its justification)"
            else:
                revealed[(dealer, complainer)] = share
                rejected.append((dealer, complainer))
                continue
            break
        if reason is None:
            qualified.append(dealer)
        else:
            disqualified[dealer] = reason
    return Judgement(tuple(qualified), disqualified, tuple(rejected), revealed)


def transcript(log: MessageLog, judgement: Judgement, group_public_key: bytes) -> bytes:
    """The canonical record of the ceremony: its id, the deal of every non-equivocating dealer,
    every response and justification held (each list sorted by bytes), the equivocators, the
    qualified set and the group key. Equal on participants that held the same messages."""
    equivocators = log.equivocators()
    deals = sorted(raw for dealer, held in log.deals.items() if dealer not in equivocators
                   for raw in held)
    return msgpack.packb({
        "v": TRANSCRIPT_VERSION, "ceremony": log.ceremony_id, "deals": deals,
        "responses": sorted(raw for held in log.responses.values() for raw in held),
        "justifications": sorted(raw for held in log.justifications.values() for raw in held),
        "equivocators": equivocators, "qualified": list(judgement.qualified),
        "group_public_key": group_public_key}, use_bin_type=True)


def transcript_hash(data: bytes) -> bytes:
    return hashlib.sha256(_DOMAIN + data).digest()


__all__ = ["Judgement", "judge", "transcript", "transcript_hash"]
