"""One audit: the transaction, its evidence from the guardians, the judgement. The verdict's exit
code is the command's: 0 justified, 1 not justified, 2 evidence not found (no guardian produced
bytes with the recorded hash). An audit that cannot run at all raises `AuditError`."""

from __future__ import annotations

from dataclasses import dataclass, field

from node.audit.fetch import Fetched, fetch_evidence
from node.audit.judge import Judgement, judge
from node.audit.transaction import AuditError, AuthorizeCall, load_authorize, parse_tx_hash
from node.chain.decode import ChainError
from node.chain.rpc import ChainRpc

JUSTIFIED, NOT_JUSTIFIED, EVIDENCE_NOT_FOUND = 0, 1, 2
VERDICTS = {JUSTIFIED: "justified", NOT_JUSTIFIED: "NOT justified",
            EVIDENCE_NOT_FOUND: "evidence not found"}


@dataclass
class Audit:
    call: AuthorizeCall
    fetched: Fetched
    judgement: Judgement | None = None
    guardians: list[str] = field(default_factory=list)

    @property
    def code(self) -> int:
        if self.judgement is None:
            return EVIDENCE_NOT_FOUND
        return JUSTIFIED if self.judgement.justified else NOT_JUSTIFIED

    @property
    def verdict(self) -> str:
        return VERDICTS[self.code]


async def audit_call(rpc: ChainRpc, call: AuthorizeCall, guardians: list[str]) -> Audit:
    fetched = await fetch_evidence(guardians, call.evidence_hash)
    out = Audit(call, fetched, guardians=list(guardians))
    if fetched.evidence is not None:
        try:
            out.judgement = await judge(rpc, call, fetched.evidence)
        except ChainError as exc:
            raise AuditError(f"could not read the chain to judge it: {exc}") from exc
    return out


async def audit(rpc_url: str, tx_hash: str, guardians: list[str],
                oracle: bytes | None = None) -> Audit:
    """Audit the `authorize` transaction `tx_hash` on the chain behind `rpc_url` (with `oracle`:
    only a transaction to that oracle)."""
    digest = parse_tx_hash(tx_hash)
    rpc = ChainRpc(rpc_url, timeout=10.0, retries=1)
    call = await load_authorize(rpc, digest, oracle)
    return await audit_call(rpc, call, guardians)
