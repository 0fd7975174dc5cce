"""The forge tests read signatures made here; this test regenerates them and fails when the
committed fixtures were stale (after writing the fresh ones, so a re-run passes)."""

from __future__ import annotations

from .fixtures import all_fixtures, write_all


def test_fixtures_are_current():
    changed = write_all()
    assert not changed, f"contract fixtures were stale and have been regenerated: {changed}"


def test_backends_signed_identically():
    import json

    doc = json.loads(all_fixtures()["bls_signature.json"])
    assert len(set(doc["signatures"].values())) == 1
