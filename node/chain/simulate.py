"""Simulating a pending transaction: its effect on top of a pinned base block, in a next block
whose environment (number base + 1, a given timestamp) is fixed, so that every guardian simulating
the same raw transaction on the same base block computes the same thing.

One `eth_simulateV1` call per transaction: every read the detectors will make (balances,
invariant calls), then the transaction, then the same reads again, in the same simulated block:
the reads after it see the transaction's post-state, the reads before it the base state (the
cheap filter `SimOutcome.touches` compares them). `traceTransfers` adds the native value the
transaction moves as Transfer logs from 0xeeee…ee (what the extraction detector reads,
`node.chain.trace`). Ether balances are read through a tiny contract placed by state
override (`BALANCE_READER`: returns BALANCE(address)), so that every read is a call.

A contract creation (no `to`: a constructor-only exploit deploys and drains at once) runs as a
call, because nodes (anvil among them) do not simulate a transaction without a `to`: the sender's
account gets, by state override, a tiny factory (`FACTORY_CODE`) that CREATEs its calldata when
called by `FACTORY_CALLER`. The new contract has the address, the constructor the `msg.sender`
and value, and the storage a real deployment gives it (the account's nonce is the transaction's
when it is the sender's next one, which `next_nonce` checks).

A node may answer a request for its newest block from its live state while it mines the next
block into it (anvil does), so a simulation on the head that raced a block being mined is repeated
once the head has moved past it (`Simulator.simulate`). Not seen: an answer read from the live state
that is back before the node stores the new block (a window of the miner's own duration,
milliseconds on anvil).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from node.chain.batch import FailedCall, run_batch
from node.chain.decode import ChainError, decode_bytes, decode_uint
from node.chain.rawtx import RawTx
from node.chain.rpc import ChainRpc, checksum, log_record
from node.records import BlockHeader, LogRecord, Watched
from protocol.detection import ETHER
from protocol.intent import claim_of_calldata

BALANCE_OF = bytes.fromhex("70a08231")
BALANCE_READER = bytes.fromhex("000000000000000000000000000000000000ba1a")
# PUSH1 4 CALLDATALOAD BALANCE PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
BALANCE_READER_CODE = "0x6004353160005260206000f3"
Read = tuple[bytes, bytes]  # (call target, calldata)
FACTORY_CALLER = bytes.fromhex("000000000000000000000000000000000000ba1b")
# CALLER PUSH20 FACTORY_CALLER EQ PUSH1 27 JUMPI STOP | JUMPDEST CALLDATACOPY(0, 0, size)
# CREATE(CALLVALUE, 0, size) MSTORE(0, address) RETURN(0, 32): anyone else's call is a no-op.
FACTORY_CODE = ("0x3373" + FACTORY_CALLER.hex()
                + "14601b57005b36600060003736600034f060005260206000f3")


def creation_call(tx: RawTx, overrides: dict[str, Any]) -> dict[str, Any]:
    """The call that runs creation `tx` (module doc); adds the factory to `overrides`."""
    overrides.setdefault(checksum(tx.sender), {})["code"] = FACTORY_CODE
    overrides[checksum(FACTORY_CALLER)] = {"balance": hex(tx.value)}
    return {"from": checksum(FACTORY_CALLER), "to": checksum(tx.sender), "value": hex(tx.value),
            "data": "0x" + tx.data.hex(), "gas": hex(tx.gas)}


class SimulationError(ChainError):
    """The node could not simulate the transaction (RPC refused it, answered nonsense)."""


def balance_read(token: bytes, holder: bytes) -> Read:
    if token == ETHER:
        return BALANCE_READER, b"\x00" * 4 + b"\x00" * 12 + holder
    return token, BALANCE_OF + b"\x00" * 12 + holder


def reads_for(watched: Iterable[Watched], accounts: Iterable[bytes | None] = ()) -> list[Read]:
    """Every read the detectors make at the simulated block for these protocols; `accounts` (the
    pending transaction's sender and `to`): their claims, for DILUTION (node.detectors.dilution)."""
    reads: dict[Read, None] = {}
    named = [a for a in accounts if a is not None]
    for w in watched:
        if w.params.claims is not None:
            for token in w.params.tokens:
                for account in named:
                    reads[(w.params.claims, claim_of_calldata(account, token))] = None
        for holder in w.params.monitored:
            for token in w.params.tokens:
                reads[balance_read(token, holder)] = None
        for inv in w.params.invariants:
            reads[(inv.target, inv.data)] = None
    return list(reads)


@dataclass(frozen=True)
class SimOutcome:
    tx: RawTx
    base: BlockHeader
    sim_time: int
    ok: bool  # the transaction did not revert
    reason: str  # why it reverted ("" if it did not)
    reads: dict[Read, bytes | None]  # after the transaction; None: the read reverted
    logs: tuple[LogRecord, ...]  # the transaction's logs
    before: dict[Read, bytes | None]  # the same reads on the base state

    @property
    def block(self) -> int:
        return self.base.number + 1

    def touches(self, watched: Watched) -> bool:
        """The cheap filter: the transaction changes something `watched` registered (a monitored
        balance, an invariant's answer) or emits a log from a monitored contract."""
        return any(self.before.get(r) != self.reads.get(r) for r in reads_for([watched])) or any(
            entry.address in watched.params.monitored for entry in self.logs)


class Simulator:
    def __init__(self, rpc: ChainRpc) -> None:
        self.rpc = rpc
        self.head = -1  # the newest head the node has answered (a reorg is not a concern here:
        # past `base` only decides whether `base`'s state is a stored one)

    async def next_nonce(self, tx: RawTx, base: BlockHeader) -> bool:
        """The transaction is its sender's next one at the base block: what simulating it alone
        on that block assumes (a mined transaction, or one queued behind another, is not). One
        request, which also asks the node's head for `simulate`."""
        count, head = await run_batch(self.rpc, [
            ("eth_getTransactionCount", [checksum(tx.sender), hex(base.number)]),
            ("eth_blockNumber", [])])
        if isinstance(count, FailedCall):
            raise SimulationError(f"eth_getTransactionCount refused: {count.error!s:.200}")
        self._saw_head(head)
        return decode_uint(count, "transaction count") == tx.nonce

    def _saw_head(self, answer: Any) -> None:
        if not isinstance(answer, FailedCall):
            self.head = max(self.head, decode_uint(answer, "block number"))

    async def _past(self, base: BlockHeader) -> bool:
        """The node's head has moved past `base` (its state is a stored one); known without a
        request once seen, since heads only move forward."""
        if self.head <= base.number:
            self.head = max(self.head, await self.rpc.block_number())
        return self.head > base.number

    async def simulate(self, tx: RawTx, base: BlockHeader, sim_time: int,
                       reads: Sequence[Read]) -> SimOutcome:
        """Simulate `tx` on `base`. When the node's head has moved past `base` by the time the
        answer is back, simulate once more: a node may answer "the state at its newest block" from
        its live database, which the block being mined on top of it is already changing (anvil
        does: a request for its best block reads the live state until the new block is stored).
        That answer is another state than `base`'s, and the peers, re-simulating later on the
        stored state of `base`, saw other facts and refused the report (the benchmark's
        `rounding` class: the drain simulated on top of itself, 2.3% less extracted). Once the
        head has moved, `base` is a stored past state, and the second answer is the one every
        peer computes."""
        if (self.head > base.number if self.head >= 0 else await self._past(base)):
            # already past (seen by `next_nonce`, or asked now): a stored state
            return await self._simulate_once(tx, base, sim_time, reads)
        outcome = await self._simulate_once(tx, base, sim_time, reads)
        if await self._past(base):
            outcome = await self._simulate_once(tx, base, sim_time, reads)
        return outcome

    async def _simulate_once(self, tx: RawTx, base: BlockHeader, sim_time: int,
                             reads: Sequence[Read]) -> SimOutcome:
        overrides: dict[str, Any] = {checksum(BALANCE_READER): {"code": BALANCE_READER_CODE}}
        call: dict[str, Any] = creation_call(tx, overrides) if tx.to is None else {
            "from": checksum(tx.sender), "to": checksum(tx.to), "value": hex(tx.value),
            "data": "0x" + tx.data.hex(), "gas": hex(tx.gas)}
        read_calls = [{"to": checksum(t), "data": "0x" + d.hex()} for t, d in reads]
        calls = read_calls + [call] + read_calls  # the reads before and after the transaction
        params = [{"blockStateCalls": [{
            "blockOverrides": {"number": hex(base.number + 1), "time": hex(sim_time)},
            "stateOverrides": overrides, "calls": calls}], "validation": False,
            "traceTransfers": True}, hex(base.number)]
        answer = await self.rpc._run(
            "eth_simulateV1", lambda: self.rpc.w3.provider.make_request("eth_simulateV1", params))
        results = _call_results(answer, len(calls))
        first = results[len(reads)]
        ok = _status(first)
        reason = "" if ok else str((first.get("error") or {}).get("message", "reverted"))[:200]
        before, after = (_reads(reads, results[:len(reads)]),
                         _reads(reads, results[len(reads) + 1:]))
        try:
            logs = tuple(log_record({**entry, "transactionHash": "0x" + tx.hash.hex(),
                                     "blockNumber": hex(base.number + 1)}, tx.sender)
                         for entry in (first.get("logs") or []))
        except (TypeError, AttributeError) as exc:
            raise SimulationError(f"eth_simulateV1: malformed logs: {exc}") from exc
        return SimOutcome(tx, base, sim_time, ok, reason, after, logs, before)


def _reads(reads: Sequence[Read], results: list[dict]) -> dict[Read, bytes | None]:
    return {read: (decode_bytes(result.get("returnData", "0x"), None, "simulated read")
                   if _status(result) else None)
            for read, result in zip(reads, results, strict=True)}


def _call_results(answer: Any, count: int) -> list[dict]:
    if not isinstance(answer, dict):
        raise SimulationError("eth_simulateV1: not a JSON-RPC answer")
    if "error" in answer:
        raise SimulationError(f"eth_simulateV1 refused: {str(answer['error'])[:200]}")
    blocks = answer.get("result")
    if not isinstance(blocks, list) or len(blocks) != 1 or not isinstance(blocks[0], dict):
        raise SimulationError("eth_simulateV1: expected one simulated block")
    calls = blocks[0].get("calls")
    if not isinstance(calls, list) or len(calls) != count or not all(
            isinstance(c, dict) for c in calls):
        raise SimulationError(f"eth_simulateV1: expected {count} call results")
    return calls


def _status(result: dict) -> bool:
    return decode_uint(result.get("status", "0x0"), "simulated call status") == 1
