"""Distributed key generation (and resharing) for the guardians' threshold BLS key: the session
state machine a ceremony runner drives (pure; the runner moves messages and ends phases).

Variant: Joint-Feldman with complaints and justifications, as in GJKR (Gennaro, Jarecki,
Krawczyk, Rabin, "Secure distributed key generation for discrete-log based cryptosystems")
without its Pedersen-commitment first phase, i.e. the variant drand and most BLS deployments run.
Each dealer i picks a random polynomial f_i of degree t-1, broadcasts Feldman commitments
C_ik = a_ik * g1 and, for every recipient j, f_i(j) encrypted to j (`protocol.dkg_crypto`), all
in one Ed25519-signed Deal (`protocol.dkg_wire`). Recipients check their share against the
commitments and broadcast one Response listing the dealers they complain about (no deal, or a
share that does not open or verify). A dealer answers complaints with a Justification revealing
the complainer's ephemeral secret, so everyone opens the very ciphertext that was broadcast and
judges it. A dealer is disqualified when: no deal is held from it; it signed two different deals
(equivocation: both deals are the transferable evidence); or a complaint against it is not
answered, or the answer shows a bad share. A false complaint costs the complainer nothing.
QUAL is the rest; with |QUAL| >= t (fresh) the group key is sum_{i in QUAL} C_i0, guardian j's
share sum_{i in QUAL} f_i(j), and every public share follows from the summed commitments.
Resharing (`protocol.dkg_reshare`): old guardians deal their old shares
(C_i0 must equal the old public share) and the sums carry Lagrange weights over QUAL.

A fourth phase, AGREE (`protocol.dkg_agreement`), ends the ceremony: when it begins, each
participant fixes the messages it judges (later arrivals no longer change its result) and every
dealer broadcasts a signed confirmation of its transcript hash; `finish` returns the result only
once enough qualified dealers confirmed the same hash, and otherwise raises NoAgreement naming
the dealers that disagree. Views that differ therefore end in a clear failure, never in two
group keys. A phase also does not end early while a response shows that a deal exists which
this participant lacks (`MessageLog.contested_dealers`): it waits for that evidence.

Caveats (stated, accepted):
- Key bias: a rushing adversary controlling some dealers sees the honest commitments before it
  decides whether its own dealers get disqualified, and so can bias the group key (GJKR 2007,
  section 3). The key stays secret while fewer than t participants are corrupt; for threshold
  signatures such as BLS the bias is not known to help forge (Gennaro et al., "Secure
  applications of Pedersen's DKG protocol"), which is why drand accepts it too.
- Synchrony: every honest participant must receive every broadcast message before the phase
  after it ends (the runner's timeouts). A complaint the dealer never sees goes unanswered and
  disqualifies it; a message seen by only some honest participants can split their views: the
  transcript hashes then differ and the agreement round lets only the side with a quorum of
  confirmations write (or nobody). Messages are signed and kept whenever they arrive, so
  rebroadcasting only helps.
- Equivocation counts once two deals reach one participant, who rebroadcasts them in the
  complaint phase. A justification publishes the complainer's share from that dealer, which a
  corrupt complainer knew anyway.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import replace

from protocol.bls import Backend
from protocol.dkg_agreement import Agreement, tally
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_dealer import ephemeral_secret, make_deal, make_justification
from protocol.dkg_errors import (
    CeremonyError,
    DkgError,
    DkgMessageError,
    NoAgreement,
    NotEnoughQualified,
    PhaseError,
)
from protocol.dkg_keys import ParticipantKeys
from protocol.dkg_log import MessageLog
from protocol.dkg_reshare import check_old_share
from protocol.dkg_result import DkgResult, compute_result
from protocol.dkg_shares import MyShares
from protocol.dkg_wire import Confirmation, Response, deal_hash, encode, sign


class Phase(enum.Enum):
    DEAL = "deal"
    COMPLAIN = "complain"
    JUSTIFY = "justify"
    AGREE = "agree"


class DkgSession:
    """One participant's view of one ceremony; its roles (dealer, recipient or both) come from
    matching `my_keys` against the ceremony's lists."""

    def __init__(self, ceremony: Ceremony, my_keys: ParticipantKeys, backend: Backend, *,
                 rng=None, old_share: int | None = None, seed: bytes | None = None) -> None:
        self.ceremony, self.keys, self.backend = ceremony, my_keys, backend
        me = my_keys.signing_key
        self._dealer = next((p.index for p in ceremony.dealers if p.signing_key == me), None)
        self._recipient = next((p.index for p in ceremony.recipients if p.signing_key == me),
                               None)
        if self._dealer is None and self._recipient is None:
            raise CeremonyError("these ceremony keys are neither a dealer's nor a recipient's")
        for index, group in ((self._dealer, ceremony.dealers),
                             (self._recipient, ceremony.recipients)):
            if index is not None and not any(
                    p.index == index and p.encryption_key == my_keys.encryption_key
                    for p in group):
                raise CeremonyError("the ceremony lists another encryption key for these keys")
        if ceremony.is_reshare and self._dealer is not None:
            if old_share is None:
                raise CeremonyError("a resharing dealer needs its share of the previous set")
            check_old_share(ceremony, self._dealer, old_share, backend)
        elif old_share is not None:
            raise CeremonyError("an old share is only used by a resharing dealer")
        self._old_share = old_share
        if seed is None:
            seed = rng.randbytes(32) if rng is not None else secrets.token_bytes(32)
        self._seed = seed
        self.log = MessageLog(ceremony, backend)
        self._deal: bytes | None = None
        self._response: bytes | None = None
        self._justifications: list[bytes] = []
        self._shares = MyShares(ceremony, my_keys, self._recipient, backend)
        self._fixed: int | None = None          # messages judged: log.arrivals[:_fixed]
        self._confirmation: bytes | None = None
        self._outcome: DkgResult | DkgError | None = None

    dealer_index = property(lambda self: self._dealer, doc="my dealer index, or None")
    recipient_index = property(lambda self: self._recipient, doc="my recipient index, or None")

    # outgoing ----------------------------------------------------------------------------------
    def outgoing(self, phase: Phase) -> list[bytes]:
        """The messages to broadcast in `phase` (see dkg-api: frozen on first call)."""
        if phase is Phase.DEAL:
            return [] if self._dealer is None else [self._my_deal()]
        if phase is Phase.COMPLAIN:
            return self._complain()
        if phase is Phase.JUSTIFY:
            return self._justify()
        if phase is Phase.AGREE:
            return self._agree()
        raise PhaseError(f"unknown phase {phase!r}")

    def _my_deal(self) -> bytes:
        if self._deal is None:
            self._deal = make_deal(self.ceremony, self._dealer, self.keys, self._seed,
                                   self._old_share, self.backend)
            self.log.add(self._deal)
        return self._deal

    def _ephemeral(self, recipient: int) -> bytes:
        return ephemeral_secret(self._seed, recipient)

    def _complain(self) -> list[bytes]:
        equivocators = self.log.equivocators()
        evidence = [raw for d in equivocators for raw in sorted(self.log.deals[d])]
        if self._recipient is None:
            return evidence
        if self._response is None:
            self._check_my_shares()
            dealers = [p.index for p in self.ceremony.dealers]
            complaints = tuple(d for d in dealers
                               if d not in equivocators and self._my_share(d) is None)
            held = [self.log.deal_of(d) for d in dealers]
            hashes = tuple(b"" if deal is None else deal_hash(encode(deal)) for deal in held)
            self._response = encode(sign(Response(self.ceremony.id, self._recipient, complaints,
                                                  hashes), self.keys))
            self.log.add(self._response)
        return [self._response, *evidence]

    def _justify(self) -> list[bytes]:
        evidence = self.log.contradicted_deals()
        if self._dealer is None:
            return evidence
        covered = {r for j in self.log.justifications.get(self._dealer, {}).values()
                   for r, _ in j.reveals}
        new = [j for j in self.log.complaints_against(self._dealer) if j not in covered]
        if new:
            self._justifications.append(make_justification(self.ceremony, self._dealer,
                                                           self.keys, self._seed, new))
            self.log.add(self._justifications[-1])
        mine = [self._my_deal(), *self._justifications] if self._justifications else []
        return mine + [raw for raw in evidence if raw not in mine]

    def _agree(self) -> list[bytes]:
        """Fix what I judge, and (a dealer with a result) confirm its transcript hash."""
        outcome = self._result()
        if self._confirmation is None and self._dealer is not None and isinstance(
                outcome, DkgResult):
            self._confirmation = encode(sign(Confirmation(self.ceremony.id, self._dealer,
                                                          outcome.transcript_hash), self.keys))
            self.log.add(self._confirmation)
        return [] if self._confirmation is None else [self._confirmation]

    def _my_share(self, dealer: int, log: MessageLog | None = None) -> int | None:
        return self._shares.of(dealer, log or self.log)

    def _check_my_shares(self, log: MessageLog | None = None) -> None:
        self._shares.check_all(log or self.log)

    # incoming ----------------------------------------------------------------------------------
    def receive(self, data: bytes) -> bool:
        """Check and keep a ceremony message (any phase, any time); False if already held.
        Raises only DkgError subclasses: drop the message and carry on."""
        try:
            return self.log.add(data)
        except DkgError:
            raise
        except Exception as exc:  # noqa: BLE001 - untrusted input must never crash a node
            raise DkgMessageError(f"unusable DKG message ({type(exc).__name__})") from exc

    def ready(self, phase: Phase) -> bool:
        """Every message `phase` expects is in, so the runner may move on before its timeout."""
        log = self.log
        if phase is Phase.DEAL:
            return all(p.index in log.deals for p in self.ceremony.dealers)
        if phase is Phase.COMPLAIN:
            return all(p.index in log.responses for p in self.ceremony.recipients) and (
                not log.contested_dealers())
        if phase is Phase.JUSTIFY:
            if log.contested_dealers():
                return False
            equivocators = set(log.equivocators())
            for p in self.ceremony.dealers:
                if p.index in equivocators:
                    continue
                reveals = log.reveals_of(p.index)
                if any(j not in reveals for j in log.complaints_against(p.index)):
                    return False
            return True
        if phase is Phase.AGREE:
            self._result()   # fixes what I judge, if entering AGREE has not yet
            agreement = self.agreement()
            return agreement is None or agreement.decided
        raise PhaseError(f"unknown phase {phase!r}")

    def progress(self) -> dict[str, int]:
        """Counts for the runner's display (deals, responses, complaints, ...)."""
        return self.log.progress()

    # result ------------------------------------------------------------------------------------
    def finish(self) -> DkgResult:
        """The result, once enough qualified dealers confirmed its transcript hash (AGREE).
        Raises NotEnoughQualified (nothing to write), MissingShare (public result fine, my own
        share unknown), NoAgreement (too few confirmations of my transcript: the message names
        the dealers that confirmed another one, or were not heard from)."""
        outcome = self._result()
        if isinstance(outcome, DkgError):
            raise outcome
        agreement = self.agreement()
        if not agreement.reached:
            raise NoAgreement(f"the participants did not agree on one transcript: "
                              f"{agreement.describe()}", agreement)
        held = self.log.confirmations
        return replace(outcome, confirmations=tuple(
            raw for dealer in agreement.agreeing for raw in sorted(held[dealer])))

    def agreement(self) -> Agreement | None:
        """How the confirmations held stand against my result (None: I have no result, or have
        not fixed it yet)."""
        if self._fixed is None:
            return None
        outcome = self._result()
        if not isinstance(outcome, DkgResult):
            return None
        return tally({d: held.values() for d, held in self.log.confirmations.items()},
                     outcome.qualified, outcome.transcript_hash, self.ceremony.min_qualified)

    def _result(self) -> DkgResult | DkgError:
        """My result from the messages held when AGREE began (fixed by the first call)."""
        if self._fixed is None:
            self._fixed = len(self.log.arrivals)
        if self._outcome is None:
            log = self.log
            if len(log.arrivals) != self._fixed:
                log = MessageLog(self.ceremony, self.backend)
                for data in self.log.arrivals[:self._fixed]:
                    log.add(data)
            try:
                self._outcome = self._compute(log)
            except DkgError as exc:
                self._outcome = exc
        return self._outcome

    def _compute(self, log: MessageLog) -> DkgResult:
        return compute_result(self.ceremony, log, self.backend, self._recipient,
                              lambda dealer: self._my_share(dealer, log),
                              lambda: self._check_my_shares(log))

    # crash and rejoin --------------------------------------------------------------------------
    def to_state(self) -> bytes:
        """What resuming needs (SECRETS: dealing seed, old share). Save it before the first
        broadcast: a dealer restarted without it deals anew, and two deals are equivocation."""
        from protocol.dkg_state import dump_state

        return dump_state(self)

    @classmethod
    def from_state(cls, data: bytes, my_keys: ParticipantKeys, backend: Backend) -> DkgSession:
        """Resume a saved session; outgoing messages come back byte-identical. Raises
        StateError."""
        from protocol.dkg_state import load_state

        return load_state(cls, data, my_keys, backend)


__all__ = ["DkgResult", "DkgSession", "NoAgreement", "NotEnoughQualified", "Phase",
           "PhaseError"]
