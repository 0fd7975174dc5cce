"""One source for what the contracts share with protocol/: the generated Solidity constants and
the vectors file must be exactly what `python -m node.contract_spec` makes from protocol/ now."""

from __future__ import annotations

from node import contract_spec
from protocol import oracle_limits


def test_generated_files_are_current():
    stale = [str(p.relative_to(contract_spec.ROOT)) for p in contract_spec.stale_files()]
    assert not stale, f"stale generated files {stale}: run python -m node.contract_spec"


def test_the_contract_takes_its_constants_from_the_generated_library():
    oracle_sources = (contract_spec.ROOT / "contracts" / "src").rglob("*.sol")
    text = "\n".join(p.read_text() for p in oracle_sources if p != contract_spec.CONSTANTS_SOL)
    for name in oracle_limits.CONTRACT_LIMITS:
        assert f"OracleConstants.{name}" in text, f"{name} is not taken from OracleConstants"
    assert "OracleConstants.DOMAIN_TAG" in text and "OracleConstants.DST" in text


def test_durations_fit_the_packed_policy():
    # The oracle stores maxDuration and cooldown as uint24 in the one-slot Policy.
    assert oracle_limits.MAX_CONTAINMENT_DURATION < 2**24
    assert oracle_limits.MAX_COOLDOWN < 2**24
