"""The sender of a raw transaction, recovered by `node.chain.rawtx` from the decoded fields, is the
one eth-account recovers, for every envelope (legacy before and after EIP-155, EIP-2930,
EIP-1559, with and without a recipient and an access list); a signature eth-account refuses is a
RawTxError here too, never another exception."""

from __future__ import annotations

import random

import pytest
import rlp
from eth_account import Account
from eth_utils import to_checksum_address

from node.chain.rawtx import SECP256K1_N, RawTxError, decode_raw_tx

RNG = random.Random(9380)
KEYS = [Account.from_key(RNG.randbytes(32)) for _ in range(4)]


def _tx(kind: str, i: int) -> dict:
    tx = {"nonce": RNG.randrange(0, 2**20), "gas": RNG.randrange(21_000, 30_000_000),
          "value": RNG.randrange(0, 10**20), "data": RNG.randbytes(RNG.randrange(0, 300))}
    if i % 3:
        tx["to"] = to_checksum_address(RNG.randbytes(20))
    if kind == "legacy":
        tx["gasPrice"] = RNG.randrange(1, 10**12)
    elif kind == "eip155":
        tx.update(gasPrice=RNG.randrange(1, 10**12), chainId=RNG.choice((1, 56, 31337, 2**31)))
    else:
        tx["chainId"] = RNG.choice((1, 137, 31337))
        tx["accessList"] = ([{"address": to_checksum_address(RNG.randbytes(20)),
                              "storageKeys": ["0x" + RNG.randbytes(32).hex()]}] if i % 2 else [])
        if kind == "eip1559":
            tx.update(maxPriorityFeePerGas=RNG.randrange(0, 10**10),
                      maxFeePerGas=RNG.randrange(10**10, 10**12), type=2)
        else:
            tx.update(gasPrice=RNG.randrange(1, 10**12), type=1)
    return tx


@pytest.mark.parametrize("kind", ["legacy", "eip155", "eip2930", "eip1559"])
def test_the_sender_is_the_one_eth_account_recovers(kind):
    for i in range(40):
        account = KEYS[i % len(KEYS)]
        raw = bytes(account.sign_transaction(_tx(kind, i)).raw_transaction)
        decoded = decode_raw_tx(raw)
        assert decoded.sender == bytes.fromhex(Account.recover_transaction(raw)[2:])
        assert decoded.sender == bytes.fromhex(account.address[2:])


def _resigned(raw: bytes, v=None, r=None, s=None) -> bytes:
    """`raw` with its signature fields replaced (the rest untouched)."""
    typed = raw[0] < 0xC0
    items = rlp.decode(raw[1:] if typed else raw)
    for offset, value in ((-3, v), (-2, r), (-1, s)):
        if value is not None:
            items[offset] = value
    return (raw[:1] if typed else b"") + rlp.encode(items)


@pytest.mark.parametrize("kind", ["eip155", "eip1559"])
def test_a_signature_eth_account_refuses_is_a_typed_error(kind):
    raw = bytes(KEYS[0].sign_transaction(_tx(kind, 1)).raw_transaction)
    bad = [_resigned(raw, r=0), _resigned(raw, s=0), _resigned(raw, s=SECP256K1_N),
           _resigned(raw, r=SECP256K1_N + 1),
           _resigned(raw, v=5 if kind == "eip1559" else 30)]  # y parity 5 / legacy v 30
    for tampered in bad:
        with pytest.raises(Exception):  # noqa: B017, PT011 - eth-account's own types vary
            Account.recover_transaction(tampered)
        with pytest.raises(RawTxError):
            decode_raw_tx(tampered)


def test_a_changed_field_recovers_another_sender_as_eth_account_does():
    raw = bytes(KEYS[1].sign_transaction(_tx("eip1559", 1)).raw_transaction)
    items = rlp.decode(raw[1:])
    items[1] = (int.from_bytes(items[1], "big") + 1).to_bytes(8, "big").lstrip(b"\x00")
    forged = raw[:1] + rlp.encode(items)
    try:
        expected = bytes.fromhex(Account.recover_transaction(forged)[2:])
    except Exception:  # noqa: BLE001 - no key recovers it: ours must refuse it too
        with pytest.raises(RawTxError):
            decode_raw_tx(forged)
        return
    assert decode_raw_tx(forged).sender == expected != bytes.fromhex(KEYS[1].address[2:])
