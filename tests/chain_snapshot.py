"""One anvil and one deployment per test file, but not one history: `rolled_back` takes an anvil
snapshot before a test and reverts to it after, so a test of a shared deployment passes alone, in
any order and on any xdist worker, never seeing another test's transactions in its windows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from web3 import HTTPProvider


@contextmanager
def rolled_back(rpc_url: str) -> Iterator[None]:
    provider = HTTPProvider(rpc_url, request_kwargs={"timeout": 30})
    snapshot = provider.make_request("evm_snapshot", [])["result"]
    try:
        yield
    finally:
        assert provider.make_request("evm_revert", [snapshot])["result"] is True
