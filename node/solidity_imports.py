"""Library sources a contract imports (OpenZeppelin from npm), for the artifact build.

solcjs gets every source in its standard JSON input; it cannot read files. So the build follows
each shipped source's remapped imports (`@openzeppelin/...`, `contracts/foundry.toml`'s
`remappings`) and the relative imports inside those libraries, and adds each file under its
import name, the name forge also compiles it under.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

from node.errors import NodeError

IMPORT = re.compile(r'^\s*import\s+(?:[^"\';]*?\bfrom\s+)?["\']([^"\']+)["\']', re.MULTILINE)


class LibraryMissing(NodeError, RuntimeError):
    """An imported library file is missing (run scripts/bootstrap: npm installs the libraries)."""


def remappings(contracts_dir: Path) -> list[tuple[str, Path]]:
    profile = tomllib.loads((contracts_dir / "foundry.toml").read_text())["profile"]["default"]
    out = []
    for entry in profile.get("remappings", []):
        prefix, _, target = entry.partition("=")
        out.append((prefix, contracts_dir / target))
    return out


def library_sources(units: dict[str, Path], contracts_dir: Path) -> dict[str, Path]:
    """Import name -> file of every library source the units import, directly or not."""
    maps = remappings(contracts_dir)
    found: dict[str, Path] = {}
    todo = [(name, path) for name, path in units.items()]
    while todo:
        name, path = todo.pop()
        for target in IMPORT.findall(path.read_text()):
            if target.startswith("."):
                if not name.startswith("@"):
                    continue  # our own relative imports are units already
                target = _normalize(PurePosixPath(name).parent / target)
            mapped = next((base / target[len(prefix):] for prefix, base in maps
                           if target.startswith(prefix)), None)
            if mapped is None or target in found:
                continue
            if not mapped.is_file():
                raise LibraryMissing(f"{name} imports {target}: {mapped} is missing")
            found[target] = mapped
            todo.append((target, mapped))
    return dict(sorted(found.items()))


def _normalize(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)
