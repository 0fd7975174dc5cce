"""A pending simulation that raced a block being mined on top of its base is repeated on the stored
state of the base (node.chain.simulate.Simulator.simulate). In a benchmark run anvil answered a
guardian's simulation of the `rounding` drain on base block 225 from its live state while it was
mining block 226 (which held that very drain): the reporter's evidence said 38,500 USDd extracted,
every peer's re-simulation of the stored block 225 said 39,386, and the report was refused. The
fake node here answers the first simulation from "the block being mined" and moves its head."""

from __future__ import annotations

import trio

from node.chain.rawtx import RawTx
from node.chain.simulate import Simulator
from node.records import BlockHeader

BASE = BlockHeader(number=225, hash=b"\x22" * 32, timestamp=1_000)
READ = (b"\x0a" * 20, b"\x70\xa0\x82\x31" + b"\x00" * 32)  # a balanceOf read
TX = RawTx(raw=b"\x01", hash=b"\xee" * 32, sender=b"\x0b" * 20, nonce=3, to=b"\x0c" * 20,
           value=0, data=b"", gas=5_000_000, max_fee=10**11, max_priority_fee=10**9)


def _answer(balance: int) -> dict:
    word = "0x" + balance.to_bytes(32, "big").hex()
    call = {"status": "0x1", "returnData": word, "logs": []}
    return {"result": [{"calls": [call, {"status": "0x1", "returnData": "0x", "logs": []},
                                  call]}]}


class Node:
    """Answers eth_simulateV1 from `answers` in turn; its head moves to `heads` in turn."""

    def __init__(self, answers: list[int], heads: list[int]) -> None:
        self.answers, self.heads = answers, heads
        self.simulations: list[str] = []
        self.w3 = self
        self.provider = self

    def make_request(self, method: str, params: list) -> dict:
        assert method == "eth_simulateV1"
        self.simulations.append(params[1])  # the base block asked for
        return _answer(self.answers.pop(0))

    async def _run(self, _what: str, fn):
        return fn()

    async def block_number(self) -> int:
        return self.heads.pop(0) if len(self.heads) > 1 else self.heads[0]


def _simulate(node: Node):
    async def run():
        return await Simulator(node).simulate(TX, BASE, BASE.timestamp + 2, [READ])
    return trio.run(run)


def test_a_simulation_that_raced_the_next_block_is_repeated_on_the_stored_base():
    # head 225 when it starts, 226 when the answer is back: the first answer may be the live
    # state of block 226 being mined (a drain already applied), the second is block 225's
    node = Node(answers=[38_500, 39_386], heads=[225, 226])
    outcome = _simulate(node)
    assert node.simulations == [hex(225), hex(225)]
    assert int.from_bytes(outcome.reads[READ], "big") == 39_386


def test_a_simulation_on_a_still_current_or_already_stored_base_runs_once():
    current = Node(answers=[39_386, 1], heads=[225, 225])  # nothing mined meanwhile
    assert int.from_bytes(_simulate(current).reads[READ], "big") == 39_386
    assert current.simulations == [hex(225)]
    stored = Node(answers=[39_386, 1], heads=[227])  # a peer re-simulating an older base
    assert int.from_bytes(_simulate(stored).reads[READ], "big") == 39_386
    assert stored.simulations == [hex(225)]
