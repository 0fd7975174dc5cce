"""Signatures made in Python for the forge tests (contracts/test/fixtures/*.json).

Deterministic: fixed keys, a fixed authorization digest. `tests/contracts/test_contract_fixtures.py`
regenerates every file and fails if the committed copy differs, so the forge tests can never
check against a stale fixture.
"""

from __future__ import annotations

import json
from pathlib import Path

from protocol.bls import BACKEND_NAMES, DST_AUTHORIZATION, get_backend
from protocol.digest import Action, authorization_digest, protocol_id

FIXTURES = Path(__file__).resolve().parents[2] / "contracts" / "test" / "fixtures"
SECRET = 0x5EED_0F_6A4D_1A4_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0007
OTHER_SECRET = 0x0BAD_5EED


def bls_signature_fixture() -> dict:
    ref = get_backend("pyblst")
    message = authorization_digest(31337, bytes.fromhex("5fbdb2315678afecb367f032d93f642f64180aa3"), 1,
                                   protocol_id(b"\x11" * 20), Action.PAUSE, 0, 1_800_000_000,
                                   1, b"\x22" * 32)
    return {
        "about": "BLS signatures made by protocol/ (each backend) for contracts/test/BLS.t.sol",
        "dst": DST_AUTHORIZATION.decode(),
        "message": "0x" + message.hex(),
        "public_key": "0x" + ref.g1_to_eip2537(ref.sk_to_pk(SECRET)).hex(),
        "other_public_key": "0x" + ref.g1_to_eip2537(ref.sk_to_pk(OTHER_SECRET)).hex(),
        "signatures": {name: "0x" + ref.g2_to_eip2537(
            get_backend(name).sign(SECRET, message, DST_AUTHORIZATION)).hex()
            for name in BACKEND_NAMES},
    }


def all_fixtures() -> dict[str, str]:
    return {"bls_signature.json": json.dumps(bls_signature_fixture(), indent=2) + "\n"}


def write_all() -> list[str]:
    """Write every fixture; returns the names that changed."""
    FIXTURES.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in all_fixtures().items():
        path = FIXTURES / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            changed.append(name)
    return changed


if __name__ == "__main__":
    print("changed:", write_all() or "nothing")
