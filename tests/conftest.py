"""Shared fixtures. A test that needs a chain asks for `anvil`; the fixture starts a fresh anvil on
a free port, waits until it listens, and always stops it, also when the test fails.

`scripts/test` runs pytest on several workers (pytest-xdist, `--dist loadgroup`). The files in
`ONE_AT_A_TIME` start guardian networks (OS processes or in process) whose assertions race the
block clock: they all run on one worker, one after the other, so two of them never share the CPU
(a race lost to the machine's load is not a failure of the code; two networks side by side lost
such races in a trial run). Every other test runs on whichever worker is free."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from node.anvil import Anvil

ONE_AT_A_TIME = frozenset({
    "tests/test_devnet.py", "tests/test_compose_check.py", "tests/test_chaos.py",
    "tests/node/test_pending_e2e.py", "tests/node/test_prepared_e2e.py",
    "tests/node/test_prepared_oz_e2e.py", "tests/node/test_guardians_e2e.py",
    "tests/node/test_lifecycle_e2e.py",
})


def pytest_collection_modifyitems(config, items) -> None:
    """Mark the ONE_AT_A_TIME files' tests as one xdist group, and move them to the front: the
    group is the suite's longest unit of work, so it starts first and the other workers take
    everything else meanwhile (last, it ran alone at the end)."""
    root = config.rootpath
    first = []
    for item in items:
        if item.path.relative_to(root).as_posix() in ONE_AT_A_TIME:
            item.add_marker(pytest.mark.xdist_group("one-at-a-time"))
            first.append(item)
    chosen = set(map(id, first))
    items[:] = first + [item for item in items if id(item) not in chosen]


@pytest.fixture
def anvil(tmp_path) -> Iterator[Anvil]:
    with Anvil(log_path=tmp_path / "anvil.log") as chain:
        yield chain
