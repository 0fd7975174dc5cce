"""Build the Solidity contracts into the ABI + bytecode artifacts shipped in `node/artifacts/`.

The compiler settings are read from `contracts/foundry.toml`, so forge and this build agree. The
build is deterministic (sorted JSON, no metadata hash), which lets a test rebuild into a scratch
directory and fail when the committed artifacts are stale. `pip install` never compiles anything:
it ships the artifacts as package data.

Usage: python -m node.contract_build [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from node.errors import NodeError
from node.solidity_imports import library_sources
from node.toolchain import CONTRACTS_DIR, tool_path

ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
SOURCE_DIRS = ("src", "examples", "corpus")  # corpus: the detection benchmark (node/corpus)


class BuildError(NodeError, RuntimeError):
    """The compiler reported errors; the message lists them."""


def source_files(contracts_dir: Path = CONTRACTS_DIR) -> dict[str, Path]:
    """Source unit name (path relative to contracts/) -> file, for every shipped .sol file."""
    units: dict[str, Path] = {}
    for sub in SOURCE_DIRS:
        for path in sorted((contracts_dir / sub).rglob("*.sol")):
            units[path.relative_to(contracts_dir).as_posix()] = path
    return units


def compiler_settings(contracts_dir: Path = CONTRACTS_DIR) -> dict:
    profile = tomllib.loads((contracts_dir / "foundry.toml").read_text())["profile"]["default"]
    settings = {
        "evmVersion": profile.get("evm_version", "prague"),
        "optimizer": {"enabled": bool(profile.get("optimizer", True)),
                      "runs": int(profile.get("optimizer_runs", 200))},
        "metadata": {"bytecodeHash": "none", "appendCBOR": False},
        "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object",
                                        "evm.deployedBytecode.object"]}},
    }
    if profile.get("via_ir"):
        settings["viaIR"] = True
    return settings


def compile_sources(units: dict[str, Path], settings: dict) -> dict:
    standard_input = {
        "language": "Solidity",
        "sources": {name: {"content": path.read_text()} for name, path in units.items()},
        "settings": settings,
    }
    # solcjs output can exceed a pipe's buffer: route it through a file (see TOOLCHAIN.md).
    with tempfile.TemporaryFile() as out:
        proc = subprocess.run([str(tool_path("solc")), "--standard-json"],
                              input=json.dumps(standard_input).encode(), stdout=out,
                              stderr=subprocess.PIPE, check=False)
        out.seek(0)
        raw = out.read().decode()
    if proc.returncode != 0:
        raise BuildError(f"solc exited with {proc.returncode}: {proc.stderr.decode()[-2000:]}")
    start = raw.find("{")
    output = json.loads(raw[start:])
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise BuildError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    return output


def artifacts_from(output: dict) -> dict[str, dict]:
    artifacts: dict[str, dict] = {}
    for source_name, contracts in sorted(output.get("contracts", {}).items()):
        if source_name.startswith("@"):
            continue  # libraries (node.solidity_imports): compiled in, not shipped on their own
        for name, data in sorted(contracts.items()):
            if name in artifacts:
                raise BuildError(f"two contracts are named {name}: {artifacts[name]['sourceName']} "
                                 f"and {source_name}; names must be unique")
            artifacts[name] = {
                "contractName": name,
                "sourceName": source_name,
                "abi": data["abi"],
                "bytecode": "0x" + data["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + data["evm"]["deployedBytecode"]["object"],
            }
    return artifacts


def input_digest(units: dict[str, Path], settings: dict, compiler: str) -> str:
    h = hashlib.sha256()
    h.update(compiler.encode())
    h.update(json.dumps(settings, sort_keys=True).encode())
    for name, path in sorted(units.items()):
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def compiler_version() -> str:
    out = subprocess.run([str(tool_path("solc")), "--version"], capture_output=True, check=True)
    return out.stdout.decode().strip().splitlines()[-1].removeprefix("Version: ")


def build(out_dir: Path = ARTIFACTS_DIR, contracts_dir: Path = CONTRACTS_DIR) -> list[Path]:
    """Compile every shipped source and write one JSON artifact per contract into `out_dir`."""
    units = source_files(contracts_dir)
    units.update(library_sources(units, contracts_dir))
    settings = compiler_settings(contracts_dir)
    compiler = compiler_version()
    artifacts = artifacts_from(compile_sources(units, settings))
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob("*.json"):
        stale.unlink()
    written = []
    for name, artifact in artifacts.items():
        path = out_dir / f"{name}.json"
        path.write_text(json.dumps(artifact, indent=1, sort_keys=True) + "\n")
        written.append(path)
    info = {"compiler": compiler, "settings": settings,
            "inputDigest": input_digest(units, settings, compiler),
            "sources": sorted(units)}
    (out_dir / "build-info.json").write_text(json.dumps(info, indent=1, sort_keys=True) + "\n")
    return written


def is_current(out_dir: Path = ARTIFACTS_DIR, contracts_dir: Path = CONTRACTS_DIR) -> bool:
    """True when the shipped artifacts were built from exactly the current sources and settings."""
    info_path = out_dir / "build-info.json"
    if not info_path.is_file():
        return False
    info = json.loads(info_path.read_text())
    units = source_files(contracts_dir)
    units.update(library_sources(units, contracts_dir))
    settings = compiler_settings(contracts_dir)
    return info.get("inputDigest") == input_digest(units, settings, info.get("compiler", ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m node.contract_build", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ARTIFACTS_DIR, help="artifact directory")
    parser.add_argument("--if-stale", action="store_true",
                        help="do nothing when the artifacts match the sources")
    args = parser.parse_args(argv)
    if args.if_stale and is_current(args.out):
        print(f"contracts: artifacts in {args.out} are current")
        return 0
    try:
        written = build(args.out)
    except BuildError as exc:
        print(f"contracts: build failed:\n{exc}", file=sys.stderr)
        return 1
    print(f"contracts: wrote {len(written)} artifacts to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
