"""The agreement round that ends a ceremony: participants write a result only when enough of
them computed the very same one.

Judging is deterministic, but what each participant holds when it judges is not: a message
that reaches some participants before they judge and others after (a late equivocation proof, a
complaint that arrived late) splits their views, and each would write a different group key and
guardian set. So after JUSTIFY every dealer signs the hash of the transcript it computed
(`Confirmation`, `protocol.dkg_wire`) and broadcasts it. A participant keeps its result only
once at least `quorum` dealers that are qualified in its own view confirmed its own hash
(`quorum` = the ceremony's `min_qualified`: the threshold t, or the previous threshold when
resharing). It fails, naming them, when the dealers that disagree leave no way to reach it.

Why that is enough: each honest dealer confirms one hash only (its confirmation is fixed and
saved before it is sent). Two participants that kept different hashes each counted `quorum`
dealers, and two such sets among the d dealers share at least 2*quorum - d of them, at least
one since quorum > d/2; those shared dealers confirmed both hashes. So honest participants can
never end with different results when every dealer is honest (crashes, restarts, slow links),
and it takes at least 2*quorum - d dishonest dealers confirming twice (for 7 guardians with
t = 5: three) to split them. A dealer whose two different confirmations are both held counts
for nobody.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from protocol.dkg_wire import Confirmation


@dataclass(frozen=True)
class Agreement:
    """How the confirmations held stand against my own transcript hash."""

    mine: bytes                          # my transcript hash
    quorum: int                          # matching confirmations needed
    agreeing: tuple[int, ...]            # qualified dealers that confirmed my hash
    disagreeing: dict[int, bytes]        # dealer -> the other hash it confirmed
    doubled: tuple[int, ...]             # dealers that confirmed two different hashes
    silent: tuple[int, ...]              # qualified dealers not heard from yet

    @property
    def reached(self) -> bool:
        return len(self.agreeing) >= self.quorum

    @property
    def hopeless(self) -> bool:
        """Even if every silent qualified dealer confirmed my hash, too few would."""
        return len(self.agreeing) + len(self.silent) < self.quorum

    @property
    def decided(self) -> bool:
        return self.reached or self.hopeless

    def describe(self) -> str:
        parts = [f"{len(self.agreeing)} of the {self.quorum} matching confirmations needed "
                 f"(from {list(self.agreeing) or 'nobody'}) for transcript "
                 f"0x{self.mine.hex()[:16]}..."]
        if self.disagreeing:
            parts.append("disagreeing: " + ", ".join(
                f"dealer {d} confirmed 0x{h.hex()[:16]}..."
                for d, h in sorted(self.disagreeing.items())))
        if self.doubled:
            parts.append(f"confirmed two different transcripts: {list(self.doubled)}")
        if self.silent:
            parts.append(f"not heard from: {list(self.silent)}")
        return "; ".join(parts)


def tally(confirmations: Mapping[int, Iterable[Confirmation]], qualified: Iterable[int],
          mine: bytes, quorum: int) -> Agreement:
    """Count the held confirmations (dealer -> the confirmations held from it) for `mine`."""
    qualified = tuple(qualified)
    agreeing, disagreeing, doubled, silent = [], {}, [], []
    for dealer in sorted(set(qualified) | set(confirmations)):
        hashes = {c.transcript_hash for c in confirmations.get(dealer, ())}
        if len(hashes) > 1:
            doubled.append(dealer)
        elif hashes == {mine}:
            if dealer in qualified:
                agreeing.append(dealer)
        elif hashes:
            disagreeing[dealer] = next(iter(hashes))
        elif dealer in qualified:
            silent.append(dealer)
    return Agreement(mine, quorum, tuple(agreeing), disagreeing, tuple(doubled), tuple(silent))


__all__ = ["Agreement", "tally"]
