"""Refused handshakes, throttled per source address before the next handshake starts.

The connection gate (`node.p2p.peers`) can only judge a peer after the Noise handshake, when its
peer id is authenticated; by then the guardian has paid for the handshake (key agreement, a
signature check, the Yamux set-up). A stranger under `deny`, or a banned peer, can redial for ever
and make every guardian pay that each time. So each source IP address has a token bucket of
refusals: every inbound handshake that fails or is refused takes a token, and tokens come back at
`refusals_per_second` up to `refusal_burst`.

- While an address has a token, its connections are handshaked as usual (a member is never kept
  out by what it has not done).
- When its bucket is dry, its new connections are closed before the handshake starts until a
  token has come back: at most `refusals_per_second` handshakes per second from it.
- An address whose bucket runs dry is banned for `ban_seconds` (doubling with each ban, up to
  `max_ban_seconds`): all its connections are closed before the handshake. Addresses of the
  configured guardians (the bootstrap list) are never banned, only throttled, since a member
  behind the same address (one host, one NAT; the devnet's loopback) must still get through.

State is bounded (`max_tracked` addresses, least recently seen first out, banned ones last).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class HandshakeLimits:
    refusal_burst: float = 10.0
    refusals_per_second: float = 0.5
    ban_seconds: float = 30.0
    max_ban_seconds: float = 900.0
    max_tracked: int = 4096


@dataclass
class AddressRecord:
    tokens: float
    refilled: float
    refusals: int = 0
    throttled: int = 0
    bans: int = 0
    banned_until: float = 0.0


class HandshakeThrottle:
    def __init__(self, limits: HandshakeLimits | None = None, protected: Iterable[str] = (),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or HandshakeLimits()
        self.protected = frozenset(protected)
        self.clock = clock
        self._addrs: OrderedDict[str, AddressRecord] = OrderedDict()
        self.totals = {"refused_handshakes": 0, "throttled_connections": 0, "address_bans": 0}

    def admit(self, address: str) -> bool:
        """Whether a new inbound connection from `address` may start its handshake."""
        rec = self._addrs.get(address)
        if rec is None:
            return True
        now = self.clock()
        self._refill(rec, now)
        if rec.banned_until > now or rec.tokens < 1.0:
            rec.throttled += 1
            self.totals["throttled_connections"] += 1
            return False
        return True

    def on_refused(self, address: str) -> bool:
        """An inbound handshake from `address` failed or was refused. True when the address is
        banned by it."""
        now = self.clock()
        rec = self._record(address, now)
        self._refill(rec, now)
        rec.refusals += 1
        self.totals["refused_handshakes"] += 1
        rec.tokens = max(0.0, rec.tokens - 1.0)
        if rec.tokens >= 1.0 or address in self.protected or rec.banned_until > now:
            return False
        rec.bans += 1
        self.totals["address_bans"] += 1
        ban = min(self.limits.max_ban_seconds, self.limits.ban_seconds * 2 ** (rec.bans - 1))
        rec.banned_until = now + ban
        rec.refilled = rec.banned_until  # tokens come back only once the ban is over
        return True

    def is_banned(self, address: str) -> bool:
        rec = self._addrs.get(address)
        return rec is not None and rec.banned_until > self.clock()

    def report(self) -> dict:
        now = self.clock()
        return {**self.totals, "tracked_addresses": len(self._addrs),
                "banned_addresses_now": sum(1 for r in self._addrs.values()
                                            if r.banned_until > now)}

    def _refill(self, rec: AddressRecord, now: float) -> None:
        if now > rec.refilled:
            rec.tokens = min(self.limits.refusal_burst,
                             rec.tokens + (now - rec.refilled) * self.limits.refusals_per_second)
            rec.refilled = now

    def _record(self, address: str, now: float) -> AddressRecord:
        rec = self._addrs.get(address)
        if rec is not None:
            self._addrs.move_to_end(address)
            return rec
        rec = self._addrs[address] = AddressRecord(self.limits.refusal_burst, now)
        excess = len(self._addrs) - self.limits.max_tracked
        if excess > 0:
            victims = [a for a, r in self._addrs.items() if r.banned_until <= now][:excess]
            victims += [a for a in self._addrs if a not in victims][:excess - len(victims)]
            for victim in victims:
                del self._addrs[victim]
        return rec


def source_address(conn) -> str | None:
    """The remote IP address of a raw or secured connection, or None when unknown."""
    try:
        remote = conn.get_remote_address()
    except Exception:  # noqa: BLE001 - half-built connections lack it
        return None
    if not remote:
        return None
    return str(remote[0])


def bootstrap_addresses(bootstrap: Iterable[str]) -> set[str]:
    """The IP addresses named in bootstrap multiaddrs (/ip4/A/... or /ip6/A/...)."""
    out = set()
    for addr in bootstrap:
        parts = addr.split("/")
        if len(parts) > 2 and parts[1] in ("ip4", "ip6"):
            out.add(parts[2])
    return out
