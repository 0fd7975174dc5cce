"""Who a libp2p peer is to us and what it has cost us: membership, bans, rate limits, offences.

Guardians know each other's peer ids from the public guardian-set file. Every other peer is an
*outsider*, treated by the `outsiders` policy:

- `deny` (the default for guardians): refused right after the Noise handshake, before it can open
  a single stream. A guardian then spends nothing on strangers; nobody outside the set can read
  the gossip live either.
- `observe`: admitted read-only, at most `max_observers` at a time. Observers may subscribe and
  receive gossip (IHAVE/IWANT from members), are never grafted into a member's mesh, and what they
  publish is dropped before validation, so it never reaches a second guardian.

Every peer, member or not, pays for what it sends: a token bucket limits its messages before any
validation, and each offence (a REJECTed message, a bad envelope signature, a stream that raised,
traffic over the rate limit, a py-libp2p log line it caused, IGNOREd messages past its budget)
adds a penalty that decays with a half-life. IGNORE is what an honest peer's message may earn now
and then (a duplicate, a heartbeat that lost a race); a steady stream of them (stale heartbeats
replayed just under the rate limit) is useless load, so past the peer's IGNORE budget per window
each one is charged (`node.p2p.peer_limits` has the numbers). A peer whose penalty crosses its
threshold is disconnected and banned for a backoff that doubles with each ban; while
banned, the connection gate refuses it. Members get a higher threshold (one disagreement must not
cut a guardian off) but are not exempt: a compromised guardian's key cannot flood the others.

State is bounded: at most `max_tracked` peers are remembered (least recently active first out,
members and banned peers last), and logging of offences is rate limited per peer and overall.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from node.p2p.copies import CopyCounter
from node.p2p.peer_limits import PeerLimits, PeerRecord, Totals

MEMBER = "member"
OBSERVER = "observer"
OUTSIDER = "outsider"  # refused (deny policy) or over the observer cap
OUTSIDER_POLICIES = ("deny", "observe")


@dataclass
class PeerLedger:
    members: frozenset[str]
    outsiders: str = "deny"
    limits: PeerLimits = field(default_factory=PeerLimits)
    clock: Callable[[], float] = time.monotonic
    copies: CopyCounter = field(default_factory=CopyCounter)  # floods of one valid message

    def __post_init__(self) -> None:
        if self.outsiders not in OUTSIDER_POLICIES:
            raise ValueError(f"outsiders must be one of {OUTSIDER_POLICIES}, not {self.outsiders!r}")
        self._peers: OrderedDict[str, PeerRecord] = OrderedDict()
        self._observers: set[str] = set()
        self.totals = Totals()
        self._log_window_start = -math.inf
        self._log_lines = 0
        self._anonymous = PeerRecord()  # the log budget of lines that name no peer
        self.member_rate = max(self.limits.member_messages_per_second,
                               self.limits.messages_per_second_per_member * len(self.members))
        self.ignore_budget = max(self.limits.ignore_budget,
                                 self.limits.ignores_per_member * len(self.members))

    # -- who a peer is --------------------------------------------------------------------------
    @property
    def knows_members(self) -> bool:
        """False when the guardian set names no peer ids: then every peer counts as a member."""
        return bool(self.members)

    def is_member(self, peer: str) -> bool:
        return not self.members or peer in self.members

    def role(self, peer: str) -> str:
        if self.is_member(peer):
            return MEMBER
        return OBSERVER if peer in self._observers else OUTSIDER

    # -- the connection gate --------------------------------------------------------------------
    def admit_connection(self, peer: str) -> tuple[bool, str]:
        """Whether a peer that finished the handshake may stay connected, and why not."""
        rec = self._peers.get(peer)
        now = self.clock()
        if rec is not None and rec.banned_until > now:
            return self._refuse(f"banned for {rec.banned_until - now:.0f} s more")
        if self.is_member(peer):
            return True, MEMBER
        if self.outsiders == "deny":
            return self._refuse("not a member of the guardian set (outsiders = deny)")
        if peer not in self._observers and len(self._observers) >= self.limits.max_observers:
            return self._refuse(f"observer slots full ({self.limits.max_observers})")
        self._observers.add(peer)
        return True, OBSERVER

    def _refuse(self, why: str) -> tuple[bool, str]:
        self.totals.refused_connections += 1
        return False, why

    def forget_observers_except(self, connected) -> None:
        """Free the observer slots of peers no longer connected."""
        self._observers &= set(connected)

    # -- messages, before validation ------------------------------------------------------------
    def admit_message(self, peer: str) -> bool:
        """Whether a gossip message forwarded by `peer` is worth validating at all. Observers'
        messages, banned peers' messages and traffic over the rate limit are dropped here."""
        now = self.clock()
        rec = self._touch(peer, now)
        member = self.is_member(peer)
        if rec.banned_until > now or not member:
            rec.dropped += 1
            self.totals.dropped += 1
            if not member:  # observers are read-only: publishing at all is an offence
                self._penalise(peer, rec, self.limits.overflow_penalty, now)
            return False
        if now - rec.rate_window >= 1.0:
            rec.rate_window, rec.rate_count = now, 0
        rec.rate_count += 1
        if rec.rate_count > self.totals.peak_member_rate:
            self.totals.peak_member_rate = rec.rate_count
        rate, burst = self.member_rate, self.limits.member_burst
        rec.tokens = (burst if rec.tokens < 0 else
                      min(burst, rec.tokens + (now - rec.refilled) * rate))
        rec.refilled = now
        if rec.tokens < 1.0:
            rec.dropped += 1
            self.totals.dropped += 1
            self._penalise(peer, rec, self.limits.overflow_penalty, now)
            return False
        rec.tokens -= 1.0
        return True

    # -- offences -------------------------------------------------------------------------------
    def on_reject(self, peer: str, reason: str) -> bool:
        """A message forwarded by `peer` was REJECTed. True when the peer is now banned."""
        return self._offence(peer, "rejects", reason, self.limits.reject_penalty)

    def on_fault(self, peer: str, what: str) -> bool:
        """A stream of `peer` raised, or its envelope signature was bad. True when now banned."""
        return self._offence(peer, "faults", what, self.limits.fault_penalty)

    def on_ignore(self, peer: str, reason: str) -> tuple[bool, bool]:
        """A message forwarded by `peer` was IGNOREd: free within the peer's budget per window,
        an offence past it. Returns (over the budget, banned now)."""
        now = self.clock()
        rec = self._touch(peer, now)
        rec.ignores += 1
        self.totals.ignores += 1
        if now - rec.ignore_window >= self.limits.ignore_window_seconds:
            rec.ignore_window, rec.ignored_in_window = now, 0
        rec.ignored_in_window += 1
        if rec.ignored_in_window <= self.ignore_budget:
            return False, False
        self.totals.ignores_over_budget += 1
        rec.last_reason = f"over its IGNORE budget: {reason}"
        return True, self._penalise(peer, rec, self.limits.ignore_penalty, now)

    def on_library_line(self, peer: str, text: str) -> bool:
        """py-libp2p logged a warning or error that `peer` caused. True when now banned."""
        penalty = (self.limits.library_line_penalty if self.is_member(peer)
                   else self.limits.outsider_library_line_penalty)
        return self._offence(peer, "library_lines", f"libp2p: {text}", penalty)

    def _offence(self, peer: str, kind: str, reason: str, penalty: float) -> bool:
        now = self.clock()
        rec = self._touch(peer, now)
        setattr(rec, kind, getattr(rec, kind) + 1)
        setattr(self.totals, kind, getattr(self.totals, kind) + 1)
        rec.last_reason = reason
        return self._penalise(peer, rec, penalty, now)

    def is_banned(self, peer: str) -> bool:
        rec = self._peers.get(peer)
        return rec is not None and rec.banned_until > self.clock()

    def penalty(self, peer: str) -> float:
        rec = self._peers.get(peer)
        return 0.0 if rec is None else self._decayed(rec, self.clock())

    def _decayed(self, rec: PeerRecord, now: float) -> float:
        if rec.penalty == 0.0:
            return 0.0
        age = max(0.0, now - rec.updated)
        return rec.penalty * 0.5 ** (age / self.limits.penalty_half_life_seconds)

    def _penalise(self, peer: str, rec: PeerRecord, amount: float, now: float) -> bool:
        rec.penalty = self._decayed(rec, now) + amount
        rec.updated = now
        threshold = (self.limits.member_threshold if self.is_member(peer)
                     else self.limits.outsider_threshold)
        if rec.penalty < threshold or rec.banned_until > now:
            return False
        rec.bans += 1
        self.totals.bans += 1
        ban = min(self.limits.max_ban_seconds, self.limits.ban_seconds * 2 ** (rec.bans - 1))
        rec.banned_until = now + ban
        rec.penalty = 0.0
        self._observers.discard(peer)
        return True

    def _touch(self, peer: str, now: float) -> PeerRecord:
        rec = self._peers.get(peer)
        if rec is None:
            rec = self._peers[peer] = PeerRecord()
            self.totals.peers_seen += 1
            self._evict(now)
        else:
            self._peers.move_to_end(peer)
        return rec

    def _evict(self, now: float) -> None:
        """Forget the least recently active peers beyond max_tracked, sparing members and
        peers under a ban as long as others can go."""
        excess = len(self._peers) - self.limits.max_tracked
        if excess <= 0:
            return
        victims = [p for p, r in self._peers.items()
                   if p not in self.members and r.banned_until <= now][:excess]
        if len(victims) < excess:
            victims += [p for p in self._peers if p not in victims][:excess - len(victims)]
        for peer in victims:
            del self._peers[peer]

    # -- logging, bounded -----------------------------------------------------------------------
    def should_log(self, peer: str) -> tuple[bool, int]:
        """Whether to write a line about `peer`'s offence now, and how many of its offences went
        unlogged since its last line. Per interval: at most `peer_log_lines_per_interval` lines
        per peer and `log_lines_per_interval` lines overall."""
        limits, now = self.limits, self.clock()
        rec = self._anonymous if peer == "?" else self._touch(peer, now)
        if now - self._log_window_start >= limits.log_interval_seconds:
            self._log_window_start, self._log_lines = now, 0
        if now - rec.log_window >= limits.log_interval_seconds:
            rec.log_window, rec.logged = now, 0
        if (rec.logged >= limits.peer_log_lines_per_interval
                or self._log_lines >= limits.log_lines_per_interval):
            rec.unlogged += 1
            self.totals.suppressed_log_lines += 1
            return False, 0
        skipped, rec.unlogged = rec.unlogged, 0
        rec.logged += 1
        self._log_lines += 1
        return True, skipped

    # -- reports --------------------------------------------------------------------------------
    def top_offenders(self, count: int = 10) -> list[dict]:
        now = self.clock()
        ranked = sorted(self._peers.items(),
                        key=lambda kv: (kv[1].rejects + kv[1].faults + kv[1].dropped
                                        + kv[1].library_lines + kv[1].ignores),
                        reverse=True)
        out = []
        for peer, rec in ranked:
            if len(out) == count:
                break
            if rec.rejects + rec.faults + rec.dropped + rec.library_lines + rec.ignores == 0:
                break
            if not (rec.rejects or rec.faults or rec.dropped or rec.library_lines or rec.bans
                    or self._decayed(rec, now) > 0):
                continue  # IGNOREd messages within the budget: honest traffic, not an offence
            out.append({"peer": peer, "role": self.role(peer), "rejects": rec.rejects,
                        "faults": rec.faults, "dropped": rec.dropped, "ignores": rec.ignores,
                        "library_lines": rec.library_lines, "bans": rec.bans,
                        "banned_for_seconds": round(max(0.0, rec.banned_until - now), 1),
                        "penalty": round(self._decayed(rec, now), 2),
                        "last_reason": rec.last_reason[:120]})
        return out

    def report(self, count: int = 10) -> dict:
        now = self.clock()
        return {"outsiders": self.outsiders, "knows_members": self.knows_members,
                "observers": len(self._observers), "tracked_peers": len(self._peers),
                "banned_now": sum(1 for r in self._peers.values() if r.banned_until > now),
                "member_messages_per_second": self.member_rate,
                **vars(self.totals), "top_offenders": self.top_offenders(count)}

    def banned_peers(self) -> Iterable[str]:
        now = self.clock()
        return [p for p, r in self._peers.items() if r.banned_until > now]
