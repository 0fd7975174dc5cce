"""Incidents are keyed exactly by (protocol, nonce). The race of issue 12 defect 3, driven
deterministically: guardians signed a report for nonce 1 at a head read just after the nonce-0
containment landed; closing "every open incident of a contained protocol" closed nonce 1 too, and
a later attack went unseen. Only incidents whose nonce the oracle consumed are closed."""

from __future__ import annotations

from node.records import Watched
from node.status import NodeState
from node.store import Store, incident_key
from node.watch_loop import WatchLoop
from protocol.detection import DetectionParams

PID = b"\x42" * 32
PARAMS = DetectionParams(monitored=(), tokens=(), outflow_limit_bps=0, window_blocks=0,
                         balance_drop_bps=0, invariants=())


class _Registry:
    def __init__(self, watched):
        self._watched = watched

    def watched(self):
        return self._watched


class _Submitter:
    def __init__(self):
        self.stood_down: list[bytes] = []

    def contained(self, digest: bytes) -> None:
        self.stood_down.append(digest)


def _loop(tmp_path, watched: Watched) -> tuple[WatchLoop, Store, _Submitter]:
    store = Store(tmp_path / "db")
    submitter = _Submitter()
    loop = WatchLoop(registry=_Registry({PID: watched}), detectors=[], view=None, pipeline=None,
                     submitter=submitter, store=store, state=NodeState(name="g", index=1))
    for nonce in (0, 1):
        store.save_report(bytes([nonce]) * 32, incident_key(PID, nonce), 100 + nonce,
                          b"\x00" * 32, b"report", "local")
    return loop, store, submitter


def test_a_containment_closes_only_the_incident_of_its_own_nonce(tmp_path):
    loop, store, submitter = _loop(tmp_path, Watched(PID, PARAMS, 1 << 1, contained=True,
                                                    nonce=1))
    loop._note_containments()
    assert store.incident_state(incident_key(PID, 0)) == "contained"
    assert store.incident_state(incident_key(PID, 1)) == "open"  # the next attack's incident
    assert submitter.stood_down == [b"\x00" * 32]


def test_a_consumed_nonce_closes_its_incident_even_when_the_hook_failed(tmp_path):
    """A failed hook is not a containment, but its nonce is spent: that incident is over, and the
    next allowed action is reported under the next nonce."""
    loop, store, _ = _loop(tmp_path, Watched(PID, PARAMS, 0b110, contained=False, nonce=1,
                                            failed_action=1))
    loop._note_containments()
    assert store.incident_state(incident_key(PID, 0)) == "contained"
    assert store.incident_state(incident_key(PID, 1)) == "open"


def test_an_expired_incident_can_be_reported_again(tmp_path):
    store = Store(tmp_path / "db")
    incident = incident_key(PID, 0)
    store.save_report(b"\x01" * 32, incident, 100, b"\x00" * 32, b"report", "local")
    store.record_own_share(b"\x01" * 32, incident, b"share")
    assert store.own_shares_for(incident) == [b"\x01" * 32]
    store.mark_expired(incident)
    assert store.reopen_expired(incident) and store.incident_state(incident) == "open"
    assert store.own_shares_for(incident) == []
    assert not store.reopen_expired(incident)  # open already
