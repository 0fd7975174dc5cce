"""Plain records of what the chain told us, shared by the chain client and the detectors."""

from __future__ import annotations

from dataclasses import dataclass


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
