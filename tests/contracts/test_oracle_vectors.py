"""contracts/test/oracle/OracleBls.t.sol verifies real authorizations on chain. Its constants are
made by contracts/test/oracle/gen_bls_vectors.py (py_ecc); this test regenerates them, checks the
.t.sol still holds exactly those, and that protocol/ (digest and every BLS backend) produces the
same bytes, so the contract is checked against signatures made by the node's own code."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from protocol.bls import BACKEND_NAMES, DST_AUTHORIZATION, get_backend
from protocol.digest import Action, authorization_digest, protocol_id

ROOT = Path(__file__).resolve().parents[2]
TEST_SOL = ROOT / "contracts" / "test" / "oracle" / "OracleBls.t.sol"


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_bls_vectors", ROOT / "contracts" / "test" / "oracle" / "gen_bls_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solidity_constants_are_current():
    gen = _generator()
    text = TEST_SOL.read_text()
    for name, value in gen.vectors().items():
        if isinstance(value, bytes):
            assert f'hex"{value.hex()}"' in text, f"{name} in OracleBls.t.sol is stale"


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_protocol_signs_the_same_authorizations(backend):
    gen = _generator()
    out = gen.vectors()
    b = get_backend(backend)
    oracle = bytes.fromhex(out["ORACLE"][2:])
    pid = protocol_id(bytes.fromhex(out["PROTOCOL"][2:]))
    digest = authorization_digest(gen.CHAIN_ID, oracle, 1, pid, Action.PAUSE, 0, gen.DEADLINE,
                                  gen.EVIDENCE)
    assert digest == gen.digest(oracle, 1, pid, 1, 0, gen.DEADLINE, gen.EVIDENCE)
    signature = b.sign(gen.SECRET_KEY, digest, DST_AUTHORIZATION)
    assert get_backend("pyblst").g2_to_eip2537(signature) == out["SIG_NONCE0"]
    assert b.g1_to_eip2537(b.sk_to_pk(gen.SECRET_KEY)) == out["PK"]
