"""protocol/vectors/guardian_oracle.json is what the forge tests check the contract against (the
digest's known answers, protocol ids, limits, and the real BLS authorizations OracleBls.t.sol
verifies). Here the same file is checked against protocol/: the digest against an independent
eth_abi encoding, and every BLS backend against the stored signatures."""

from __future__ import annotations

import json
from importlib.resources import files

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from protocol.bls import BACKEND_NAMES, DST_AUTHORIZATION, get_backend
from protocol.digest import DIGEST_LAYOUT, DOMAIN_TAG, authorization_digest, protocol_id

SPEC = json.loads(files("protocol").joinpath("vectors/guardian_oracle.json").read_text())
DIGEST = SPEC["digest"]
BLS = SPEC["bls_authorizations"]


def _b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def test_digest_constants():
    assert _b(DIGEST["domain_tag"]) == DOMAIN_TAG == keccak(DIGEST["domain_tag_preimage"].encode())
    assert DIGEST["dst"].encode() == DST_AUTHORIZATION
    assert DIGEST["layout"] == [f"{t} {n}" for n, t in DIGEST_LAYOUT]


@pytest.mark.parametrize("v", DIGEST["vectors"], ids=lambda v: v["about"][:24])
def test_digest_vectors(v):
    args = (v["chain_id"], _b(v["oracle"]), v["key_epoch"], _b(v["protocol_id"]), v["action"],
            v["nonce"], v["deadline"], v["evidence_from_block"], _b(v["evidence_hash"]))
    values = [DOMAIN_TAG, v["chain_id"], v["oracle"], v["key_epoch"], _b(v["protocol_id"]),
              v["action"], v["nonce"], v["deadline"], v["evidence_from_block"],
              _b(v["evidence_hash"])]
    preimage = encode([t for _, t in DIGEST_LAYOUT], values)
    assert _b(v["preimage"]) == preimage
    assert _b(v["digest"]) == keccak(preimage) == authorization_digest(*args)


def test_protocol_ids():
    for v in SPEC["protocol_ids"]:
        assert protocol_id(_b(v["target"])) == _b(v["protocol_id"])
        assert keccak(encode(["address"], [v["target"]])) == _b(v["protocol_id"])


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_every_backend_signs_the_stored_authorizations(backend):
    from node.contract_spec import TEST_OTHER_KEY, TEST_SECRET_KEY

    b = get_backend(backend)
    keys = {"public_key": TEST_SECRET_KEY, "other_public_key": TEST_OTHER_KEY}
    for name, sk in keys.items():
        assert b.g1_to_eip2537(b.sk_to_pk(sk)) == _b(BLS[name])
    pid = protocol_id(_b(BLS["protocol"]))
    assert pid == _b(BLS["protocol_id"])
    for a in BLS["authorizations"].values():
        digest = authorization_digest(BLS["chain_id"], _b(BLS["oracle"]), a["key_epoch"], pid,
                                      a["action"], a["nonce"], a["deadline"],
                                      BLS["evidence_from_block"], _b(BLS["evidence_hash"]))
        assert digest == _b(a["digest"])
        signature = b.sign(keys[a["signer"]], digest, DST_AUTHORIZATION)
        assert b.g2_to_eip2537(signature) == _b(a["signature"])
