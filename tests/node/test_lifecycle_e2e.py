"""The containment lifecycle after the first pause, with guardians in-process against anvil:

contain -> governance lifts early -> the guardians do not pause again on the drain already
contained (the invariant is still broken, the outflow window still holds the old drain) -> a new
attack after the cooldown -> contained under the next nonce -> that containment expires by itself
-> a third attack -> contained under the nonce after. One network plays the three incidents (it
was two tests with a network each: the first containment and its set-up cost about 20 s).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from types import SimpleNamespace

import pytest
import trio

from node.anvil import Anvil
from node.config import PendingSection
from node.deploy import Deployer
from node.devnet.attack import run_attack
from node.devnet.authorizations import authorize_transactions
from node.devnet.contracts import ATTACKER_CAPITAL
from node.devnet.inprocess import guardian_network
from protocol.bls import get_backend

from .test_guardians_e2e import _setup, _submitters, _wait_mesh

pytestmark = [pytest.mark.chain, pytest.mark.slow, pytest.mark.timeout(300)]

B = get_backend()
QUIET_BLOCKS = 6  # blocks watched after a release for a (wrong) re-pause
# The lifecycle is judged on the mined path: four in-process guardians simulating every pending
# transaction (and probing every new contract) share one core with the suite's other worker, and
# their shares then came too late for a 4-step attack (the pending race has its own e2e files).
MINED_ONLY = PendingSection(max_per_block=0, probe_new_contracts=False)


def _governance(chain: Anvil) -> Deployer:
    from node.anvil import DEV_PRIVATE_KEYS

    return Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[0])


def _engaged(oracle, pid: bytes, from_block: int) -> list:
    return oracle.events.ContainmentEngaged().get_logs(from_block=from_block,
                                                       argument_filters={"protocolId": pid})


async def _blocks(w3, count: int) -> int:
    """Until `count` more blocks are mined (anvil mines every second on its own)."""
    target = w3.eth.block_number + count
    with trio.fail_after(count * 3 + 10):
        while w3.eth.block_number < target:
            await trio.sleep(0.2)
    return w3.eth.block_number


def _warp(w3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])


async def _second_attack(w, since: int):
    usd = w.gov.contract("DemoToken", w.deployment["usd"])
    w.gov.transact("fresh attacker capital",
                   usd.functions.mint(w.attacker.address, ATTACKER_CAPITAL))
    result = await trio.to_thread.run_sync(
        lambda: run_attack(w.attacker, {**w.deployment, "deploy_block": since}, max_steps=10))
    return result, _engaged(w.oracle, w.pid, since)


@asynccontextmanager
async def _after_first_containment(tmp_path):
    """Anvil, 4 guardians (t = 3) and the demo pool, after the first attack was contained."""
    with Anvil(block_time=1, log_path=tmp_path / "anvil.log") as chain:
        dealing, gset, deployment, attacker = _setup(chain, 4, 3)
        gov = _governance(chain)
        w = SimpleNamespace(chain=chain, deployment=deployment, attacker=attacker, gov=gov,
                            oracle=gov.contract("GuardianOracle", deployment["oracle"]),
                            pool=gov.contract("DemoLendingPool", deployment["pool"]),
                            pid=bytes.fromhex(deployment["protocol_id"][2:]))
        async with guardian_network(dealing=dealing, gset=gset, backend=B, rpc_url=chain.rpc_url,
                                    ws_url=chain.ws_url, oracle=bytes.fromhex(
                                        deployment["oracle"][2:]), chain_id=31337,
                                    submitter_keys=_submitters(4), data_dir=tmp_path,
                                    pending=MINED_ONLY) as net:
            await _wait_mesh(net, 4)
            first = await trio.to_thread.run_sync(
                lambda: run_attack(attacker, deployment, max_steps=10))
            assert first.contained and w.oracle.functions.nonces(w.pid).call() == 1
            w.net = net
            yield w


async def test_after_a_lift_and_after_an_expiry_the_next_attacks_are_contained(tmp_path):
    async with _after_first_containment(tmp_path) as w:
        # 2nd incident: governance lifts early; no re-pause on the old drain; a new attack after
        # the cooldown is contained under nonce 1
        w.gov.transact("governance lifts early", w.oracle.functions.liftContainment(w.pid))
        lifted_at = w.gov.w3.eth.block_number
        assert not w.pool.functions.isPaused().call()
        chain_block = await _blocks(w.gov.w3, QUIET_BLOCKS)
        assert w.oracle.functions.nonces(w.pid).call() == 1, "guardians paused again on the old drain"
        assert not w.pool.functions.isPaused().call()
        assert _engaged(w.oracle, w.pid, lifted_at) == []
        # the guardians respect the release themselves: they do not even try (and pay)
        tried = authorize_transactions(w.gov.w3, w.deployment["oracle"], lifted_at, chain_block)
        assert tried["authorize_sent"] == 0, tried

        _warp(w.gov.w3, 700)  # past the 10-minute cooldown
        await _blocks(w.gov.w3, 2)
        second, engaged = await _second_attack(w, chain_block)
        assert second.contained, second.to_dict()
        assert [e["args"]["nonce"] for e in engaged] == [1]
        assert engaged[0]["args"]["evidenceFromBlock"] > lifted_at
        assert all(g.state.as_dict()["ready"] for g in w.net.guardians.values())

        # 3rd incident: that containment expires by itself (then its cooldown passes); nothing
        # new is contained on the old drains; a new attack is contained under nonce 2
        _warp(w.gov.w3, 3600 + 600 + 5)
        expired_at = await _blocks(w.gov.w3, QUIET_BLOCKS)
        assert not w.pool.functions.isPaused().call()
        assert w.oracle.functions.nonces(w.pid).call() == 2, "nothing new to contain yet"
        third, engaged = await _second_attack(w, expired_at)
        assert all(g.state.as_dict()["ready"] for g in w.net.guardians.values())
    assert third.contained, third.to_dict()
    assert [e["args"]["nonce"] for e in engaged] == [2]
