import os
import signal

import pytest
from web3 import Web3

from node.anvil import Anvil, AnvilError

pytestmark = pytest.mark.timeout(60)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0); read its state
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(") ", 1)[1][0] != "Z"


def test_anvil_fixture_serves_prague_chain(anvil):
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    assert w3.eth.chain_id == 31337
    assert anvil.port != 0
    # EIP-2537's BLS12_G1ADD precompile (0x0b) exists only from Prague on: adding the point at
    # infinity to itself returns 128 zero bytes.
    out = w3.eth.call({"to": "0x000000000000000000000000000000000000000b", "data": b"\0" * 256})
    assert out == b"\0" * 128


def test_anvil_is_stopped_when_the_test_body_fails():
    pid = None
    with pytest.raises(ZeroDivisionError):
        with Anvil(chain_id=777) as chain:
            pid = chain.process.pid
            assert Web3(Web3.HTTPProvider(chain.rpc_url)).eth.chain_id == 777
            1 / 0  # noqa: B018 - the failure under test
    assert pid is not None and not _alive(pid)


def test_anvil_bad_arguments_give_clear_error():
    with pytest.raises(AnvilError, match="did not start"):
        Anvil(hardfork="no-such-fork").start()


def test_anvil_stop_kills_a_process_that_ignores_sigterm():
    chain = Anvil().start()
    pid = chain.process.pid
    os.kill(pid, signal.SIGSTOP)  # a stopped process cannot act on SIGTERM
    try:
        chain.stop(grace=0.5)
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert not _alive(pid)
