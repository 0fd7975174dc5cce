"""Re-running a peer's PREPARED probe on this node before signing: the same probe (sender, value,
calldata) of the same new contract on the same base block (same hash) in the same simulated
block, after the same creation, must show the same observations.

Everything in the evidence is untrusted. Refused with `PreparedNotConfirmed` naming the problem:
a detail that does not decode, a base block this node does not know (or knows with another
hash), a simulated timestamp out of range, a probe sent by the protocol's governance, a creation
this node cannot find (mined: not at or before the base block, or it did not create that
contract from that sender; pending: not in this node's mempool, not a creation, not its sender's
next transaction, or not creating that address), a probe that reverts here.
"""

from __future__ import annotations

from eth_hash.auto import keccak

from node.chain.decode import ChainError, decode_bytes
from node.chain.deployments import DeploymentSource
from node.chain.probe import ProbeCall, Prober, creation_address
from node.chain.rawtx import RawTx, RawTxError, decode_raw_tx
from node.chain.simulate import Read, SimulationError, balance_read, reads_for
from node.detectors.prepared_extraction import claim_reads, detail_beneficiaries
from node.errors import NodeError
from node.prepared_loop import PROBE_GAS
from node.records import LogRecord, Watched
from protocol.detection import DetectionParams, EvidenceKind
from protocol.evidence import Evidence
from protocol.pending import MAX_SIM_SECONDS, sim_time_ok
from protocol.prepared import PreparedError, decode_probe


class PreparedNotConfirmed(NodeError):
    """Our re-run of a peer's PREPARED probe does not confirm it; the message says why."""


def is_prepared(ev: Evidence) -> bool:
    return ev.kind == EvidenceKind.PREPARED


def simulated_time(ev: Evidence) -> int | None:
    """The timestamp of the block a simulated evidence is about (pending or PREPARED), whose
    validity the report's deadline counts from; None for evidence about a mined block."""
    if ev.pending is not None:
        return ev.pending.sim_time
    if is_prepared(ev):
        try:
            return decode_probe(ev.detail).sim_time
        except PreparedError:
            return None
    return None


class ProbeView:
    """`ChainView` of a probe re-run: block `base` reads the state before the probe, `base + 1`
    after it; nothing else (a PREPARED rule compares exactly these two)."""

    def __init__(self, base: int, before: dict[Read, bytes | None],
                 after: dict[Read, bytes | None], transfers: tuple = (),
                 params: DetectionParams | None = None) -> None:
        self.base = base
        self.states = {base: before, base + 1: after}
        self.transfers = transfers  # the probe's value flows (an EXTRACTION rule's facts)
        self.params = params

    def _read(self, read: Read, block: int) -> bytes | None:
        state = self.states.get(block)
        if state is None or read not in state:
            raise SimulationError(f"read of 0x{read[0].hex()} at block {block} was not probed")
        return state[read]

    async def balance(self, token: bytes, holder: bytes, block: int) -> int:
        out = self._read(balance_read(token, holder), block)
        if out is None or len(out) != 32:
            raise SimulationError(f"probed balance of 0x{holder.hex()} is not a uint256")
        return int.from_bytes(out, "big")

    async def call(self, target: bytes, data: bytes, block: int) -> bytes | None:
        return self._read((target, data), block)

    async def logs(self, addresses, topics, block: int) -> list[LogRecord]:
        return []

    async def log_at(self, tx_hash: bytes, log_index: int) -> LogRecord | None:
        return None


async def prepared_view(ev: Evidence, watched: Watched, simulator) -> ProbeView:
    """Re-run the evidence's probe on our own node; the view of its before/after."""
    if simulator is None:
        raise PreparedNotConfirmed("this node does not simulate")
    try:
        probe = decode_probe(ev.detail)
    except PreparedError as exc:
        raise PreparedNotConfirmed(str(exc)) from exc
    if probe.sender == watched.params.admin:
        raise PreparedNotConfirmed("the probe's sender is the protocol's governance")
    rpc = simulator.rpc
    try:
        header = await rpc.header(ev.block_from)
    except ChainError as exc:
        raise PreparedNotConfirmed(f"base block {ev.block_from} unknown to our node: "
                                   f"{exc}") from exc
    if header.hash != probe.base_hash:
        raise PreparedNotConfirmed(f"base block {ev.block_from} is 0x{header.hash.hex()[:12]} on "
                                   f"our chain, the evidence says 0x{probe.base_hash.hex()[:12]}")
    if not sim_time_ok(header.timestamp, probe.sim_time):
        raise PreparedNotConfirmed(f"simulated timestamp {probe.sim_time} is not within "
                                   f"{MAX_SIM_SECONDS}s after block {ev.block_from}")
    try:
        creation = (await _pending_creation(rpc, probe, header.number) if probe.pending
                    else await _mined_creation(rpc, probe, header.number))
        named = (detail_beneficiaries(probe.rule_detail)
                 if probe.rule == EvidenceKind.EXTRACTION else ())
        outcome = await Prober(rpc).run(
            probe.contract, [ProbeCall(probe.sender, probe.value, probe.calldata)],
            reads_for([watched]) + claim_reads(watched.params, named), header, probe.sim_time,
            PROBE_GAS, creation=creation)
    except ChainError as exc:
        raise PreparedNotConfirmed(f"could not re-run the probe: {exc}") from exc
    if not outcome.ok[0]:
        raise PreparedNotConfirmed("the probe reverts on our node")
    return ProbeView(header.number, outcome.reads[0], outcome.reads[1], outcome.transfers[0],
                     watched.params)


async def _mined_creation(rpc, probe, base: int) -> None:
    receipt = await rpc.receipt(probe.creation)
    if receipt is None or not receipt.ok or receipt.block > base:
        raise PreparedNotConfirmed(f"creation 0x{probe.creation.hex()[:12]} is not mined "
                                   f"(successfully) at or before block {base} on our chain")
    for c in await DeploymentSource(rpc).creations(receipt.block):
        if c.tx_hash == probe.creation and c.address == probe.contract:
            if c.sender != probe.sender:
                raise PreparedNotConfirmed("the probe's sender did not send the creation")
            return None
    raise PreparedNotConfirmed(f"transaction 0x{probe.creation.hex()[:12]} did not create "
                               f"0x{probe.contract.hex()}")


async def _pending_creation(rpc, probe, base: int) -> RawTx:
    answer = await rpc._run("eth_getRawTransactionByHash", lambda: rpc.w3.provider.make_request(
        "eth_getRawTransactionByHash", ["0x" + probe.creation.hex()]))
    result = answer.get("result") if isinstance(answer, dict) else None
    if result is None:
        raise PreparedNotConfirmed(f"creation 0x{probe.creation.hex()[:12]} is unknown to our "
                                   f"node")
    raw = decode_bytes(result, None, "raw transaction")
    try:
        tx = decode_raw_tx(raw)
    except RawTxError as exc:
        raise PreparedNotConfirmed(str(exc)) from exc
    if keccak(raw) != probe.creation or tx.to is not None or tx.sender != probe.sender:
        raise PreparedNotConfirmed("the creation is not a contract creation by the probe's "
                                   "sender")
    if creation_address(tx.sender, tx.nonce) != probe.contract:
        raise PreparedNotConfirmed(f"the creation does not create 0x{probe.contract.hex()}")
    count = await rpc._run("eth_getTransactionCount", lambda: rpc.w3.eth.get_transaction_count(
        rpc.w3.to_checksum_address(tx.sender), base))
    if int(count) != tx.nonce:
        raise PreparedNotConfirmed(f"the creation is not its sender's next transaction at "
                                   f"block {base}")
    return tx
