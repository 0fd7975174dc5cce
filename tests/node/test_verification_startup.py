"""Issue 17, restart storm: a report that arrives while this node is starting (a restarted peer
re-publishing it) came before the node's first head, when its registry is still empty, and was
refused for good as "not registered". Re-verification now waits for our chain view to reach the
evidence block first, and reads the registry after that."""

from __future__ import annotations

import trio
import trio.testing

from node.records import Watched
from node.verification import ReportRejected, ReportVerifier
from protocol import messages
from protocol.detection import DetectionParams, EvidenceKind
from protocol.digest import Action
from protocol.evidence import Evidence

ORACLE = b"\x5f" * 20
PID = b"\x42" * 32
PARAMS = DetectionParams(monitored=(), tokens=(), outflow_limit_bps=0, window_blocks=0,
                         balance_drop_bps=0, invariants=())


def _report() -> messages.Report:
    ev = Evidence(EvidenceKind.OUTFLOW, PID, 90, 100, b"\x07" * 20, (10**24, 10**23), b"\x08" * 20)
    return messages.Report(chain_id=31337, oracle=ORACLE, key_epoch=1, protocol_id=PID,
                           action=Action.PAUSE, nonce=0, deadline=2_000_000_000, evidence=ev,
                           observed_block=100, guardian=2, signature=b"")


async def test_a_report_received_before_the_first_head_is_judged_once_the_registry_is_read():
    registry: dict[bytes, Watched] = {}  # empty: the node has not read a head yet
    verifier = ReportVerifier(chain_id=31337, oracle_address=ORACLE, key_epoch=1, view=None,
                              oracle=None, watched=lambda: registry, head_wait_seconds=10)
    outcome: dict[str, str] = {}

    async def verify() -> None:
        try:
            await verifier.verify(_report())
        except ReportRejected as exc:
            outcome["rejected"] = str(exc)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(verify)
        await trio.testing.wait_all_tasks_blocked()
        assert outcome == {}  # waiting for our chain view, not refused
        registry[PID] = Watched(PID, PARAMS, 1 << 1, contained=True)  # the first head's reads
        await verifier.on_head(100)
    assert outcome == {"rejected": "protocol is already contained"}  # judged on the registry
