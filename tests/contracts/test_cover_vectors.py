"""protocol/vectors/cover_breach.json is what the cover forge tests check the pool against. Here
it is regenerated from protocol/ (stale fails) and its digests are checked against an independent
eth_abi encoding; the breach and authorization domains are shown apart."""

from __future__ import annotations

import json

import pytest
from eth_abi import encode
from eth_hash.auto import keccak

from node import cover_spec
from protocol import breach
from protocol.bls import DST_AUTHORIZATION, get_backend
from protocol.digest import DOMAIN_TAG, digest_preimage

SPEC = json.loads(cover_spec.VECTORS_JSON.read_text())


def _b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def test_committed_vectors_are_current():
    assert cover_spec.VECTORS_JSON.read_text() == cover_spec.render(), \
        "run python -m node.cover_spec"


@pytest.mark.parametrize("v", SPEC["digest"]["vectors"], ids=lambda v: v["about"][:20])
def test_digest_matches_an_independent_abi_encoding(v):
    types = [t for _, t in breach.BREACH_LAYOUT]
    values = [breach.BREACH_DOMAIN_TAG, v["chain_id"], v["pool"], _b(v["protocol_id"]), v["nonce"],
              int(v["loss"]), v["snapshot_block"], _b(v["root"]), v["deadline"]]
    assert encode(types, values) == _b(v["preimage"])
    assert keccak(_b(v["preimage"])) == _b(v["digest"]) == breach.breach_digest(
        v["chain_id"], _b(v["pool"]), _b(v["protocol_id"]), v["nonce"], int(v["loss"]),
        v["snapshot_block"], _b(v["root"]), v["deadline"])


def test_breach_and_authorization_never_share_a_preimage_or_dst():
    assert breach.BREACH_DOMAIN_TAG == keccak(b"GuardianNetwork.Breach.v1") != DOMAIN_TAG
    assert breach.DST_BREACH != DST_AUTHORIZATION
    auth = digest_preimage(1, b"\x01" * 20, 1, b"\x02" * 32, 1, 0, 1, 1, b"\x03" * 32)
    conf = breach.Confirmation(1, b"\x01" * 20, b"\x02" * 32, 0, 1, 1, b"\x03" * 32, 1).preimage()
    assert len(auth) == 320 and len(conf) == 288 and auth[:32] != conf[:32]


def test_valid_confirmation_verifies_and_the_others_do_not():
    from node.contract_spec import TEST_SECRET_KEY

    b = get_backend("pyblst")
    forge = SPEC["forge"]
    pk = b.sk_to_pk(TEST_SECRET_KEY)
    digest = _b(forge["confirmations"]["valid"]["digest"])
    for name, case in forge["confirmations"].items():
        sig = b.g2_from_eip2537(_b(case["signature"]))
        assert b.verify(pk, digest, sig, breach.DST_BREACH) == (name == "valid"), name


@pytest.mark.parametrize("field, value", [
    ("chain_id", -1), ("pool", b"\x01" * 19), ("protocol_id", b""), ("nonce", 2**64),
    ("loss", 2**256), ("snapshot_block", True), ("root", "00" * 32), ("deadline", 1.5),
])
def test_out_of_range_fields_are_refused(field, value):
    fields = dict(chain_id=1, pool=b"\x01" * 20, protocol_id=b"\x02" * 32, nonce=0, loss=1,
                  snapshot_block=1, root=b"\x03" * 32, deadline=1)
    fields[field] = value
    with pytest.raises(breach.BreachError):
        breach.Confirmation(**fields).digest()


def test_payment_arithmetic():
    assert breach.pool_payout(1000, 10_000, 800) == 800
    assert breach.pool_payout(1000, 500, 800) == 500
    assert breach.claim_payment(400, 1000, 800, 1) == 319
    assert breach.claim_payment(400, 1000, 2000, 1) == 399  # never more than the amount
    assert breach.claim_payment(1, 1000, 800, 1) == 0  # below the deductible
