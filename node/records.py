"""Plain records the node's services share, below every package that uses them.

The chain client (`node.chain`) produces them, the detectors (`node.detectors`) and the incident
pipeline read them; keeping them here means neither package imports the other.

- `BlockHeader`, `LogRecord`, `TxReceipt`: what the chain told us;
- `ChainView`: the block-pinned reads detectors and re-verification make;
- `Watched`: a protocol registered with the oracle, as the node watches it;
- `GuardianKey`: this guardian's index and secret share;
- `ReadyProof`: t verified partials combined, what the pipeline hands the submitter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from protocol import messages
from protocol.detection import DetectionParams


@dataclass(frozen=True)
class LogRecord:
    address: bytes
    topics: tuple[bytes, ...]
    tx_hash: bytes
    log_index: int
    block_number: int
    tx_from: bytes
    data: bytes = b""


@dataclass(frozen=True)
class BlockHeader:
    number: int
    hash: bytes
    timestamp: int


@dataclass(frozen=True)
class TxReceipt:
    tx_hash: bytes
    ok: bool
    block: int
    gas_used: int
    logs: tuple[LogRecord, ...]


class ChainView(Protocol):
    """The reads detectors and re-verification need, each pinned to a block number."""

    async def balance(self, token: bytes, holder: bytes, block: int) -> int: ...

    async def call(self, target: bytes, data: bytes, block: int) -> bytes | None: ...

    async def logs(self, addresses: tuple[bytes, ...], topics: tuple[bytes, ...],
                   block: int) -> list[LogRecord]: ...

    async def log_at(self, tx_hash: bytes, log_index: int) -> LogRecord | None: ...


@dataclass(frozen=True)
class Watched:
    """A registered protocol as the detectors see it."""

    protocol_id: bytes
    params: DetectionParams
    allowed_actions: int
    contained: bool = False  # a containment is in force (engaged, hook succeeded, not expired)
    nonce: int = 0  # the oracle's next nonce for the protocol
    release_block: int = 0  # evidence must start after this block (the oracle's last release)
    failed_action: int = 0  # the action of an engaged containment whose hook failed (0: none)


def usable_actions(watched: Watched) -> int:
    """The registered actions minus one whose hook failed (the oracle refuses it again)."""
    return watched.allowed_actions & ~(1 << watched.failed_action if watched.failed_action else 0)


@dataclass(frozen=True)
class GuardianKey:
    index: int
    secret: int = field(repr=False)


@dataclass(frozen=True)
class ReadyProof:
    """t verified partials combined into a signature that verifies under the group key."""

    report: messages.Report
    digest: bytes
    signature: bytes
    signers: tuple[int, ...]
    detected_at: float
