"""The peer ledger's numbers: the budgets and thresholds every peer is held to (`PeerLimits`),
what the ledger remembers per peer (`PeerRecord`) and its running totals (`Totals`)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PeerLimits:
    """Budgets and thresholds. The defaults hold for networks of up to a few hundred guardians:
    a guardian sends one heartbeat every few seconds and a handful of messages per incident."""

    # Messages a member may forward per second, before validation: `member_messages_per_second`,
    # or `messages_per_second_per_member` times the number of members if that is more (every
    # member forwards every guardian's messages to its mesh peers). Measured: an honest guardian
    # forwards 9 to 14 messages in its busiest second of an incident in a 7-guardian
    # devnet and about 1.4/s between incidents (heartbeats every 5 s); see docs/operate.md, Rates.
    member_messages_per_second: float = 30.0
    messages_per_second_per_member: float = 1.0
    member_burst: float = 300.0
    reject_penalty: float = 1.0
    fault_penalty: float = 2.0           # a stream that raised, a bad envelope signature
    overflow_penalty: float = 0.05       # each message over the rate limit
    # Each py-libp2p warning or error line a peer caused: a member's flaky link may cause a few;
    # a non-member that makes the library complain is broken or hostile.
    library_line_penalty: float = 0.25
    outsider_library_line_penalty: float = 1.0
    # IGNOREd messages per peer per window that cost nothing: `ignore_budget`, or
    # `ignores_per_member` times the number of members if that is more (a guardian that lags an
    # epoch change forwards every guardian's heartbeats, which we then IGNORE).
    ignore_budget: int = 50
    ignores_per_member: float = 4.0
    ignore_window_seconds: float = 10.0
    ignore_penalty: float = 0.5          # each IGNORE past the budget
    penalty_half_life_seconds: float = 60.0
    outsider_threshold: float = 10.0     # penalty at which a peer is cut off and banned
    member_threshold: float = 50.0
    ban_seconds: float = 60.0            # first ban; doubles per ban up to max_ban_seconds
    max_ban_seconds: float = 3600.0
    max_observers: int = 16
    max_tracked: int = 1024
    log_interval_seconds: float = 10.0   # per interval, at most so many offence lines per peer
    peer_log_lines_per_interval: int = 3
    log_lines_per_interval: int = 10     # ... and at most this many lines overall


@dataclass
class PeerRecord:
    penalty: float = 0.0
    updated: float = 0.0      # when `penalty` was last decayed
    tokens: float = -1.0      # rate-limit bucket; -1: full on first use
    refilled: float = 0.0
    rejects: int = 0
    faults: int = 0
    dropped: int = 0
    bans: int = 0
    banned_until: float = 0.0
    log_window: float = -math.inf
    logged: int = 0
    unlogged: int = 0
    last_reason: str = ""
    ignores: int = 0
    ignore_window: float = -math.inf
    ignored_in_window: int = 0
    library_lines: int = 0
    rate_window: float = -math.inf   # the current one-second window of admitted messages
    rate_count: int = 0


@dataclass
class Totals:
    rejects: int = 0
    faults: int = 0
    dropped: int = 0
    refused_connections: int = 0
    bans: int = 0
    suppressed_log_lines: int = 0
    peers_seen: int = 0
    px_dropped: int = 0       # peer-exchange entries about non-members (never dialed)
    ignores: int = 0
    ignores_over_budget: int = 0
    library_lines: int = 0    # py-libp2p warning/error lines attributed to a peer
    peak_member_rate: int = 0  # most messages one member forwarded in one second (measured)
