"""The OpenZeppelin test targets (contracts/test/oz/OZTargets.sol, OpenZeppelin from npm) and other
test contracts (contracts/test/targets/) compiled for pytest: they are test contracts, so they are not
shipped in node/artifacts."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from node.contract_build import artifacts_from, compile_sources, compiler_settings
from node.toolchain import CONTRACTS_DIR

_IMPORT = re.compile(r'import\s+(?:\{[^}]*\}\s+from\s+)?"([^"]+)"')
NPM = CONTRACTS_DIR / "npm"


def _resolve(unit: str, base: str) -> str:
    if unit.startswith("."):
        parts = base.rsplit("/", 1)[0].split("/") if "/" in base else []
        for piece in unit.split("/"):
            if piece == "..":
                parts.pop()
            elif piece != ".":
                parts.append(piece)
        return "/".join(parts)
    return unit


def _path(unit: str) -> Path:
    return NPM / unit if unit.startswith("@") else CONTRACTS_DIR / unit


@lru_cache(maxsize=1)
def oz_artifacts() -> dict[str, dict]:
    return contract_artifacts("test/oz/OZTargets.sol")


@lru_cache(maxsize=4)
def contract_artifacts(root: str) -> dict[str, dict]:
    """The contracts of one test source (a path under contracts/) and everything it imports."""
    units: dict[str, Path] = {}
    todo = [root]
    while todo:
        unit = todo.pop()
        if unit in units:
            continue
        units[unit] = _path(unit)
        todo += [_resolve(i, unit) for i in _IMPORT.findall(units[unit].read_text())]
    return artifacts_from(compile_sources(units, compiler_settings()))


def deploy(deployer, name: str, *args, root: str = "test/oz/OZTargets.sol"):
    artifact = contract_artifacts(root)[name]
    factory = deployer.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor(*args).build_transaction({"from": deployer.address, "nonce": 0,
                                                       "gas": 1})
    receipt = deployer._send(f"deploy {name}", {"data": tx["data"], "value": 0})
    return deployer.w3.eth.contract(address=receipt["contractAddress"], abi=artifact["abi"])
