"""/cover/<protocol>/<nonce>[/<account>] on the status server (node/cover/routes.py): each
affected account's amount and proof, the whole tree in the OpenZeppelin dump format, and typed
answers to everything else."""

from __future__ import annotations

import json
from types import SimpleNamespace

from node.cover.chain import Engaged, PoolInfo
from node.cover.routes import CoverRoutes
from node.cover.service import CoverIncident
from node.status_server import StatusServer
from protocol.cover_loss import Position, Transfer, breach_facts
from protocol.merkle import verify_proof

POOL, LENDING = b"\x50" * 20, b"\x60" * 20
ALICE, BOB = b"\xa1" * 20, b"\xb0" * 20
PID = b"\x11" * 32


def _service():
    claims = [Transfer(Position(5, 0), b"\x01" * 32, bytes(20), ALICE, 3),
              Transfer(Position(6, 0), b"\x02" * 32, bytes(20), BOB, 1)]
    asset = [Transfer(Position(11, 0), b"\x03" * 32, LENDING, b"\xee" * 20, 400)]
    facts = breach_facts(asset, claims, [LENDING], 10, Position(12, 0))
    pool = PoolInfo(POOL, PID, b"\x70" * 20, LENDING, 10**6, 1, 3600, 86400, 1)
    inc = CoverIncident(pool, Engaged(PID, 0, 10, True, Position(12, 0), b"\x04" * 32),
                        status="confirmed", facts=facts)
    return SimpleNamespace(tree_for=lambda pid, nonce: [inc] if (pid, nonce) == (PID, 0) else [])


def _get(server: StatusServer, path: str) -> tuple[str, dict]:
    raw = server._route(f"GET {path} HTTP/1.1")
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), json.loads(body)


def test_proofs_and_tree_are_served():
    server = StatusServer("127.0.0.1", 0, dict, bytes, routes=[CoverRoutes(_service())])
    status, doc = _get(server, f"/cover/0x{PID.hex()}/0/0x{ALICE.hex()}")
    inc = doc["incidents"][0]
    assert status.endswith("200 OK") and inc["amount"] == "300" and inc["loss"] == "400"
    assert verify_proof(bytes.fromhex(inc["root"][2:]), ALICE, 300,
                        [bytes.fromhex(p[2:]) for p in inc["proof"]])
    status, doc = _get(server, f"/cover/0x{PID.hex()}/0")
    tree = doc["incidents"][0]["tree"]
    assert tree["format"] == "standard-v1" and len(tree["values"]) == 2


def test_everything_else_is_a_typed_answer():
    off = StatusServer("127.0.0.1", 0, dict, bytes, routes=[CoverRoutes(None)])
    assert _get(off, f"/cover/0x{PID.hex()}/0")[0].endswith("404 Not Found")  # cover off
    server = StatusServer("127.0.0.1", 0, dict, bytes, routes=[CoverRoutes(_service())])
    assert server._route("GET /status/x HTTP/1.1").startswith(b"HTTP/1.1 404")  # not ours
    status, doc = _get(server, f"/cover/0x{PID.hex()}/0/0x{'cd' * 20}")
    assert status.endswith("404 Not Found") and "no claims token" in doc["incidents"][0]["error"]
    assert _get(server, f"/cover/0x{PID.hex()}/7")[0].endswith("404 Not Found")
    for bad in ("/cover/", "/cover/0x12/0", f"/cover/0x{PID.hex()}/-1", f"/cover/0x{PID.hex()}/0/x",
                "/cover/" + "9" * 5000):
        assert _get(server, bad)[0].endswith("400 Bad Request"), bad
