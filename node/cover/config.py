"""The `[cover]` section of the node's config file (node.config lists it)."""

from __future__ import annotations

from dataclasses import dataclass, field

from node import config_schema as s
from node.config_schema import key


@dataclass(frozen=True)
class CoverSection:
    """Cover pools: breach confirmations after a containment (docs/cover.md)."""

    factory: bytes | None = field(default=None, metadata=key(
        "the CoverPoolFactory whose pools this guardian confirms breaches for (unset: cover off)",
        "0x address", s.address))
    from_block: int = field(default=0, metadata=key(
        "the first block searched for pools and claims-token transfers", "integer",
        s.integer(0, 2**63)))
    poll_seconds: float = field(default=1.0, metadata=key(
        "how often the chain is read for new pools and containments", "seconds",
        s.number(0.1, 60.0)))
