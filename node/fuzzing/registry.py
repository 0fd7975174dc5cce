"""Every fuzz target by name. Target modules are imported only when asked for, so that the
atheris child of one target instruments and imports only what that target needs."""

from __future__ import annotations

import importlib

from node.fuzzing.harness import FuzzError, Target

MODULES = ("node.fuzzing.targets_wire", "node.fuzzing.targets_files",
           "node.fuzzing.targets_chain", "node.fuzzing.targets_audit",
           "node.fuzzing.targets_cover")


def all_targets() -> dict[str, Target]:
    return {t.name: t for m in MODULES for t in importlib.import_module(m).TARGETS}


def get_target(name: str) -> Target:
    for module in MODULES:
        for target in importlib.import_module(module).TARGETS:
            if target.name == name:
                return target
    raise FuzzError(f"unknown fuzz target {name!r}; choose from {', '.join(all_targets())}")
