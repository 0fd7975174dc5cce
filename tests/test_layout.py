"""The code's shape: no import cycle between the modules of protocol/ and node/, protocol/ never
imports node/, and no module is longer than a reader can hold in mind.

Imports are read with `ast`, function-level ones included (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("protocol", "node")
MAX_LINES = 300
LENGTH_EXEMPT: tuple[str, ...] = ()


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out[".".join(parts)] = path
    return out


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(target: str) -> None:
        # the deepest known module named by `target` (an imported name may be a function)
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                add(f"{module}.{alias.name}")
    return found


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _imports(name, path, known) for name, path in known.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle():
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def _unit(module: str) -> str:
    """A subpackage (node.chain, node.detectors, protocol.bls...) counts as one unit."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else module


def test_no_import_cycle_between_subpackages():
    units: dict[str, set[str]] = {}
    for module, deps in _graph().items():
        unit = _unit(module)
        units.setdefault(unit, set()).update(_unit(d) for d in deps if _unit(d) != unit)
    cycle = _cycle(units)
    assert cycle is None, "import cycle between packages: " + " -> ".join(cycle)


def test_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_protocol_does_not_import_node():
    bad = [(m, d) for m, deps in _graph().items() if m.startswith("protocol")
           for d in deps if d.startswith("node")]
    assert not bad


def test_no_module_over_the_limit():
    long = []
    for path in _modules().values():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(LENGTH_EXEMPT):
            continue
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            long.append(f"{rel}: {lines} lines")
    assert not long, f"modules over {MAX_LINES} lines: {long}"


# Errors owned by files other branches are editing; they join the package base when those land.
ERROR_BASE_EXEMPT = {"protocol.guardian_set.GuardianSetError", "protocol.digest.DigestError",
                     "node.registration.RegistrationError"}


def test_every_error_derives_from_its_package_base():
    import importlib

    from node.errors import NodeError
    from protocol.errors import ProtocolError

    bases = {"protocol": ProtocolError, "node": NodeError}
    wrong = []
    for name, path in _modules().items():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith(
                    ("Error", "Failed", "NotFound", "Unavailable", "Rejected", "Observed")):
                qualified = f"{name}.{node.name}"
                cls = getattr(importlib.import_module(name), node.name)
                base = bases[name.split(".")[0]]
                if qualified not in ERROR_BASE_EXEMPT and not issubclass(cls, base):
                    wrong.append(qualified)
    assert not wrong, f"not derived from the package's base error: {wrong}"


def test_the_readme_points_only_inside_the_repository():
    text = (ROOT / "README.md").read_text()
    assert "../" not in text
    assert "docs/architecture.md" in text and (ROOT / "docs" / "architecture.md").exists()
