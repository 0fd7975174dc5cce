"""Issue 17, disk full: a write the disk has no room for raised a raw sqlite error out of
whichever service wrote, and the node died with a traceback. It is now a `StoreFull` that names
the data directory and what to do, `guardian run` prints it as one line, and the store keeps
everything it had (sqlite rolls the statement back)."""

from __future__ import annotations

import sqlite3

import pytest

from node.commands.run import _first
from node.store import Store, StoreFull, incident_key

PID = b"\x42" * 32


def _save(store: Store, k: int) -> None:
    store.save_report(k.to_bytes(32, "big"), incident_key(PID, k), 100 + k, b"\x00" * 32,
                      b"r" * 4000, "peer")


def test_a_full_disk_is_a_clear_error_and_loses_nothing(tmp_path):
    path = tmp_path / "data" / "guardian.sqlite"
    store = Store(path)
    _save(store, 0)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 2}")  # the disk fills up
    with pytest.raises(StoreFull) as err:
        for k in range(1, 200):
            _save(store, k)
    assert f"data_dir {path.parent}: the disk is full" in str(err.value)
    assert "free space and start it again" in str(err.value)
    saved = [k for k in range(200) if store.report(k.to_bytes(32, "big"))]
    store.close()
    again = Store(path)  # starts again on the same file
    assert again._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [k for k in range(200) if again.report(k.to_bytes(32, "big"))] == saved
    assert 0 in saved
    again.close()


def test_other_sqlite_errors_are_not_disguised(tmp_path):
    store = Store(tmp_path / "guardian.sqlite")
    with pytest.raises(sqlite3.OperationalError):
        store._db.execute("SELECT * FROM no_such_table")
    store.close()


def test_run_finds_the_store_error_inside_nested_exception_groups():
    full = StoreFull("disk full")
    group = ExceptionGroup("outer", [ExceptionGroup("inner", [ValueError("x"), full])])
    assert _first(group, StoreFull) is full
    assert _first(ExceptionGroup("g", [ValueError("x")]), StoreFull) is None
