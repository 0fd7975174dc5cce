"""Issue 24, the pieces of one head's batched reads, without a chain: JSON-RPC batch answers are
untrusted (matched by id, malformed ones a typed `ChainError`), a prefetch that gets garbage
warms nothing and never raises (the detectors then read one by one), and the stored logs of a
block answer each detector's query exactly as `eth_getLogs` filters it."""

from __future__ import annotations

import pytest
import trio

from node.chain import batch
from node.chain.batch import FailedCall, run_batch
from node.chain.decode import ChainError
from node.chain.rpc import ChainRpc
from node.chain.view import RpcChainView
from node.detectors.prefetch import PAUSE_BLOCKS, prefetch
from node.records import LogRecord, Watched
from protocol.detection import DetectionParams, InvariantCall
from protocol.intent import TRANSFER_TOPIC

BANK, TOKEN, OTHER, USER = b"\x0b" * 20, b"\x70" * 20, b"\x0c" * 20, b"\x0a" * 20
UNREACHABLE = "http://127.0.0.1:9"  # nothing listens: a read that is not cached fails


def _pad(a: bytes) -> bytes:
    return bytes(12) + a


def _log(address, topics, index, tx=b"\x01" * 32) -> LogRecord:
    return LogRecord(address=address, topics=tuple(topics), tx_hash=tx, log_index=index,
                     block_number=7, tx_from=b"\x00" * 20, data=(5).to_bytes(32, "big"))


def test_answers_are_matched_by_id_and_errors_are_per_call():
    raw = [{"jsonrpc": "2.0", "id": 1, "error": {"code": 3, "message": "execution reverted"}},
           {"jsonrpc": "2.0", "id": 0, "result": "0x01"}]
    out = batch._answers(raw, 2)
    assert out[0] == "0x01"
    assert isinstance(out[1], FailedCall)


@pytest.mark.parametrize("raw", [
    {"error": {"code": -32600, "message": "batch too large"}},  # the whole batch refused
    "0x01",                                                       # not a list
    [{"id": 0, "result": "0x"}],                                  # one answer for two calls
    [{"id": 0, "result": "0x"}, "0x"],                            # an answer not an object
    [{"id": 0, "result": "0x"}, {"id": 0, "result": "0x"}],       # a repeated id
    [{"id": 0, "result": "0x"}, {"id": 5, "result": "0x"}],       # an unknown id
    [{"id": 0, "result": "0x"}, {"id": True, "result": "0x"}],    # a bool is no id
    [{"id": 0, "result": "0x"}, {"result": "0x"}],                # no id
])
def test_a_malformed_batch_answer_is_a_chain_error(raw):
    with pytest.raises(ChainError):
        batch._answers(raw, 2)


def test_run_batch_sends_at_most_max_batch_calls_per_request(monkeypatch):
    sent: list[int] = []

    def post(rpc, calls):
        sent.append(len(calls))
        return [{"id": i, "result": hex(i)} for i in range(len(calls))]

    monkeypatch.setattr(batch, "_post", post)
    calls = [("eth_blockNumber", [])] * (batch.MAX_BATCH + 3)
    out = trio.run(run_batch, ChainRpc(UNREACHABLE, retries=0), calls)
    assert sent == [batch.MAX_BATCH, 3]
    assert out[batch.MAX_BATCH + 2] == hex(2)


@pytest.mark.parametrize("garbage", [
    [{"id": 0, "result": {"not": "logs"}}],
    "not json at all",
    None,
    [{"id": i, "result": "0xzz"} for i in range(100)],
])
def test_a_prefetch_given_garbage_warms_nothing_and_does_not_raise(monkeypatch, garbage):
    monkeypatch.setattr(batch, "_post", lambda rpc, calls: garbage)
    view = RpcChainView(ChainRpc(UNREACHABLE, retries=0))
    params = DetectionParams(monitored=(BANK,), tokens=(TOKEN,), outflow_limit_bps=3000,
                             window_blocks=20, balance_drop_bps=2000,
                             invariants=(InvariantCall(BANK, b"\x12\x34\x56\x78"),))
    watched = Watched(b"\x42" * 32, params, 1 << 1)
    trio.run(prefetch, view, [watched], 100)
    assert view.stored_logs(100, (BANK, TOKEN)) is None
    assert not view.known(("balance", TOKEN, BANK, 100))
    assert not view.known(("call", BANK, b"\x12\x34\x56\x78", 100))


def test_a_node_refusing_batches_is_not_asked_again_for_a_while(monkeypatch):
    """A refused batch went through the client's retries (seconds) on every head."""
    tried: list[int] = []

    def refuse(rpc, calls):
        tried.append(len(calls))
        return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "no batches"}}

    monkeypatch.setattr(batch, "_post", refuse)
    view = RpcChainView(ChainRpc(UNREACHABLE, retries=0))
    params = DetectionParams(monitored=(BANK,), tokens=(TOKEN,), outflow_limit_bps=3000,
                             window_blocks=20, balance_drop_bps=2000, invariants=())
    watched = Watched(b"\x42" * 32, params, 1 << 1)

    async def run():
        await prefetch(view, [watched], 100)
        assert len(tried) == 1
        for head in range(101, 100 + PAUSE_BLOCKS):
            await prefetch(view, [watched], head)
        assert len(tried) == 1  # paused
        await prefetch(view, [watched], 100 + PAUSE_BLOCKS)
        assert len(tried) == 2  # and tried again
    trio.run(run)


def test_stored_logs_answer_each_query_as_eth_getlogs_filters_it():
    transfer_out = _log(TOKEN, [TRANSFER_TOPIC, _pad(BANK), _pad(USER)], 0)
    transfer_in = _log(TOKEN, [TRANSFER_TOPIC, _pad(USER), _pad(BANK)], 1)
    approval = _log(TOKEN, [b"\x8c" * 32, _pad(BANK), _pad(USER)], 2)
    bank_event = _log(BANK, [b"\x99" * 32], 3)
    anonymous = _log(BANK, [], 4)
    other = _log(OTHER, [TRANSFER_TOPIC, _pad(BANK), _pad(USER)], 5)
    view = RpcChainView(ChainRpc(UNREACHABLE, retries=0))
    view.store_block_logs(7, frozenset({BANK, TOKEN, OTHER}),
                          [transfer_out, transfer_in, approval, bank_event, anonymous, other])

    async def run():
        # EXTRACTION: Transfers of the token out of the bank (topic1 = the bank)
        assert await view.block_logs((TOKEN,), (TRANSFER_TOPIC,), 7, (BANK,)) == [transfer_out]
        # DILUTION: every log of the token and the bank, in block order
        assert await view.block_logs((TOKEN, BANK), (), 7) == [
            transfer_out, transfer_in, approval, bank_event, anonymous]
        # a topic filter leaves out a log without topics
        assert await view.block_logs((BANK,), (b"\x99" * 32,), 7) == [bank_event]
        # an address that was not fetched, or another block, is not answered from the store
        assert view.stored_logs(7, (TOKEN, USER)) is None
        assert view.stored_logs(8, (TOKEN,)) is None
        with pytest.raises(ChainError):  # ... it goes to the node (unreachable here)
            await view.block_logs((USER,), (), 7)
    trio.run(run)
