import json

import pytest

from node import contract_build
from node.artifacts import ArtifactNotFound, load_artifact

pytestmark = pytest.mark.timeout(300)


def test_shipped_artifacts_match_a_fresh_build(tmp_path):
    """Rebuild every contract from source; the committed artifacts must be byte-identical."""
    contract_build.build(tmp_path)
    shipped = {p.name: p.read_bytes() for p in contract_build.ARTIFACTS_DIR.glob("*.json")}
    fresh = {p.name: p.read_bytes() for p in tmp_path.glob("*.json")}
    assert sorted(shipped) == sorted(fresh), "artifact set differs: run python -m node.contract_build"
    stale = [name for name in fresh if shipped[name] != fresh[name]]
    assert not stale, f"stale artifacts {stale}: run python -m node.contract_build"
    assert contract_build.is_current()


def test_artifacts_are_loadable_with_abi_and_bytecode():
    info = json.loads((contract_build.ARTIFACTS_DIR / "build-info.json").read_text())
    assert info["settings"]["evmVersion"] == "prague"
    for source in info["sources"]:
        assert source.endswith(".sol")
    names = [p.stem for p in contract_build.ARTIFACTS_DIR.glob("*.json") if p.stem != "build-info"]
    assert names
    for name in names:
        artifact = load_artifact(name)
        assert isinstance(artifact["abi"], list)
        assert artifact["bytecode"].startswith("0x")


def test_unknown_artifact_is_a_clear_error():
    with pytest.raises(ArtifactNotFound, match="no contract artifact named 'Nope'"):
        load_artifact("Nope")


def test_compile_errors_are_reported(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Bad.sol").write_text("pragma solidity ^0.8.0; contract Bad { uint x = ; }")
    (tmp_path / "foundry.toml").write_text('[profile.default]\nevm_version = "prague"\n')
    with pytest.raises(contract_build.BuildError, match="Bad.sol"):
        contract_build.build(tmp_path / "out", contracts_dir=tmp_path)
