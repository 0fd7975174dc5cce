"""The audit's verdict, for a person (text) or a program (`--json`)."""

from __future__ import annotations

from node.audit.core import Audit
from protocol.digest import Action
from protocol.pending import base_block


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def as_dict(result: Audit) -> dict:
    call, judgement = result.call, result.judgement
    out = {"verdict": result.verdict, "exit_code": result.code, "tx_hash": _hex(call.tx_hash),
           "block": call.block, "oracle": _hex(call.oracle), "target": _hex(call.target),
           "sender": _hex(call.sender),
           "action": Action(call.action).name.lower() if call.action in set(Action)
           else call.action, "nonce": call.nonce, "deadline": call.deadline,
           "evidence_from_block": call.evidence_from_block,
           "evidence_hash": _hex(call.evidence_hash), "hook_succeeded": call.hook_succeeded,
           "expires_at": call.expires_at, "evidence_source": result.fetched.source,
           "guardians_tried": [{"url": u, "problem": p} for u, p in result.fetched.problems]}
    if result.fetched.evidence is not None:
        out["evidence"] = result.fetched.record.get("evidence")
        out["evidence_decoded"] = result.fetched.record.get("decoded")
        reports = result.fetched.record.get("reports") or []
        out["signers_seen"] = sorted({g for r in reports for g in r.get("signers_seen", [])})
    if judgement is not None:
        out.update(chain_id=judgement.chain_id, key_epoch=judgement.key_epoch,
                   digest=_hex(judgement.digest), signature_valid=judgement.signature_valid,
                   rule=judgement.rule, reason=judgement.reason)
    return out


def as_text(result: Audit) -> str:
    d = as_dict(result)
    lines = [f"containment {d['tx_hash']} (block {d['block']}): {d['verdict'].upper()}",
             f"  oracle {d['oracle']}  target {d['target']}  action {d['action']}  "
             f"nonce {d['nonce']}  hook {'succeeded' if d['hook_succeeded'] else 'FAILED'}",
             f"  evidence {d['evidence_hash']} from block {d['evidence_from_block']}"]
    if result.fetched.source:
        lines.append(f"  evidence served by {result.fetched.source} "
                     f"(hash checked; signers it saw: {d.get('signers_seen')})")
    for url, problem in result.fetched.problems:
        lines.append(f"  guardian {url}: {problem}")
    if result.judgement is None:
        lines.append("  no guardian produced the evidence: this containment cannot be checked")
    else:
        lines.append(f"  digest {d['digest']} (chain {d['chain_id']}, key epoch "
                     f"{d['key_epoch']}): signature {'valid' if d['signature_valid'] else 'INVALID'}")
        ev = result.fetched.evidence
        if ev is not None and ev.pending is not None:
            lines.append(f"  evidence about a pending transaction: re-simulated on its base block "
                         f"{base_block(ev.block_to)} on this RPC")
        lines.append(f"  rule: {d['rule']}")
        lines.append(f"  {'why' if result.code else 'checks'}: {d['reason']}")
    return "\n".join(lines)
