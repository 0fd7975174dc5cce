"""Startup refuses a data directory that a node used on another chain, with a clear message:
incidents are keyed by protocol id and nonce, which repeat on a new chain, so old state would make
the node believe the protocol is already contained and stay silent during an exploit."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio

from node.anvil import Anvil
from node.chain.rpc import ChainRpc
from node.startup import StartupError, bind_store
from node.store import Store

pytestmark = [pytest.mark.chain, pytest.mark.timeout(60)]

ORACLE = b"\x5f" * 20


def _cfg(chain: Anvil, data_dir):
    return SimpleNamespace(chain=SimpleNamespace(chain_id=31337, oracle=ORACLE, rpc_http=chain.rpc_url),
                           node=SimpleNamespace(data_dir=data_dir))


def _bind(chain: Anvil, data_dir) -> None:
    store = Store(data_dir / "guardian.sqlite")
    try:
        trio.run(bind_store, _cfg(chain, data_dir), ChainRpc(chain.rpc_url), store)
    finally:
        store.close()


def test_data_dir_of_another_chain_is_refused(tmp_path):
    data_dir = tmp_path / "data"
    with Anvil(extra_args=("--timestamp", "1000000")) as first:
        _bind(first, data_dir)
        _bind(first, data_dir)  # a restart on the same chain resumes
    with Anvil(extra_args=("--timestamp", "2000000")) as second:
        with pytest.raises(StartupError) as err:
            _bind(second, data_dir)
    text = str(err.value)
    assert text.startswith(f"[node] data_dir {data_dir}:") and "another deployment" in text
    assert "Use a new data_dir" in text
