"""Decoding an untrusted raw signed transaction (a pending exploit, or a peer's pending evidence):
legacy, EIP-2930 and EIP-1559 envelopes; anything else, or bytes that do not decode, raise
`RawTxError`, never an unrelated exception.

Only what simulation and the fee race need is kept: sender (recovered from the signature), to,
value, data, gas, and the fee fields.

The sender is recovered here from the decoded fields (the envelope's signing hash, then secp256k1
recovery by coincurve, eth-keys' own backend) rather than by eth-account, which parses the
transaction a second time through its typed-transaction models: 6 ms of a loaded guardian's event
loop for every pending transaction it saw. The tests check it against eth-account on every
envelope type and on bad signatures.
"""

from __future__ import annotations

from dataclasses import dataclass

import rlp
from coincurve import PublicKey
from eth_hash.auto import keccak

from node.errors import NodeError


class RawTxError(NodeError):
    """Bytes that are not a signed transaction this node can simulate; the message says why."""


@dataclass(frozen=True)
class RawTx:
    raw: bytes
    hash: bytes
    sender: bytes
    nonce: int
    to: bytes | None
    value: int
    data: bytes
    gas: int
    max_fee: int  # gasPrice for legacy and EIP-2930
    max_priority_fee: int  # gasPrice for legacy and EIP-2930

    def effective_tip(self, base_fee: int) -> int:
        """What the block builder earns per gas: min(priority fee, max fee - base fee)."""
        return max(0, min(self.max_priority_fee, self.max_fee - base_fee))


def _int(item, what: str) -> int:
    if not isinstance(item, bytes) or len(item) > 32 or item[:1] == b"\x00":
        raise RawTxError(f"raw transaction: {what} is not a canonical integer")
    return int.from_bytes(item, "big") if item else 0


def _fields(raw: bytes) -> tuple[list, dict[str, int]]:
    """(rlp items, positions of the fields) for the envelope type of `raw`."""
    if raw[0] >= 0xC0:
        items, pos = rlp.decode(raw), dict(nonce=0, gas_price=1, gas=2, to=3, value=4, data=5,
                                           count=9)
    elif raw[0] == 1:
        items, pos = rlp.decode(raw[1:]), dict(nonce=1, gas_price=2, gas=3, to=4, value=5, data=6,
                                               count=11)
    elif raw[0] == 2:
        items, pos = rlp.decode(raw[1:]), dict(nonce=1, tip=2, max_fee=3, gas=4, to=5, value=6,
                                               data=7, count=12)
    else:
        raise RawTxError(f"raw transaction: envelope type {raw[0]} is not supported")
    if not isinstance(items, list) or len(items) != pos["count"]:
        raise RawTxError("raw transaction: wrong number of fields")
    return items, pos


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _signing_hash(raw: bytes, items: list) -> tuple[bytes, int, int, int]:
    """(the hash the sender signed, recovery id, r, s) of a decoded envelope."""
    if raw[0] >= 0xC0:  # legacy: v = 27/28, or EIP-155's chain_id * 2 + 35/36
        v = _int(items[6], "v")
        unsigned = items[:6]
        if v in (27, 28):
            recid = v - 27
        elif v >= 35:
            recid = (v - 35) % 2
            unsigned = unsigned + [(v - 35) // 2, 0, 0]
        else:
            raise RawTxError("raw transaction: bad signature v")
        digest = keccak(rlp.encode(unsigned))
    else:  # typed: keccak(type || rlp(fields before the signature)), y-parity 0 or 1
        recid = _int(items[-3], "y parity")
        digest = keccak(raw[:1] + rlp.encode(items[:-3]))
    r, s = _int(items[-2], "r"), _int(items[-1], "s")
    if recid not in (0, 1) or not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        raise RawTxError("raw transaction: bad signature")
    return digest, recid, r, s


def recover_sender(raw: bytes, items: list) -> bytes:
    digest, recid, r, s = _signing_hash(raw, items)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([recid])
    public = PublicKey.from_signature_and_message(signature, digest, hasher=None)
    return keccak(public.format(compressed=False)[1:])[12:]


def decode_raw_tx(raw: bytes) -> RawTx:
    if not isinstance(raw, bytes) or not raw:
        raise RawTxError("raw transaction: empty")
    try:
        items, pos = _fields(raw)
        sender = recover_sender(raw, items)
    except RawTxError:
        raise
    except Exception as exc:  # noqa: BLE001 - rlp and coincurve raise many types
        raise RawTxError(f"raw transaction does not decode: {type(exc).__name__}") from exc
    to = items[pos["to"]]
    if not isinstance(to, bytes) or len(to) not in (0, 20):
        raise RawTxError("raw transaction: bad recipient")
    data = items[pos["data"]]
    if not isinstance(data, bytes):
        raise RawTxError("raw transaction: bad data")
    if "tip" in pos:
        tip, max_fee = _int(items[pos["tip"]], "tip"), _int(items[pos["max_fee"]], "max fee")
    else:
        tip = max_fee = _int(items[pos["gas_price"]], "gas price")
    return RawTx(raw=raw, hash=keccak(raw), sender=sender, nonce=_int(items[pos["nonce"]], "nonce"),
                 to=to or None,
                 value=_int(items[pos["value"]], "value"), data=data,
                 gas=_int(items[pos["gas"]], "gas"), max_fee=max_fee, max_priority_fee=tip)
