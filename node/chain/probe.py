"""Probing a newly deployed contract by simulation: calls to it from its deployer, each between
the same reads the detectors make (balances, invariant calls), in one `eth_simulateV1` block on
top of a pinned base block (number base + 1, a given timestamp, as for pending transactions).

    [creation]  reads  probe_1  reads  probe_2  reads ...

The reads before probe k are the reads after probe k-1: one batch searches every probe of a
candidate. Evidence is then the probe run alone (`run_one`), which is what a peer re-runs.

A creation still pending at the base block runs first in the same block. It runs as a call through
the factory of `node.chain.simulate.creation_call` (nodes do not simulate a transaction without
a `to`): same address, same constructor `msg.sender` and value, same storage.

Hostile code: every probe gets at most `gas` (the batch's block at most the sum), so a loop ends
out of gas, a huge return is bounded by memory cost, a revert or SELFDESTRUCT is one result;
the RPC client has its own timeout, so a slow answer fails the batch, not the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import rlp
from eth_hash.auto import keccak

from node.chain.decode import decode_bytes, decode_uint
from node.chain.rawtx import RawTx
from node.chain.rpc import ChainRpc, checksum, log_record
from node.chain.simulate import (
    BALANCE_READER,
    BALANCE_READER_CODE,
    FACTORY_CALLER,
    Read,
    SimulationError,
    _call_results,
    _reads,
    _status,
    creation_call,
)
from node.chain.trace import transfers_from_logs
from node.records import BlockHeader
from protocol.intent import Transfer

# PUSH1 4 CALLDATALOAD DUP1 EXTCODESIZE DUP1 PUSH1 0 PUSH1 0 DUP5 EXTCODECOPY PUSH1 0 RETURN
CODE_READER = bytes.fromhex("000000000000000000000000000000000000ba1c")
CODE_READER_CODE = "0x600435803b8060006000843c6000f3"
READ_GAS = 1_000_000  # each read: a registered view call must answer within it


def _transfers(result: dict, base: BlockHeader) -> tuple[Transfer, ...]:
    """A probe's value flows: its ERC-20 Transfer logs and (traceTransfers) native value, in
    execution order; a reverted probe moved nothing."""
    if not _status(result):
        return ()
    entries = result.get("logs") or []
    if not isinstance(entries, list):
        raise SimulationError("eth_simulateV1: a probe's logs are not a list")
    try:
        return tuple(transfers_from_logs(log_record(
            {**entry, "transactionHash": "0x" + "00" * 32, "blockNumber": hex(base.number + 1)})
            for entry in entries))
    except (TypeError, AttributeError) as exc:
        raise SimulationError(f"eth_simulateV1: malformed probe logs: {exc}") from exc


def creation_address(sender: bytes, nonce: int) -> bytes:
    return keccak(rlp.encode([sender, nonce]))[12:]


@dataclass(frozen=True)
class ProbeCall:
    sender: bytes
    value: int
    data: bytes


@dataclass(frozen=True)
class BatchOutcome:
    """Reads before the first probe, and after each probe, plus each probe's status."""

    base: BlockHeader
    reads: list[dict[Read, bytes | None]]  # len(probes) + 1
    ok: list[bool]  # per probe: did not revert
    transfers: list[tuple[Transfer, ...]]  # per probe: its value flows (`traceTransfers`)


class Prober:
    def __init__(self, rpc: ChainRpc) -> None:
        self.rpc = rpc

    async def runtime_code(self, creation: RawTx, base: BlockHeader, sim_time: int) -> bytes:
        """The code a pending creation would leave at its address (its constructor run in the
        simulated block); empty if the constructor reverts."""
        address = creation_address(creation.sender, creation.nonce)
        calls = [creation_call(creation, {}),
                 {"from": checksum(FACTORY_CALLER), "to": checksum(CODE_READER),
                  "data": "0x" + (b"\x00" * 16 + address).hex(), "gas": hex(READ_GAS)}]
        results = await self._simulate(calls, base, sim_time, creation)
        if not _status(results[0]) or not _status(results[1]):
            return b""
        return decode_bytes(results[1].get("returnData", "0x"), None, "simulated code")

    async def run(self, contract: bytes, probes: Sequence[ProbeCall], reads: Sequence[Read],
                  base: BlockHeader, sim_time: int, gas: int,
                  creation: RawTx | None = None, search: bool = False) -> BatchOutcome:
        """Every probe of `contract` in one simulated block, the reads around each. `search`:
        the senders' balances cover every probe's value (value a probe left in the contract
        would otherwise starve the next one); evidence comes from a probe run alone, without."""
        read_calls = [{"from": checksum(FACTORY_CALLER), "to": checksum(t),
                       "data": "0x" + d.hex(), "gas": hex(READ_GAS)} for t, d in reads]
        calls: list[dict[str, Any]] = [] if creation is None else [creation_call(creation, {})]
        calls += read_calls
        for p in probes:
            calls.append({"from": checksum(p.sender), "to": checksum(contract),
                          "value": hex(p.value), "data": "0x" + p.data.hex(), "gas": hex(gas)})
            calls += read_calls
        funds: dict[bytes, int] = {}
        if search:
            for p in probes:
                funds[p.sender] = funds.get(p.sender, 0) + p.value
        results = await self._simulate(calls, base, sim_time, creation, funds)
        if creation is not None:
            if not _status(results[0]):
                raise SimulationError("the creation reverts in simulation")
            results = results[1:]
        n, step = len(reads), len(reads) + 1
        after = [_reads(reads, results[n + k * step + 1:n + k * step + 1 + n])
                 for k in range(len(probes))]
        return BatchOutcome(base, [_reads(reads, results[:n])] + after,
                            [_status(results[k * step + n]) for k in range(len(probes))],
                            [_transfers(results[k * step + n], base) for k in range(len(probes))])

    async def _simulate(self, calls: list[dict[str, Any]], base: BlockHeader, sim_time: int,
                        creation: RawTx | None, funds: dict[bytes, int] | None = None
                        ) -> list[dict]:
        overrides: dict[str, Any] = {checksum(BALANCE_READER): {"code": BALANCE_READER_CODE},
                                     checksum(CODE_READER): {"code": CODE_READER_CODE}}
        for account, total in (funds or {}).items():
            if total:
                overrides[checksum(account)] = {"balance": hex(total)}
        if creation is not None:
            creation_call(creation, overrides)
        params = [{"blockStateCalls": [{
            "blockOverrides": {"number": hex(base.number + 1), "time": hex(sim_time)},
            "stateOverrides": overrides, "calls": calls}], "validation": False,
            "traceTransfers": True}, hex(base.number)]
        answer = await self.rpc._run(
            "eth_simulateV1", lambda: self.rpc.w3.provider.make_request("eth_simulateV1", params))
        return _call_results(answer, len(calls))

    async def balance_of(self, account: bytes, block: int) -> int:
        value = await self.rpc._run("eth_getBalance", lambda: self.rpc.w3.eth.get_balance(
            checksum(account), block))
        return decode_uint(value, "balance")
