"""The explorer's incident timeline (issue 27) from the guardians' `/evidence` answers: ordered,
in ms from the detection, the combination at the t-th share, the inclusion as the submitter saw
its receipt; a guardian's malformed answer is left out, never an error of the page."""

from __future__ import annotations

from node.explorer.incidents import timeline
from node.explorer.page import incidents_html


def _record(g: int, origin: str, t0: float, shares: dict[int, float], sub=None) -> dict:
    return {"guardian": g, "incident": {"detected_at": t0},
            "reports": [{"origin": origin, "received_at": t0, "submission": sub,
                         "shares": [{"guardian": k, "received_at": v} for k, v in shares.items()]}]}


def test_timeline_orders_every_step_in_milliseconds():
    records = {
        "a": _record(1, "local", 100.0, {1: 100.01, 2: 100.05, 3: 100.2},
                     sub={"status": "confirmed", "updated_at": 101.5}),
        "b": _record(2, "peer", 100.03, {2: 100.04, 1: 100.06, 3: 100.21}),
        "liar": {"guardian": "x", "reports": [{"received_at": "soon"}]},
        "liar2": {"guardian": 9, "reports": [{"origin": "peer", "received_at": 1.0,
                                              "shares": [{"guardian": 4}]}]},
    }
    events = timeline(records, 3, sent_unix=100.3, included=(58, 101))
    assert [(e["t_ms"], e["what"]) for e in events] == [
        (0, "guardian 1 detects and proposes"), (10, "share of guardian 1"),
        (30, "report reaches guardian 2"), (40, "share of guardian 2"),
        (200, "guardian 1 combines 3 shares"), (200, "share of guardian 3"),
        (210, "guardian 2 combines 3 shares"), (300, "authorize sent"),
        (1500, "included: receipt seen by guardian 1")]


def test_without_a_receipt_the_block_time_places_the_inclusion_and_html_escapes():
    events = timeline({"a": _record(1, "local", 100.0, {})}, 3, None, (7, 102))
    assert events[-1] == {"t_ms": 2000, "what": "included in block 7 (block time)"}
    page = incidents_html([{"evidence_hash": "0x" + "ab" * 32, "kind": "<script>x</script>",
                            "protocol_id": "0x01", "nonce": 0, "state": "open", "held_by": [1],
                            "containment_tx": None, "timeline": events}])
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert "<td>2000</td><td>included in block 7 (block time)</td>" in page
