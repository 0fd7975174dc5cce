"""Durable node state in sqlite: reports, the shares we signed, peers' shares, submissions.

A node restarted mid-incident resumes from here: it reloads the reports and valid shares it had, it
never signs a second report for an incident it already signed a better one for, and it checks its
recorded submissions (and the oracle's nonce) before sending another. Writes are committed before
the node acts on them (WAL, synchronous=FULL), so a crash never loses a share it already published.

Everything here is quick local I/O; services call it directly from the trio thread.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from node.errors import NodeError

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
    digest BLOB PRIMARY KEY,
    incident BLOB NOT NULL,          -- protocol id (32) + nonce (8): one incident, maybe many reports
    block_to INTEGER NOT NULL,
    evidence_hash BLOB NOT NULL,
    encoded BLOB NOT NULL,           -- the Report as received or proposed (wire bytes)
    origin TEXT NOT NULL,            -- 'local' or 'peer'
    received_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_by_incident ON reports (incident);
CREATE TABLE IF NOT EXISTS own_shares (
    digest BLOB PRIMARY KEY,
    incident BLOB NOT NULL,
    encoded BLOB NOT NULL,           -- our Share message (wire bytes), re-published after restart
    signed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS own_shares_by_incident ON own_shares (incident);
CREATE TABLE IF NOT EXISTS shares (
    digest BLOB NOT NULL,
    guardian INTEGER NOT NULL,
    partial BLOB NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (digest, guardian)
);
CREATE TABLE IF NOT EXISTS invalid_shares (
    digest BLOB NOT NULL,
    guardian INTEGER NOT NULL,
    reason TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (digest, guardian)
);
CREATE TABLE IF NOT EXISTS submissions (
    digest BLOB PRIMARY KEY,
    tx_hash BLOB,
    status TEXT NOT NULL,            -- 'sending', 'sent', 'confirmed', 'failed'
    attempts INTEGER NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS incidents (
    incident BLOB PRIMARY KEY,
    state TEXT NOT NULL,             -- 'open', 'contained', 'expired' (deadline passed)
    detected_at REAL NOT NULL,
    contained_tx BLOB,
    contained_block INTEGER,
    updated_at REAL NOT NULL
);
"""


class StoreError(NodeError, RuntimeError):
    """The data directory's database cannot be used; the message says why."""


class StoreFull(StoreError):
    """A write failed because the data directory's disk is full. sqlite rolled the statement
    back (WAL, synchronous=FULL): what was stored before is intact, nothing half-written."""


class _Guarded:
    """The sqlite connection, with "database or disk is full" turned into a clear StoreFull
    (before, the node died with a raw sqlite traceback out of whichever service wrote)."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self._db = db
        self._path = path

    def execute(self, *args):
        try:
            return self._db.execute(*args)
        except sqlite3.OperationalError as exc:
            if "full" not in str(exc) and "no space" not in str(exc).lower():
                raise
            raise StoreFull(f"[node] data_dir {self._path.parent}: the disk is full ({exc}); "
                            "the guardian stops rather than sign what it cannot store. Nothing "
                            "stored was lost: free space and start it again") from exc

    def __getattr__(self, name: str):
        return getattr(self._db, name)


@dataclass(frozen=True)
class StoredReport:
    digest: bytes
    incident: bytes
    block_to: int
    evidence_hash: bytes
    encoded: bytes
    origin: str


@dataclass(frozen=True)
class Submission:
    digest: bytes
    tx_hash: bytes | None
    status: str
    attempts: int
    detail: str


def incident_key(protocol_id: bytes, nonce: int) -> bytes:
    return protocol_id + nonce.to_bytes(8, "big")


def incident_protocol(incident: bytes) -> bytes:
    """The protocol id an incident key belongs to (the inverse of `incident_key`'s first part)."""
    return incident[:32]


def incident_nonce(incident: bytes) -> int:
    """The oracle nonce an incident key belongs to (the inverse of `incident_key`'s second part)."""
    return int.from_bytes(incident[32:40], "big")


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            row = self._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the node database {self.path}: {exc}") from exc
        self._db = _Guarded(self._db, self.path)
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif row[0] != str(SCHEMA_VERSION):
            raise StoreError(f"{self.path} has schema {row[0]}, this node needs {SCHEMA_VERSION}")

    def close(self) -> None:
        self._db.close()

    # the deployment this database belongs to ------------------------------------------------
    def bind(self, chain_id: int, genesis_hash: bytes, oracle: bytes) -> None:
        """Tie the database to one chain and oracle, or refuse if it already belongs to another.

        Incidents are keyed by protocol id and nonce, which repeat on another chain or a redeployed
        oracle; state from there would make this node believe protocols are already contained.
        """
        here = f"chain {chain_id}, genesis 0x{genesis_hash.hex()}, oracle 0x{oracle.hex()}"
        row = self._db.execute("SELECT value FROM meta WHERE key='deployment'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('deployment', ?)", (here,))
        elif row[0] != here:
            raise StoreError(f"{self.path} holds the state of another deployment ({row[0]}); this "
                             f"node runs on {here}. Use a new data_dir for a new chain or oracle")

    # reports -----------------------------------------------------------------------------------
    def save_report(self, digest: bytes, incident: bytes, block_to: int, evidence_hash: bytes,
                    encoded: bytes, origin: str) -> bool:
        """Store a report; False if this digest was already known."""
        cur = self._db.execute(
            "INSERT OR IGNORE INTO reports VALUES (?, ?, ?, ?, ?, ?, ?)",
            (digest, incident, block_to, evidence_hash, encoded, origin, time.time()))
        if cur.rowcount:
            self._db.execute("INSERT OR IGNORE INTO incidents VALUES (?, 'open', ?, NULL, NULL, ?)",
                             (incident, time.time(), time.time()))
        return bool(cur.rowcount)

    def report(self, digest: bytes) -> StoredReport | None:
        row = self._db.execute("SELECT * FROM reports WHERE digest=?", (digest,)).fetchone()
        return StoredReport(*row[:6]) if row else None

    def reports_for(self, incident: bytes) -> list[StoredReport]:
        rows = self._db.execute("SELECT * FROM reports WHERE incident=? ORDER BY block_to, "
                                "evidence_hash", (incident,)).fetchall()
        return [StoredReport(*r[:6]) for r in rows]

    # our own shares: at most one per digest, and the set per incident only ever improves ---------
    def record_own_share(self, digest: bytes, incident: bytes, encoded: bytes) -> bool:
        cur = self._db.execute("INSERT OR IGNORE INTO own_shares VALUES (?, ?, ?, ?)",
                               (digest, incident, encoded, time.time()))
        return bool(cur.rowcount)

    def own_shares_for(self, incident: bytes) -> list[bytes]:
        rows = self._db.execute("SELECT digest FROM own_shares WHERE incident=?", (incident,))
        return [r[0] for r in rows]

    def open_own_shares(self) -> list[tuple[bytes, bytes, bytes]]:
        """(digest, incident, encoded Share) of our shares of open incidents, oldest first."""
        rows = self._db.execute(
            "SELECT o.digest, o.incident, o.encoded FROM own_shares o JOIN incidents i "
            "ON i.incident = o.incident WHERE i.state = 'open' ORDER BY o.signed_at")
        return [tuple(r) for r in rows]

    def own_share_messages(self) -> list[bytes]:
        rows = self._db.execute(
            "SELECT o.encoded FROM own_shares o JOIN incidents i ON i.incident = o.incident "
            "WHERE i.state = 'open' ORDER BY o.signed_at")
        return [r[0] for r in rows]

    # peers' shares ---------------------------------------------------------------------------
    def save_share(self, digest: bytes, guardian: int, partial: bytes) -> bool:
        cur = self._db.execute("INSERT OR IGNORE INTO shares VALUES (?, ?, ?, ?)",
                               (digest, guardian, partial, time.time()))
        return bool(cur.rowcount)

    def shares_for(self, digest: bytes) -> dict[int, bytes]:
        rows = self._db.execute("SELECT guardian, partial FROM shares WHERE digest=? "
                                "ORDER BY guardian", (digest,))
        return {g: p for g, p in rows}

    def drop_share(self, digest: bytes, guardian: int, reason: str) -> None:
        self._db.execute("DELETE FROM shares WHERE digest=? AND guardian=?", (digest, guardian))
        self._db.execute("INSERT OR REPLACE INTO invalid_shares VALUES (?, ?, ?, ?)",
                         (digest, guardian, reason, time.time()))

    def invalid_shares(self) -> list[tuple[bytes, int, str]]:
        return list(self._db.execute("SELECT digest, guardian, reason FROM invalid_shares"))

    # submissions -----------------------------------------------------------------------------
    def submission(self, digest: bytes) -> Submission | None:
        row = self._db.execute("SELECT digest, tx_hash, status, attempts, detail FROM submissions "
                               "WHERE digest=?", (digest,)).fetchone()
        return Submission(*row) if row else None

    def set_submission(self, digest: bytes, status: str, tx_hash: bytes | None = None,
                       detail: str = "") -> None:
        prev = self.submission(digest)
        attempts = (prev.attempts if prev else 0) + (1 if status == "sending" else 0)
        self._db.execute("INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?, ?)",
                         (digest, tx_hash if tx_hash is not None else (prev.tx_hash if prev else None),
                          status, attempts, detail, time.time()))

    # incidents -------------------------------------------------------------------------------
    def mark_contained(self, incident: bytes, tx_hash: bytes | None, block: int | None) -> None:
        self._db.execute(
            "INSERT INTO incidents VALUES (?, 'contained', ?, ?, ?, ?) ON CONFLICT(incident) DO "
            "UPDATE SET state='contained', contained_tx=excluded.contained_tx, "
            "contained_block=excluded.contained_block, updated_at=excluded.updated_at",
            (incident, time.time(), tx_hash, block, time.time()))

    def mark_expired(self, incident: bytes) -> None:
        """Every report of this open incident is past its deadline: no signature can be used."""
        self._db.execute("UPDATE incidents SET state='expired', updated_at=? "
                         "WHERE incident=? AND state='open'", (time.time(), incident))

    def reopen_expired(self, incident: bytes) -> bool:
        """A new detection for an incident whose every report expired unauthorized: open it again
        and forget our shares of the dead reports (no signature over them can ever be used), so
        that the new report can be signed. True if it was expired."""
        cur = self._db.execute("UPDATE incidents SET state='open', updated_at=? "
                               "WHERE incident=? AND state='expired'", (time.time(), incident))
        if cur.rowcount:
            self._db.execute("DELETE FROM own_shares WHERE incident=?", (incident,))
        return bool(cur.rowcount)

    def incident_state(self, incident: bytes) -> str | None:
        row = self._db.execute("SELECT state FROM incidents WHERE incident=?",
                               (incident,)).fetchone()
        return row[0] if row else None

    def open_incidents(self) -> list[bytes]:
        return [r[0] for r in self._db.execute(
            "SELECT incident FROM incidents WHERE state='open' ORDER BY detected_at")]

    def open_incidents_of(self, protocol_id: bytes) -> list[bytes]:
        """The open incidents of one protocol (whatever their nonce)."""
        return [i for i in self.open_incidents() if incident_protocol(i) == protocol_id]

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("reports", "own_shares", "shares", "invalid_shares", "submissions"):
            out[table] = self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        out["open_incidents"] = len(self.open_incidents())
        return out

    def read(self, sql: str, args: tuple = ()) -> list[tuple]:
        """A read-only SELECT, for the views other modules own (node.evidence_archive)."""
        if not sql.lstrip().upper().startswith("SELECT"):
            raise StoreError("Store.read runs SELECT statements only")
        return [tuple(r) for r in self._db.execute(sql, args).fetchall()]
