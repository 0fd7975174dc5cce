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


def dkg_authorization_fixture() -> dict:
    """A group key made by a distributed key generation (7 participants, t = 5, reproducible
    keys and randomness) and authorizations signed with its shares, for OracleDkg.t.sol: the
    digests are those of OracleBls.t.sol's `nonce0` (the oracle deployed with the DKG key) and
    `epoch2_other_key` (the DKG key rotated in through the timelock as epoch 2)."""
    import random

    from node.contract_spec import (
        FORGE_CHAIN_ID,
        FORGE_TEST_CONTRACT,
        TEST_DEADLINE,
        TEST_EVIDENCE,
        TEST_EVIDENCE_FROM_BLOCK,
        create_address,
    )
    from protocol import threshold
    from protocol.dkg import DkgSession, Phase
    from protocol.dkg_ceremony import Ceremony, Participant
    from protocol.dkg_keys import ParticipantKeys

    b = get_backend("pyblst")
    rng = random.Random(15)
    keys = [ParticipantKeys.generate(rng) for _ in range(7)]
    ceremony = Ceremony("forge fixture", 1, 5, tuple(
        Participant(i, f"12D3KooWForgeFixture{i}", k.encryption_key, k.signing_key)
        for i, k in enumerate(keys, 1)))
    sessions = [DkgSession(ceremony, k, b, rng=rng) for k in keys]
    for phase in Phase:
        for sender in sessions:
            for data in sender.outgoing(phase):
                for receiver in sessions:
                    if receiver is not sender:
                        receiver.receive(data)
    results = [s.finish() for s in sessions]
    shares = {r.my_index: r.my_share for r in results}
    group_key = results[0].group_public_key
    pid = protocol_id(create_address(FORGE_TEST_CONTRACT, 2))

    def authorization(epoch: int, deadline: int, signers) -> str:
        digest = authorization_digest(FORGE_CHAIN_ID, create_address(FORGE_TEST_CONTRACT, 1),
                                      epoch, pid, Action.PAUSE, 0, deadline,
                                      TEST_EVIDENCE_FROM_BLOCK, TEST_EVIDENCE)
        partials = {i: threshold.partial_sign(shares[i], digest, b) for i in signers}
        return "0x" + b.g2_to_eip2537(threshold.combine(partials, b)).hex()

    epoch2_deadline = TEST_DEADLINE + 3 * 86400
    return {
        "about": "a DKG group key (7 participants, t = 5) and threshold authorizations signed "
                 "with its shares, for contracts/test/oracle/OracleDkg.t.sol",
        "threshold": 5, "guardians": 7,
        "group_public_key": "0x" + b.g1_to_eip2537(group_key).hex(),
        "transcript_hash": "0x" + results[0].transcript_hash.hex(),
        "nonce0_shares_1_to_5": authorization(1, TEST_DEADLINE, (1, 2, 3, 4, 5)),
        "nonce0_shares_3_to_7": authorization(1, TEST_DEADLINE, (3, 4, 5, 6, 7)),
        "nonce0_shares_1_to_4": authorization(1, TEST_DEADLINE, (1, 2, 3, 4)),
        "epoch2_deadline": epoch2_deadline,
        "epoch2_shares_2_to_6": authorization(2, epoch2_deadline, (2, 3, 4, 5, 6)),
    }


def all_fixtures() -> dict[str, str]:
    return {"bls_signature.json": json.dumps(bls_signature_fixture(), indent=2) + "\n",
            "dkg_authorization.json": json.dumps(dkg_authorization_fixture(), indent=2) + "\n"}


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
