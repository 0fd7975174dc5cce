"""GET /cover/<protocol id>/<nonce>/<account> on the status server: an affected account's amount
and Merkle proof (what `claim` takes), with the incident's loss, snapshot block and root.
GET /cover/<protocol id>/<nonce> gives the whole tree (OpenZeppelin StandardMerkleTree dump
format, so front-ends load it with `StandardMerkleTree.load`)."""

from __future__ import annotations

import json
import re

_PATH = re.compile(r"^/cover/0x([0-9a-fA-F]{64})/([0-9]{1,20})(?:/0x([0-9a-fA-F]{40}))?/?$")


def _json(status: str, doc: dict) -> tuple[str, bytes, str]:
    return status, json.dumps(doc, indent=2).encode() + b"\n", "application/json"


def respond(service, path: str) -> tuple[str, bytes, str]:
    """(status line, body, content type) for a /cover/... path; `service` may be None."""
    m = _PATH.match(path)
    if m is None:
        return _json("400 Bad Request", {"error": "expected /cover/0x<protocol id: 32 bytes>/"
                                                  "<nonce>[/0x<account>]"})
    if service is None:
        return _json("404 Not Found", {"error": "cover is not enabled on this guardian"})
    protocol_id, nonce = bytes.fromhex(m.group(1)), int(m.group(2))
    incidents = service.tree_for(protocol_id, nonce)
    if not incidents:
        return _json("404 Not Found", {"error": f"no computed incident {nonce} for that protocol"})
    out = []
    for inc in incidents:
        facts = inc.facts
        doc = {"pool": "0x" + inc.pool.address.hex(), "nonce": nonce, "status": inc.status,
               "loss": str(facts.loss), "snapshot_block": facts.snapshot_block,
               "root": "0x" + facts.root.hex()}
        if m.group(3) is None:
            tree = facts.tree
            doc["tree"] = None if tree is None else {
                "format": "standard-v1", "leafEncoding": ["address", "uint256"],
                "tree": ["0x" + h.hex() for h in tree.tree],
                "values": [{"value": ["0x" + a.hex(), str(v)], "treeIndex": tree.positions[i]}
                           for i, (a, v) in enumerate(tree.leaves)]}
        else:
            account = bytes.fromhex(m.group(3))
            i = facts.tree.index_of(account) if facts.tree is not None else None
            if i is None:
                doc["error"] = "this account held no claims token at the snapshot block"
            else:
                doc.update(account="0x" + account.hex(), amount=str(facts.tree.leaves[i][1]),
                           proof=["0x" + p.hex() for p in facts.tree.proof(i)])
        out.append(doc)
    found = m.group(3) is None or any("proof" in d for d in out)
    return _json("200 OK" if found else "404 Not Found", {"incidents": out})


class CoverRoutes:
    """The status server's `/cover/...` routes (node.status_server `routes`); `service` is the
    guardian's CoverService, or None when cover is off (then every /cover/ path is a 404)."""

    def __init__(self, service) -> None:
        self.service = service

    def __call__(self, path: str) -> tuple[str, bytes, str] | None:
        if path != "/cover" and not path.startswith("/cover/"):
            return None
        return respond(self.service, path)
