"""When a ceremony participant sends a message again: at once, then after `first` seconds, then
at doubling intervals up to `longest`.

A participant re-publishes its messages so that one who started late, or came back from a
crash, still gets them. Sending every message again every two seconds for the whole ceremony
made every peer see dozens of copies of each message within a minute, which the transport rightly
counts as a flood of duplicates (`node.p2p.copies`) and charged to honest participants. With a
backoff, a late participant still hears everything within `longest` seconds, and the copies of
one message per window are bounded (`copies_within`). When a new peer connects, every message is
due again at once and its backoff starts over (`restart`), so a participant that joins late
waits for nothing; that costs each peer one more copy per connection, at most n - 1 in a
ceremony of n. The ceremony's transport sets its
duplicate limit from that bound (`node.p2p.ceremony`), so honest behaviour is never charged
while a member that re-sends a message faster than the schedule still is.

Pure: the caller passes `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIRST_SECONDS = 2.0
LONGEST_SECONDS = 32.0


@dataclass
class Schedule:
    first: float = FIRST_SECONDS
    longest: float = LONGEST_SECONDS
    _due: dict[bytes, tuple[float, float]] = field(default_factory=dict)  # data -> (due, gap)

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.longest:
            raise ValueError("rebroadcast intervals must satisfy 0 < first <= longest")

    def add(self, data: bytes, now: float) -> bool:
        """Schedule a message (due at once); False if it is scheduled already."""
        if data in self._due:
            return False
        self._due[data] = (now, self.first)
        return True

    def due(self, now: float) -> list[bytes]:
        """The messages to send now, in the order they were added; each moves to its next
        time."""
        out = []
        for data, (when, gap) in self._due.items():
            if when <= now:
                out.append(data)
                self._due[data] = (now + gap, min(gap * 2, self.longest))
        return out

    def restart(self, now: float) -> None:
        """Everything due at once, backoff from the start (a new peer connected)."""
        for data in self._due:
            self._due[data] = (now, self.first)

    def __len__(self) -> int:
        return len(self._due)


def copies_within(window: float, first: float = FIRST_SECONDS,
                  longest: float = LONGEST_SECONDS) -> int:
    """The most sends of one message by one schedule within any `window` seconds (the
    densest stretch is its start: intervals only grow)."""
    count, at, gap = 1, 0.0, first
    while at + gap <= window:
        at += gap
        gap = min(gap * 2, longest)
        count += 1
    return count


__all__ = ["FIRST_SECONDS", "LONGEST_SECONDS", "Schedule", "copies_within"]
