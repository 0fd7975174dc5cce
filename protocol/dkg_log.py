"""The messages one participant holds in a ceremony, each checked on arrival: decoded strictly,
bound to this ceremony, from a dealer or recipient the ceremony lists, signed by that sender's
Ed25519 key, and (deals) well-formed for the ceremony: t commitments that are G1 points, a
constant term other than infinity (resharing: equal to the dealer's old public share), one
ephemeral key and ciphertext per recipient. `add` raises only DkgError subclasses.

What is kept is all a judge needs (`protocol.dkg_judge`): up to MAX_DEALS distinct deals per
dealer (two are proof of equivocation), and up to MAX_PER_SENDER responses per recipient and
justifications per dealer (their contents are united), and up to MAX_DEALS confirmations per
dealer (two different ones void both: `protocol.dkg_agreement`), so that a misbehaving
participant cannot grow anyone's memory without bound.

A deal held is *contested* (`contested_dealers`) while a response shows that another deal of the
same dealer exists which this participant does not hold: the response quotes a different hash,
or quotes the empty hash without complaining (its sender holds two deals). The session does not
end a phase early while a contest is open, so the evidence of an equivocation reaches it first.
"""

from __future__ import annotations

from protocol.bls import Backend
from protocol.dkg_ceremony import Ceremony
from protocol.dkg_errors import (
    BadSignature,
    DkgMessageError,
    InvalidDeal,
    UnknownSender,
    WrongCeremony,
)
from protocol.dkg_keys import verify_signature
from protocol.dkg_wire import (
    Confirmation,
    Deal,
    DkgMessage,
    Justification,
    Response,
    deal_hash,
    decode,
    signing_bytes,
)

MAX_DEALS = 2
MAX_PER_SENDER = 8


class MessageLog:
    def __init__(self, ceremony: Ceremony, backend: Backend) -> None:
        self.ceremony = ceremony
        self.ceremony_id = ceremony.id
        self.backend = backend
        self.deals: dict[int, dict[bytes, Deal]] = {}
        self.responses: dict[int, dict[bytes, Response]] = {}
        self.justifications: dict[int, dict[bytes, Justification]] = {}
        self.confirmations: dict[int, dict[bytes, Confirmation]] = {}
        self.arrivals: list[bytes] = []     # every kept message, in arrival order
        self._seen: set[bytes] = set()

    def add(self, data: bytes) -> bool:
        """Check and keep a message; False if it was already held. Raises DkgError."""
        if isinstance(data, bytes | bytearray) and bytes(data) in self._seen:
            return False
        msg = decode(data)
        data = bytes(data)
        self._check(msg, data)
        store = {Deal: self.deals, Response: self.responses, Justification: self.justifications,
                 Confirmation: self.confirmations}[type(msg)]
        held = store.setdefault(msg.sender, {})
        limit = MAX_DEALS if isinstance(msg, Deal | Confirmation) else MAX_PER_SENDER
        if len(held) >= limit:
            raise DkgMessageError(f"already holding {limit} different {msg.TYPE} messages from "
                                  f"{msg.sender}; ignored")
        held[data] = msg
        self._seen.add(data)
        self.arrivals.append(data)
        return True

    def _check(self, msg: DkgMessage, data: bytes) -> None:
        if msg.ceremony != self.ceremony_id:
            raise WrongCeremony(f"{msg.TYPE} for ceremony 0x{msg.ceremony.hex()[:16]}..., this "
                                f"is 0x{self.ceremony_id.hex()[:16]}...")
        ceremony = self.ceremony
        if isinstance(msg, Response):
            sender = ceremony.recipient(msg.recipient)
        else:
            sender = ceremony.dealer(msg.dealer)
        if sender is None:
            role = "recipient" if isinstance(msg, Response) else "dealer"
            raise UnknownSender(f"{msg.TYPE} from {msg.sender}, not a {role} of this ceremony")
        if not verify_signature(sender.signing_key, signing_bytes(msg), msg.signature):
            raise BadSignature(f"{msg.TYPE} from {msg.sender}: signature does not verify")
        if isinstance(msg, Deal):
            self._check_deal(msg)
        elif isinstance(msg, Response):
            if len(msg.deal_hashes) != len(ceremony.dealers):
                raise DkgMessageError(f"response from {msg.recipient}: {len(msg.deal_hashes)} "
                                      f"deal hashes for {len(ceremony.dealers)} dealers")
            unknown = [d for d in msg.complaints if ceremony.dealer(d) is None]
            if unknown:
                raise DkgMessageError(f"response from {msg.recipient} complains about "
                                      f"non-dealers {unknown}")
        elif isinstance(msg, Confirmation):
            return
        elif msg.reveals[-1][0] > ceremony.n:
            raise DkgMessageError(f"justification from {msg.dealer} reveals for recipient "
                                  f"{msg.reveals[-1][0]} (there are {ceremony.n})")

    def _check_deal(self, deal: Deal) -> None:
        ceremony = self.ceremony
        if len(deal.commitments) != ceremony.threshold:
            raise InvalidDeal(f"deal from {deal.dealer}: {len(deal.commitments)} commitments, "
                              f"threshold is {ceremony.threshold}")
        if len(deal.ciphertexts) != ceremony.n:
            raise InvalidDeal(f"deal from {deal.dealer}: {len(deal.ciphertexts)} shares for "
                              f"{ceremony.n} recipients")
        for k, point in enumerate(deal.commitments):
            if not self.backend.g1_is_valid(point):
                raise InvalidDeal(f"deal from {deal.dealer}: commitment {k} is not a G1 point")
        if deal.commitments[0][0] & 0x40:
            raise InvalidDeal(f"deal from {deal.dealer}: constant term is the point at infinity")
        if ceremony.previous is not None:
            expected = ceremony.previous.guardian_set.public_share(deal.dealer)
            if deal.commitments[0] != expected:
                raise InvalidDeal(f"reshare deal from {deal.dealer}: constant term is not its "
                                  "public share in the previous guardian set")

    # views for the judge and the session -------------------------------------------------------
    def deal_of(self, dealer: int) -> Deal | None:
        """The dealer's deal if exactly one is held (None: none, or equivocation)."""
        held = self.deals.get(dealer, {})
        return next(iter(held.values())) if len(held) == 1 else None

    def equivocators(self) -> list[int]:
        return sorted(d for d, held in self.deals.items() if len(held) > 1)

    def complaints_against(self, dealer: int) -> list[int]:
        return sorted({r.recipient for held in self.responses.values() for r in held.values()
                       if dealer in r.complaints})

    def contradicted_deals(self) -> list[bytes]:
        """The deals to rebroadcast as evidence of equivocation: both deals of a dealer I know
        equivocated, and a deal I hold that some response contradicts by quoting anything but
        its hash: another deal's hash, or the empty hash ("I hold two deals", or none).
        Rebroadcasting it exposes the equivocation to everyone, or hands the deal to whoever
        lacks it."""
        out = []
        for position, dealer in enumerate(p.index for p in self.ceremony.dealers):
            held = self.deals.get(dealer, {})
            if len(held) != 1:
                out.extend(sorted(held))
                continue
            raw = next(iter(held))
            mine = deal_hash(raw)
            if any(r.deal_hashes[position] != mine for r in self._all_responses()):
                out.append(raw)
        return out

    def contested_dealers(self) -> list[int]:
        """Dealers of which a response proves another deal exists that I do not hold: it quotes
        a hash none of my deals has, or quotes the empty hash without complaining about the
        dealer (so its sender holds two deals) while I hold fewer than two."""
        out = []
        for position, dealer in enumerate(p.index for p in self.ceremony.dealers):
            held = self.deals.get(dealer, {})
            if len(held) >= MAX_DEALS:
                continue   # the equivocation is proven here already
            mine = {deal_hash(raw) for raw in held}
            for r in self._all_responses():
                quoted = r.deal_hashes[position]
                if (quoted and quoted not in mine) or (not quoted and dealer not in r.complaints):
                    out.append(dealer)
                    break
        return out

    def _all_responses(self):
        return [r for held in self.responses.values() for r in held.values()]

    def progress(self) -> dict[str, int]:
        dealers = self.ceremony.dealers
        return {"dealers": len(dealers), "deals": len(self.deals),
                "recipients": self.ceremony.n, "responses": len(self.responses),
                "complaints": sum(len(self.complaints_against(p.index)) for p in dealers),
                "justifications": len(self.justifications),
                "confirmations": len(self.confirmations),
                "equivocators": len(self.equivocators())}

    def reveals_of(self, dealer: int) -> dict[int, list[bytes]]:
        out: dict[int, list[bytes]] = {}
        for raw in sorted(self.justifications.get(dealer, {})):
            for recipient, secret in self.justifications[dealer][raw].reveals:
                out.setdefault(recipient, []).append(secret)
        return out


__all__ = ["MAX_DEALS", "MAX_PER_SENDER", "MessageLog"]
