"""Load the compiled contract artifacts (ABI and bytecode) shipped as package data."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from node.errors import NodeError


class ArtifactNotFound(NodeError, LookupError):
    """No artifact of that name was built into the package."""


@cache
def load_artifact(name: str) -> dict:
    resource = files("node") / "artifacts" / f"{name}.json"
    if not resource.is_file():
        raise ArtifactNotFound(f"no contract artifact named {name!r}; run "
                               f"`python -m node.contract_build` from a checkout")
    return json.loads(resource.read_text())
