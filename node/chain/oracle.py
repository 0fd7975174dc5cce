"""The GuardianOracle as the node sees it: reads (nonces, registrations, containments, key epoch),
its events, and the one transaction a guardian sends, `authorize`.

The ABI comes from the shipped artifact, so the node and the contract cannot drift apart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import trio
from eth_account import Account
from web3.exceptions import ContractLogicError

from node.artifacts import load_artifact
from node.chain.decode import ChainError, decode_bytes, decode_uint
from node.chain.revert import Revert, revert_of
from node.chain.rpc import ChainRpc, both, checksum
from node.chain.send_prep import SendPrep, authorize_calldata
from node.records import TxReceipt
from node.registration import Registration

log = logging.getLogger("guardian.chain")

# authorize uses ~208,000 gas but needs a ~306,000 LIMIT (the BLS check and the hook keep their
# reserves); never less, whatever an RPC estimates (docs/operate.md).
AUTHORIZE_GAS_FLOOR = 330_000

# Protocol ids read per `protocolIds(offset, limit)` call.
PROTOCOL_IDS_PAGE = 100


class UnknownProtocol(ChainError):
    """The protocol id has no registration, so no target to send `authorize` to."""


@dataclass(frozen=True)
class Containment:
    action: int
    engaged_at: int
    expires_at: int
    hook_succeeded: bool
    active: bool


@dataclass(frozen=True)
class OracleEvent:
    name: str
    block: int
    tx_hash: bytes
    log_index: int
    args: dict[str, Any]


def parse_registration(raw: Any) -> Registration:
    """Turn `getRegistration`'s tuple into a `Registration`, checking every field's shape."""
    try:
        (target, admin, allowed, hook_kind, selector, max_duration, cooldown, det) = raw
        (monitored, tokens, outflow_bps, window, drop_bps, invariants) = det
        return Registration(
            target=decode_bytes(target, 20, "target"),
            admin=decode_bytes(admin, 20, "admin"),
            allowed_actions=decode_uint(allowed, "allowedActions"),
            hook_kind=decode_uint(hook_kind, "hookKind"),
            pause_selector=decode_bytes(selector, 4, "selector"),
            max_duration=decode_uint(max_duration, "maxDuration"),
            cooldown=decode_uint(cooldown, "cooldown"),
            monitored=tuple(decode_bytes(a, 20, "monitored") for a in monitored),
            tokens=tuple(decode_bytes(a, 20, "token") for a in tokens),
            outflow_limit_bps=decode_uint(outflow_bps, "outflowLimitBps"),
            window_blocks=decode_uint(window, "windowBlocks"),
            balance_drop_bps=decode_uint(drop_bps, "balanceDropBps"),
            invariants=tuple((decode_bytes(t, 20, "invariant target"),
                              decode_bytes(d, None, "invariant data")) for t, d in invariants))
    except (TypeError, ValueError) as exc:
        raise ChainError(f"getRegistration: unexpected shape: {exc}") from exc


def parse_containment(raw: Any) -> Containment:
    """`containment(protocolId)`'s tuple as a `Containment`."""
    try:
        action, engaged, expires, hook_ok, active = raw
    except (TypeError, ValueError) as exc:
        raise ChainError(f"oracle.containment: unexpected shape: {exc}") from exc
    return Containment(decode_uint(action, "action"), decode_uint(engaged, "engagedAt"),
                       decode_uint(expires, "expiresAt"), bool(hook_ok), bool(active))


class OracleClient:
    def __init__(self, rpc: ChainRpc, address: bytes, *, submitter_key: bytes | None = None,
                 chain_id: int | None = None, max_gas: int = 500_000) -> None:
        self.rpc = rpc
        self.address = address
        self.contract = rpc.w3.eth.contract(address=checksum(address),
                                            abi=load_artifact("GuardianOracle")["abi"])
        self._account = Account.from_key(submitter_key) if submitter_key else None
        self._targets: dict[bytes, bytes] = {}  # protocol id -> target, for authorize
        self.chain_id = chain_id
        self.max_gas = max_gas
        self._send_lock = trio.Lock()
        # sending has its own connection and threads: it never queues behind a head's reads
        self._send_rpc = ChainRpc(rpc.url) if isinstance(rpc, ChainRpc) else rpc
        self.send_prep = SendPrep(lambda: both(self._send_rpc.transaction_count(self.submitter),
                                               self._send_rpc.fee_params()))
        self._events = {e.event_name: e for e in (
            self.contract.events.ProtocolRegistered, self.contract.events.ProtocolUpdated,
            self.contract.events.ProtocolDeregistered, self.contract.events.ContainmentEngaged,
            self.contract.events.ContainmentLifted, self.contract.events.ContainmentExtended,
            self.contract.events.KeyRotated)}

    @property
    def submitter(self) -> bytes | None:
        return bytes.fromhex(self._account.address[2:]) if self._account else None

    async def _view(self, name: str, *args: Any, block: int | str = "latest") -> Any:
        fn = getattr(self.contract.functions, name)(*args)
        try:
            return await self.rpc._run(f"oracle.{name}", lambda: fn.call(block_identifier=block))
        except ContractLogicError as exc:
            raise ChainError(f"oracle.{name} reverted: {exc}") from exc

    # reads ----------------------------------------------------------------------------------------
    async def nonce(self, protocol_id: bytes, block: int | str = "latest") -> int:
        return decode_uint(await self._view("nonces", protocol_id, block=block), "nonce")

    async def key_epoch(self, block: int | str = "latest") -> int:
        return decode_uint(await self._view("keyEpoch", block=block), "keyEpoch")

    async def group_public_key(self, block: int | str = "latest") -> bytes:
        return decode_bytes(await self._view("groupPublicKey", block=block), 128, "group key")

    async def threshold(self) -> int:
        return decode_uint(await self._view("threshold"), "threshold")

    async def protocol_ids(self) -> list[bytes]:
        """Every registered protocol id, read a page at a time (the registry is bounded)."""
        ids: list[bytes] = []
        while True:
            page = await self._view("protocolIds", len(ids), PROTOCOL_IDS_PAGE)
            ids += [decode_bytes(p, 32, "protocol id") for p in page]
            if len(page) < PROTOCOL_IDS_PAGE:
                return ids

    async def registration(self, protocol_id: bytes,
                           block: int | str = "latest") -> Registration | None:
        if not await self._view("isRegistered", protocol_id, block=block):
            return None
        reg = parse_registration(await self._view("getRegistration", protocol_id, block=block))
        self._targets[protocol_id] = reg.target
        return reg

    async def target_of(self, protocol_id: bytes) -> bytes:
        """The target `authorize` takes for `protocol_id` (the guardians sign the id, the oracle
        recomputes it from the target): from registrations already read, else read now. A
        target never changes under its id (the id is its hash)."""
        if protocol_id not in self._targets:
            reg = await self.registration(protocol_id)
            if reg is None:
                raise UnknownProtocol(f"protocol 0x{protocol_id.hex()[:12]} is not registered")
        return self._targets[protocol_id]

    async def _authorize_calldata(self, protocol_id: bytes, *rest: Any) -> str:
        return authorize_calldata(await self.target_of(protocol_id), *rest)

    async def prepare_send(self) -> None:
        """Read the submitter's nonce and fees ahead of a likely send (node.chain.send_prep)."""
        if self._account is not None:
            await self.send_prep.prepare()

    async def failed_hook_action(self, protocol_id: bytes, block: int | str = "latest") -> int:
        """The action whose hook failed and that the oracle refuses until the hook is proven
        again (0: none)."""
        return decode_uint(await self._view("failedHookAction", protocol_id, block=block),
                           "failedHookAction")

    async def last_release_block(self, protocol_id: bytes, block: int | str = "latest") -> int:
        return decode_uint(await self._view("lastReleaseBlock", protocol_id, block=block),
                           "lastReleaseBlock")

    async def containment(self, protocol_id: bytes,
                          block: int | str = "latest") -> Containment:
        return parse_containment(await self._view("containment", protocol_id, block=block))

    async def hook_failure(self, reg: Registration, action: int) -> str:
        """Why the hook fails: its call from the oracle as an eth_call, with authorize's expiry (the
        recorded one is the old containment's: GuardableInvalidExpiry), the revert decoded."""
        try:
            if reg.hook_kind == 0:
                now = (await self.rpc.header("latest")).timestamp
                data = ENGAGE_SELECTOR + self.contract.w3.codec.encode(
                    ["uint8", "uint64", "bytes32"], [action, now + reg.max_duration, b"\x00" * 32])
            else:
                data = reg.pause_selector
            tx = {"from": checksum(self.address), "to": checksum(reg.target),
                  "data": "0x" + data.hex()}
            await self.rpc._run("eth_call", lambda: self.rpc.w3.eth.call(tx, "latest"))
        except ContractLogicError as exc:
            found = revert_of(exc)
            return str(found) if found else f"reverted: {str(exc)[:160]}"
        except ChainError as exc:
            return f"could not replay the hook: {exc}"
        return "the hook succeeds now (it failed when engaged: out of gas, or state since changed)"

    async def block_timestamp(self, block: int) -> int:
        return (await self.rpc.header(block)).timestamp

    async def head(self) -> int:
        return await self.rpc.block_number()

    async def events(self, from_block: int, to_block: int) -> list[OracleEvent]:
        """Every oracle event we understand in [from_block, to_block], in chain order."""
        raw_logs = await self.rpc.raw_logs(self.address, from_block, to_block)
        out: list[OracleEvent] = []
        for entry in raw_logs:
            for name, event in self._events.items():
                try:
                    decoded = event.process_log(entry)
                except Exception:  # noqa: BLE001 - not this event (or malformed): try the next
                    continue
                out.append(OracleEvent(name, decode_uint(entry["blockNumber"], "block"),
                                       decode_bytes(entry["transactionHash"], 32, "tx hash"),
                                       decode_uint(entry["logIndex"], "log index"), dict(decoded["args"])))
                break
        out.sort(key=lambda e: (e.block, e.log_index))
        return out

    # the transaction ---------------------------------------------------------------------------
    async def simulate_authorize(self, protocol_id: bytes, action: int, nonce: int, deadline: int,
                                 evidence_from_block: int, evidence_hash: bytes,
                                 signature: bytes) -> tuple[Revert | None, int]:
        """Run `authorize` as our submitter would send it, on top of the pending state: the
        decoded revert (None if it would succeed) and the gas it would use (0 on a revert)."""
        try:
            data = await self._authorize_calldata(protocol_id, action, nonce, deadline,
                                                  evidence_from_block, evidence_hash, signature)
        except UnknownProtocol:  # what the oracle itself would answer
            return Revert("GuardianOracleNotRegistered", {"protocolId": protocol_id}), 0
        tx = {"to": checksum(self.address), "data": data, "value": 0, "gas": self.max_gas}
        if self._account is not None:
            tx["from"] = self._account.address
        try:
            gas = await self.rpc._run("eth_estimateGas",
                                      lambda: self.rpc.w3.eth.estimate_gas(tx, "pending"))
        except ContractLogicError as exc:
            return (revert_of(exc) or Revert("Reverted", {"detail": str(exc)[:200]})), 0
        except ChainError as exc:
            found = revert_of(exc)
            if found is None:
                raise
            return found, 0
        return None, decode_uint(gas, "gas estimate")

    def gas_limit(self, estimate: int) -> int:
        """The estimate with a margin (hooks and storage may cost more when mined), at least the
        floor a containment needs, at most the configured maximum."""
        return min(self.max_gas, max(AUTHORIZE_GAS_FLOOR, estimate * 5 // 4))

    async def send_authorize(self, protocol_id: bytes, action: int, nonce: int, deadline: int,
                             evidence_from_block: int, evidence_hash: bytes,
                             signature: bytes, gas_estimate: int | None = None,
                             priority_fee: int | None = None, fee_cap: int | None = None) -> bytes:
        """Send authorize; `priority_fee` and `fee_cap` (wei/gas) put it before a pending exploit."""
        if self._account is None:
            raise ChainError("no submitter key configured: this node cannot send transactions")
        data = await self._authorize_calldata(protocol_id, action, nonce, deadline,
                                              evidence_from_block, evidence_hash, signature)
        async with self._send_lock:
            chain_id = self.chain_id or await self.rpc.chain_id()
            tx_nonce, (max_fee, tip) = await self.send_prep.take()
            if priority_fee is not None and priority_fee > tip:
                max_fee, tip = max_fee - tip + priority_fee, priority_fee
            max_fee = max(max_fee, fee_cap or 0)
            tx = {"to": checksum(self.address), "data": data, "value": 0,
                  "gas": self.gas_limit(gas_estimate) if gas_estimate else self.max_gas,
                  "nonce": tx_nonce, "chainId": chain_id, "maxFeePerGas": max_fee,
                  "maxPriorityFeePerGas": tip, "type": 2}
            signed = self._account.sign_transaction(tx)
            return await self._send_rpc.send_raw(bytes(signed.raw_transaction))

    async def wait_receipt(self, tx_hash: bytes, timeout: float) -> TxReceipt | None:
        return await self.rpc.wait_receipt(tx_hash, timeout)


def _engage_selector() -> bytes:
    from eth_utils import function_abi_to_4byte_selector

    for item in load_artifact("IGuardable")["abi"]:
        if item.get("name") == "engageContainment":
            return function_abi_to_4byte_selector(item)
    raise ChainError("the IGuardable artifact has no engageContainment")


ENGAGE_SELECTOR = _engage_selector()
