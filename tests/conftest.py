"""Shared fixtures. A test that needs a chain asks for `anvil`; the fixture starts a fresh anvil on
a free port, waits until it listens, and always stops it, also when the test fails.

`scripts/test` runs pytest on several workers (pytest-xdist, `--dist loadgroup`). The files in
`ONE_AT_A_TIME` start guardian networks as OS processes, or race a pending exploit against the
block clock: they all run on one worker, one after the other, so two of them never share the CPU
(a race lost to the machine's load is not a failure of the code). Every other test, unit tests
and in-process networks, runs on whichever worker is free."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from node.anvil import Anvil

ONE_AT_A_TIME = frozenset({
    "tests/test_devnet.py", "tests/test_compose_check.py", "tests/test_chaos.py",
    "tests/node/test_cover_e2e.py", "tests/node/test_dkg_ceremony.py",
    "tests/node/test_pending_e2e.py", "tests/node/test_prepared_e2e.py",
    "tests/node/test_prepared_oz_e2e.py",
})


def pytest_collection_modifyitems(config, items) -> None:
    root = config.rootpath
    for item in items:
        if item.path.relative_to(root).as_posix() in ONE_AT_A_TIME:
            item.add_marker(pytest.mark.xdist_group("one-at-a-time"))


@pytest.fixture
def anvil(tmp_path) -> Iterator[Anvil]:
    with Anvil(log_path=tmp_path / "anvil.log") as chain:
        yield chain
