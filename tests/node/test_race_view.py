"""What a guardian knows of a containment race (node.race_view): announced Proofs and the
`authorize` calls its pending watch saw decide whether its first attempt is sent at once, without
a read of the chain; the watch hands such calls to the submitter instead of judging them as
possible exploits; calldata that is not an authorize call is left alone."""

from __future__ import annotations

import types

import pytest
import trio
from eth_account import Account
from eth_utils import to_checksum_address

from node.assembly import Guardian
from node.chain.pending import PendingWatcher
from node.chain.pending_queue import PendingQueue
from node.chain.rawtx import decode_raw_tx
from node.chain.send_prep import AUTHORIZE_SELECTOR, authorize_calldata, parse_authorize
from node.race_view import MEMPOOL_KEPT, RaceView
from protocol.digest import protocol_id
from protocol.submission import RACERS

ORACLE = b"\x0e" * 20
TARGET = b"\x7a" * 20
PID = protocol_id(TARGET)
DIGEST = b"\x5a" * 32
KEY = "0x" + "42" * 32


def _raw(to: bytes, data: str, nonce: int = 0) -> bytes:
    signed = Account.from_key(KEY).sign_transaction({
        "to": to_checksum_address(to), "data": data, "value": 0, "gas": 500_000, "nonce": nonce,
        "chainId": 31337, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "type": 2})
    return bytes(signed.raw_transaction)


def _authorize(nonce: int = 3) -> str:
    return authorize_calldata(TARGET, 2, nonce, 1_700_000_600, 99, b"\x01" * 32, b"\x02" * 256)


def _args(nonce: int = 3, signature: bytes = b"\x02" * 256) -> tuple:
    """authorize's arguments as the submitter compares them: the protocol id for the target."""
    return (PID, 2, nonce, 1_700_000_600, 99, b"\x01" * 32, signature)


def test_the_first_ranks_race_until_racers_are_known_and_later_ranks_while_none_is():
    view = RaceView(sees_mempool=lambda: True)
    ours = _args()
    assert view.races(DIGEST, ours, 0, set()) is True
    assert view.races(DIGEST, ours, RACERS, set()) is True  # the watch saw nothing
    view.seen_in_mempool(ours, b"\x01" * 32)
    assert view.races(DIGEST, ours, RACERS - 1, set()) is True
    assert view.races(DIGEST, ours, RACERS, set()) is False
    assert view.races(DIGEST, ours, RACERS, {b"\x01" * 32}) is True  # our own: no racer
    view.announced(DIGEST, b"\x02" * 32)  # a Proof and a sighting: RACERS known
    assert view.races(DIGEST, ours, 0, set()) is (RACERS > 2)
    assert view.races(b"\x5b" * 32, _args(nonce=4), 0, set()) is True  # the next incident
    view.forget(DIGEST)
    assert view.known(DIGEST, ours, set()) == {b"\x01" * 32}


def test_a_call_that_only_names_the_incident_is_no_racer():
    """An attacker's authorize for the same protocol and nonce with any other signature (it would
    revert) must not stop the guardians' race: only our exact arguments count."""
    view = RaceView(sees_mempool=lambda: True)
    for i in range(RACERS + 1):
        view.seen_in_mempool(_args(signature=bytes([0x10 + i]) * 256), bytes([i]) * 32)
    assert view.known(DIGEST, _args(), set()) == set()
    assert view.races(DIGEST, _args(), 0, set()) is True
    assert view.races(DIGEST, _args(), RACERS, set()) is True


def test_without_a_subscribed_pending_watch_a_later_rank_asks_the_chain():
    view = RaceView()
    assert view.races(DIGEST, _args(), RACERS, set()) is None
    assert view.races(DIGEST, _args(), 0, set()) is True


def test_the_mempool_sightings_are_bounded():
    view = RaceView(sees_mempool=lambda: True)
    for nonce in range(MEMPOOL_KEPT + 10):
        view.seen_in_mempool(_args(nonce), nonce.to_bytes(32, "big"))
    assert view.known(b"", _args(0), set()) == set()
    assert view.known(b"", _args(MEMPOOL_KEPT + 9), set()) == {(MEMPOOL_KEPT + 9).to_bytes(32, "big")}
    assert len(view._in_mempool) == MEMPOOL_KEPT


def test_authorize_calldata_is_read_back_and_anything_else_is_not():
    data = bytes.fromhex(_authorize()[2:])
    assert parse_authorize(data) == (TARGET, *_args()[1:])
    assert parse_authorize(b"") is None
    assert parse_authorize(b"\xa9\x05\x9c\xbb" + data[4:]) is None  # transfer(...)
    assert parse_authorize(AUTHORIZE_SELECTOR + b"\x00" * 40) is None  # truncated arguments


def test_a_pending_authorize_to_our_oracle_goes_to_the_submitter_not_the_judges():
    race = RaceView(sees_mempool=lambda: True)
    node = types.SimpleNamespace(oracle_address=ORACLE,
                                 submitter=types.SimpleNamespace(race=race))
    authorize = decode_raw_tx(_raw(ORACLE, _authorize()))
    assert Guardian._containment_tx(node, authorize) is True
    assert race.known(DIGEST, _args(), set()) == {authorize.hash}
    # the same call to another contract, and another call to the oracle: judged as any other
    assert Guardian._containment_tx(node, decode_raw_tx(_raw(b"\x0f" * 20, _authorize()))) is False
    assert Guardian._containment_tx(node, decode_raw_tx(_raw(ORACLE, "0x12345678"))) is False


class _Rpc:
    """What the watcher's fetch reads: each hash's raw transaction."""

    def __init__(self, raws: dict[bytes, bytes]) -> None:
        self.raws = raws
        self.w3 = types.SimpleNamespace(provider=types.SimpleNamespace(make_request=self._get))

    def _get(self, method, params):
        return {"result": "0x" + self.raws[bytes.fromhex(params[0][2:])].hex()}

    async def _run(self, what, fn):
        return fn()


@pytest.mark.timeout(30)
async def test_the_pending_watch_queues_what_it_does_not_divert():
    diverted = decode_raw_tx(_raw(ORACLE, _authorize()))
    judged = decode_raw_tx(_raw(TARGET, "0x12345678", nonce=1))
    queue = PendingQueue()
    watcher = PendingWatcher("ws://unused", _Rpc({diverted.hash: diverted.raw,
                                                 judged.hash: judged.raw}),
                             bridge=None, queue=queue,
                             divert=lambda tx: tx.to == ORACLE)
    send, recv = trio.open_memory_channel(4)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(watcher._fetch, recv)
        await send.send((diverted.hash, 0.0))
        await send.send((judged.hash, 0.0))
        await queue.wait()
        nursery.cancel_scope.cancel()
    assert queue.pop_best().tx.hash == judged.hash and queue.pop_best() is None
    assert queue.dropped == 1
