"""Locate the pinned EVM tools (anvil, forge, cast, the solc front) that `scripts/bootstrap` installs.

The tools live in the repository's own `node_modules` (never global). An operator who installed the
package without a checkout can point at their own binaries with GUARDIAN_ANVIL / GUARDIAN_FORGE /
GUARDIAN_CAST / GUARDIAN_SOLC, or have them on PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from node.errors import NodeError

REPO_ROOT = Path(__file__).resolve().parent.parent
# `guardian devnet up/attack/down` remember the running devnet here unless given --state.
DEVNET_STATE = REPO_ROOT / ".devnet" / "current.json"
NODE_MODULES = REPO_ROOT / "node_modules"
CONTRACTS_DIR = REPO_ROOT / "contracts"
SOLC_FRONT = REPO_ROOT / "scripts" / "solc"

_FOUNDRY_TOOLS = ("anvil", "forge", "cast")


class ToolNotFound(NodeError, RuntimeError):
    """A required external tool is not installed; the message says how to get it."""


def tool_path(name: str) -> Path:
    """Absolute path of `anvil`, `forge`, `cast` or `solc` (our solcjs front)."""
    override = os.environ.get(f"GUARDIAN_{name.upper()}")
    if override:
        path = Path(override)
        if not path.is_file():
            raise ToolNotFound(f"GUARDIAN_{name.upper()}={override} does not name a file")
        return path
    if name in _FOUNDRY_TOOLS:
        path = NODE_MODULES / "@foundry-rs" / f"{name}-linux-amd64" / "bin" / name
    elif name == "solc":
        path = SOLC_FRONT if (NODE_MODULES / "solc").is_dir() else Path("/nonexistent")
    else:
        raise ValueError(f"unknown tool {name!r}")
    if path.is_file():
        return path
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolNotFound(f"{name} is not installed: run scripts/bootstrap (it installs the pinned "
                       f"npm tools into {NODE_MODULES})")
