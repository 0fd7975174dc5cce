import sqlite3

import pytest

from node.store import Store, StoreError, incident_key

PID = b"\x11" * 32


def test_reports_and_shares_survive_a_restart(tmp_path):
    db = tmp_path / "node.sqlite"
    store = Store(db)
    inc = incident_key(PID, 3)
    assert store.save_report(b"d" * 32, inc, 100, b"e" * 32, b"report-bytes", "peer")
    assert not store.save_report(b"d" * 32, inc, 100, b"e" * 32, b"report-bytes", "peer")
    assert store.record_own_share(b"d" * 32, inc, b"share-msg")
    assert store.save_share(b"d" * 32, 2, b"p2")
    assert store.save_share(b"d" * 32, 5, b"p5")
    store.set_submission(b"d" * 32, "sending")
    store.set_submission(b"d" * 32, "sent", b"t" * 32)
    store.close()

    again = Store(db)
    assert again.report(b"d" * 32).encoded == b"report-bytes"
    assert again.own_shares_for(inc) == [b"d" * 32]
    assert again.own_share_messages() == [b"share-msg"]
    assert again.shares_for(b"d" * 32) == {2: b"p2", 5: b"p5"}
    sub = again.submission(b"d" * 32)
    assert (sub.status, sub.tx_hash, sub.attempts) == ("sent", b"t" * 32, 1)
    assert again.open_incidents() == [inc]


def test_contained_incidents_are_not_resumed(tmp_path):
    store = Store(tmp_path / "db")
    inc = incident_key(PID, 0)
    store.save_report(b"a" * 32, inc, 5, b"e" * 32, b"r", "local")
    store.record_own_share(b"a" * 32, inc, b"s")
    store.mark_contained(inc, b"t" * 32, 7)
    assert store.incident_state(inc) == "contained"
    assert store.open_incidents() == []
    assert store.own_share_messages() == []


def test_invalid_share_is_dropped_and_attributed(tmp_path):
    store = Store(tmp_path / "db")
    store.save_share(b"d" * 32, 4, b"bad")
    store.drop_share(b"d" * 32, 4, "partial does not verify")
    assert store.shares_for(b"d" * 32) == {}
    assert store.invalid_shares() == [(b"d" * 32, 4, "partial does not verify")]


def test_reports_for_an_incident_are_ordered_by_preference(tmp_path):
    store = Store(tmp_path / "db")
    inc = incident_key(PID, 1)
    store.save_report(b"2" * 32, inc, 12, b"\x01" * 32, b"late", "peer")
    store.save_report(b"1" * 32, inc, 10, b"\x09" * 32, b"early", "peer")
    assert [r.encoded for r in store.reports_for(inc)] == [b"early", b"late"]


def test_corrupt_database_gives_a_clear_error(tmp_path):
    db = tmp_path / "node.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the node database"):
        Store(db)


def test_schema_mismatch_is_refused(tmp_path):
    db = tmp_path / "node.sqlite"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value='999' WHERE key='schema'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema 999"):
        Store(db)


def test_database_is_bound_to_one_deployment(tmp_path):
    db = tmp_path / "node.sqlite"
    store = Store(db)
    store.bind(31337, b"\xaa" * 32, b"\x01" * 20)
    store.bind(31337, b"\xaa" * 32, b"\x01" * 20)  # the same deployment again: fine
    store.close()
    again = Store(db)
    for other in [(31337, b"\xbb" * 32, b"\x01" * 20),   # a new chain (anvil restarted)
                  (31337, b"\xaa" * 32, b"\x02" * 20),   # a redeployed oracle
                  (1, b"\xaa" * 32, b"\x01" * 20)]:
        with pytest.raises(StoreError, match="holds the state of another deployment") as err:
            again.bind(*other)
        assert "Use a new data_dir" in str(err.value)
    again.bind(31337, b"\xaa" * 32, b"\x01" * 20)
