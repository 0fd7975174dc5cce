"""One source for what the contracts share with protocol/: the generated Solidity constants and
the vectors file must be exactly what `python -m node.contract_spec` makes from protocol/ now."""

from __future__ import annotations

import pytest

from node import contract_spec
from node.registration import RegistrationError, build_registration
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


def _register(**overrides):
    args = dict(target="0x" + "11" * 20, admin="0x" + "22" * 20, actions="pause",
                monitored=["0x" + "11" * 20], tokens=["0x" + "44" * 20])
    return build_registration(**{**args, **overrides})


def test_registration_accepts_the_contract_limits():
    top = oracle_limits.MAX_WINDOW_BLOCKS
    assert _register(outflow_limit_bps=1500, window_blocks=top).window_blocks == top
    assert _register(cooldown=oracle_limits.MAX_COOLDOWN).cooldown == oracle_limits.MAX_COOLDOWN
    assert _register(max_duration=oracle_limits.MAX_CONTAINMENT_DURATION).max_duration > 0


@pytest.mark.parametrize("bad", [
    dict(outflow_limit_bps=1500, window_blocks=oracle_limits.MAX_WINDOW_BLOCKS + 1),
    dict(outflow_limit_bps=1500, window_blocks=0),
    dict(window_blocks=oracle_limits.MAX_WINDOW_BLOCKS + 1),
    dict(max_duration=oracle_limits.MAX_CONTAINMENT_DURATION + 1),
    dict(cooldown=oracle_limits.MAX_COOLDOWN + 1),
    dict(max_duration=oracle_limits.MIN_CONTAINMENT_DURATION - 1),
    dict(cooldown=oracle_limits.MIN_COOLDOWN - 1),
    dict(monitored=["0x" + "33" * 20] * (oracle_limits.MAX_DETECTION_ENTRIES + 1)),
], ids=lambda bad: ",".join(bad))
def test_registration_rejects_what_the_contract_rejects(bad):
    with pytest.raises(RegistrationError):
        _register(**bad)
