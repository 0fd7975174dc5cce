"""A false report (node.byzantine, mode false-report): an invariant break the chain does not show.

Deterministic in (protocol, head): colluding guardians that see the same head fabricate the very
same report, so their shares are for one digest and add up, as they would in a real collusion."""

from __future__ import annotations

from node.records import BlockHeader, Watched, usable_actions
from protocol import messages
from protocol.detection import EvidenceKind, choose_action, report_deadline
from protocol.evidence import Evidence


def fabricate(watched: Watched, head: BlockHeader, pipeline, guardian: int
              ) -> messages.Report | None:
    """An unsigned report claiming the protocol's first invariant broke between the block before
    `head` and `head`; None if the protocol has no invariant or allows no action for it."""
    if watched.contained or not watched.params.invariants or head.number <= 1:
        return None
    action = choose_action(EvidenceKind.INVARIANT, usable_actions(watched))
    if action is None or head.number - 1 <= watched.release_block:
        return None
    inv = watched.params.invariants[0]
    evidence = Evidence(kind=EvidenceKind.INVARIANT, protocol_id=watched.protocol_id,
                        block_from=head.number - 1, block_to=head.number, subject=inv.target,
                        observed=(1, 0), detail=inv.data)
    return messages.Report(
        chain_id=pipeline.chain_id, oracle=pipeline.oracle_address, key_epoch=pipeline.gset.epoch,
        protocol_id=watched.protocol_id, action=int(action), nonce=watched.nonce,
        deadline=report_deadline(head.timestamp), evidence=evidence, observed_block=head.number,
        guardian=guardian, signature=b"")
