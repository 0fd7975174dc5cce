"""The phase clock of a ceremony: DEAL, then COMPLAIN, then JUSTIFY, then AGREE, then finish.

Each phase ends at its deadline, or earlier when the session says it is complete (every deal
held, every response held, every complaint answered, enough matching confirmations or too many
differing ones): an honest, connected ceremony runs as fast
as its messages travel, and one silent participant costs at most the phase's timeout. Deadlines
are wall-clock times saved with the participant's state, so a participant that crashes and comes
back resumes the same phase with the same deadline (or, if it passed meanwhile, moves on).

The clock is pure: the caller passes `now` (seconds since the epoch).
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.dkg import Phase

ORDER: tuple[Phase, ...] = (Phase.DEAL, Phase.COMPLAIN, Phase.JUSTIFY, Phase.AGREE)
FINISH = "finish"


@dataclass(frozen=True)
class Timeouts:
    """Seconds each phase may last at most. DEAL is the longest: every participant has to be
    up (operators start their nodes by hand) and hear every deal."""

    deal: float = 300.0
    complain: float = 60.0
    justify: float = 60.0
    agree: float = 60.0

    def __post_init__(self) -> None:
        for name in ("deal", "complain", "justify", "agree"):
            if not 0 < getattr(self, name) <= 7 * 86400:
                raise ValueError(f"{name} timeout must be between 0 and one week (seconds)")

    def of(self, phase: Phase) -> float:
        return {Phase.DEAL: self.deal, Phase.COMPLAIN: self.complain,
                Phase.JUSTIFY: self.justify, Phase.AGREE: self.agree}[phase]


@dataclass
class PhaseClock:
    phase: Phase | str  # a Phase, or FINISH once every phase has ended
    deadline: float
    timeouts: Timeouts

    @classmethod
    def start(cls, timeouts: Timeouts, now: float) -> PhaseClock:
        return cls(Phase.DEAL, now + timeouts.deal, timeouts)

    @property
    def finished(self) -> bool:
        return self.phase == FINISH

    def left(self, now: float) -> float:
        return max(0.0, self.deadline - now)

    def due(self, complete: bool, now: float) -> str | None:
        """Why the current phase ends now ('complete' or 'timeout'), or None."""
        if self.finished:
            return None
        if complete:
            return "complete"
        if now >= self.deadline:
            return "timeout"
        return None

    def advance(self, now: float) -> Phase | str:
        """Enter the next phase (its deadline counts from now); returns it."""
        position = ORDER.index(self.phase)
        if position + 1 == len(ORDER):
            self.phase, self.deadline = FINISH, now
        else:
            self.phase = ORDER[position + 1]
            self.deadline = now + self.timeouts.of(self.phase)
        return self.phase

    def name(self) -> str:
        return self.phase if isinstance(self.phase, str) else self.phase.name


def phase_named(name: str) -> Phase | str:
    if name == FINISH:
        return FINISH
    try:
        return Phase[name]
    except KeyError as exc:
        raise ValueError(f"unknown phase {name!r}") from exc
