"""Every containment the oracle engaged (its ContainmentEngaged events), each audited with
`node.audit` (the guardians' own verification) against the explorer's RPC. A final verdict
(justified or not) is kept; "evidence not found" is asked again at every refresh."""

from __future__ import annotations

from node.audit.core import EVIDENCE_NOT_FOUND, audit_call
from node.audit.output import as_dict
from node.audit.transaction import AuditError, load_authorize
from node.chain.oracle import OracleClient
from node.chain.rpc import ChainRpc


class ContainmentLedger:
    def __init__(self, rpc: ChainRpc, oracle: OracleClient, from_block: int) -> None:
        self.rpc = rpc
        self.oracle = oracle
        self.next_block = from_block
        self.rows: dict[bytes, dict] = {}  # tx hash -> row, in chain order

    async def refresh(self, head: int, guardians: list[str]) -> list[dict]:
        if head >= self.next_block:
            for event in await self.oracle.events(self.next_block, head):
                if event.name != "ContainmentEngaged":
                    continue
                args = event.args
                self.rows.setdefault(event.tx_hash, {
                    "tx": "0x" + event.tx_hash.hex(), "block": event.block,
                    "time": (await self.oracle.block_timestamp(event.block)),
                    "protocol_id": "0x" + bytes(args["protocolId"]).hex(),
                    "action": int(args["action"]), "nonce": int(args["nonce"]),
                    "evidence_hash": "0x" + bytes(args["evidenceHash"]).hex(),
                    "hook_succeeded": bool(args["hookSucceeded"]),
                    "expires_at": int(args["expiresAt"]), "audit": None})
            self.next_block = head + 1
        for tx_hash, row in self.rows.items():
            done = row["audit"] and row["audit"].get("exit_code") != EVIDENCE_NOT_FOUND
            if not done:
                row["audit"] = await self._audit(tx_hash, guardians)
        return list(self.rows.values())

    async def _audit(self, tx_hash: bytes, guardians: list[str]) -> dict:
        try:
            call = await load_authorize(self.rpc, tx_hash, self.oracle.address)
            return as_dict(await audit_call(self.rpc, call, guardians))
        except AuditError as exc:
            return {"verdict": "cannot audit", "exit_code": 3, "reason": str(exc)}
