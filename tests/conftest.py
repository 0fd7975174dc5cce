"""Shared fixtures. A test that needs a chain asks for `anvil`; the fixture starts a fresh anvil on
a free port, waits until it listens, and always stops it, also when the test fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from node.anvil import Anvil


@pytest.fixture
def anvil(tmp_path) -> Iterator[Anvil]:
    with Anvil(log_path=tmp_path / "anvil.log") as chain:
        yield chain
