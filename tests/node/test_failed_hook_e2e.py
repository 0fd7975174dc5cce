"""A failed hook is not a containment (issue 12), on a real chain with guardians in-process.

The demo pool is registered with PAUSE and COLLATERAL_LOCK through the Guardable hook (the
registration proves both). Its governance then breaks the PAUSE hook (here: the pool's code becomes
`FlakyPausePool`, whose pause reverts once governance says so, as an upgrade or a role change
would). The attack starts: the guardians authorize a PAUSE, the hook fails, the oracle records it
(failedHookAction, nonce used up, no cooldown), every node shows the protocol under
`failed_containments` with the decoded reason and logs an error, detection goes on, and the
COLLATERAL_LOCK is authorized under the next nonce and contains the attack.

Then a stock OpenZeppelin vault (selector hook, PAUSE only) whose governance revokes the oracle's
PAUSER_ROLE after registering: the failure shows AccessControlUnauthorizedAccount(oracle, role),
and with no other action allowed the guardians do not resend the refused pause.
"""

from __future__ import annotations

import logging

import pytest
import trio

from node.anvil import Anvil
from node.devnet.attack import run_attack
from node.devnet.authorizations import authorize_transactions
from node.devnet.contracts import MAX_BORROW_PER_TX, register_paying_bond
from node.devnet.inprocess import guardian_network
from node.registration import build_registration
from protocol.bls import get_backend
from protocol.digest import protocol_id

from .oz_targets import deploy
from .test_guardians_e2e import _setup, _submitters, _wait_mesh
from .test_lifecycle_e2e import _engaged, _governance

pytestmark = [pytest.mark.chain, pytest.mark.slow, pytest.mark.timeout(180)]

B = get_backend()
FLAKY = "test/targets/FlakyPausePool.sol"
PAUSE, LOCK = 1, 3
QUIET_BLOCKS = 6  # blocks watched after a failure for a (wrong) retry of the refused action
PAUSE_BROKEN = "9a27fa6d"  # FlakyPausePool.PauseHookBroken(), not in the node's ABIs


def _break_pause(gov, deployment: dict):
    """Give the registered pool the code of FlakyPausePool (same constructor arguments, so the
    same immutables; same storage plus one flag) and let governance break its PAUSE hook."""
    flaky = deploy(gov, "FlakyPausePool", deployment["weth"], deployment["usd"], deployment["amm"],
                   MAX_BORROW_PER_TX, deployment["oracle"], gov.address, root=FLAKY)
    code = gov.w3.eth.get_code(flaky.address)
    gov.w3.provider.make_request("anvil_setCode", [deployment["pool"], "0x" + bytes(code).hex()])
    pool = gov.w3.eth.contract(address=deployment["pool"], abi=flaky.abi)
    gov.transact("governance breaks the pause hook", pool.functions.breakPause())
    assert pool.functions.pauseBroken().call()
    return pool


async def _until(check, seconds: float = 30):
    with trio.fail_after(seconds):
        while not check():
            await trio.sleep(0.2)  # the watch loop updates status on each new head


async def test_a_failed_pause_hook_is_reported_and_the_lock_contains(tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="guardian.registry")
    with Anvil(block_time=1, log_path=tmp_path / "anvil.log") as chain:
        dealing, gset, deployment, attacker = _setup(chain, 4, 3)
        gov = _governance(chain)
        oracle = gov.contract("GuardianOracle", deployment["oracle"])
        pid = bytes.fromhex(deployment["protocol_id"][2:])
        key = "0x" + pid.hex()
        pool = _break_pause(gov, deployment)
        start = gov.w3.eth.block_number
        async with guardian_network(dealing=dealing, gset=gset, backend=B, rpc_url=chain.rpc_url,
                                    ws_url=chain.ws_url, oracle=bytes.fromhex(
                                        deployment["oracle"][2:]), chain_id=31337,
                                    submitter_keys=_submitters(4), data_dir=tmp_path) as net:
            await _wait_mesh(net, 4)
            result = await trio.to_thread.run_sync(
                lambda: run_attack(attacker, deployment, max_steps=12))
            engaged = _engaged(oracle, pid, start)
            await _until(lambda: all(key in g.state.as_dict()["failed_containments"]
                                     for g in net.guardians.values()))
            statuses = [g.state.as_dict() for g in net.guardians.values()]
            gauges = [g.metrics.failed_containments._value.get() for g in net.guardians.values()]
        by_nonce = {e["args"]["nonce"]: e["args"] for e in engaged}
        assert by_nonce[0]["action"] == PAUSE and not by_nonce[0]["hookSucceeded"], engaged
        assert by_nonce[1]["action"] == LOCK and by_nonce[1]["hookSucceeded"], engaged
        assert oracle.functions.failedHookAction(pid).call() == PAUSE
        assert oracle.functions.nonces(pid).call() == 2
        assert pool.functions.areWithdrawalsLocked().call()
        assert not pool.functions.isPaused().call()
    assert result.txs[-1].ok is False, result.to_dict()  # the attack was stopped by the lock
    assert result.pool_after > 0, result.to_dict()  # contained before the pool was drained
    for status in statuses:
        failure = status["failed_containments"][key]
        # the pool's own revert, replayed as authorize made it (selector of PauseHookBroken())
        assert failure["action"] == PAUSE and PAUSE_BROKEN in failure["reason"], failure
    assert gauges == [1.0] * len(statuses)  # guardian_failed_containments
    assert caplog.text.count("FAILED (action 1)") == len(statuses)  # one error per node


async def _blocks(w3, count: int) -> int:
    target = w3.eth.block_number + count
    with trio.fail_after(count * 3 + 10):
        while w3.eth.block_number < target:
            await trio.sleep(0.2)  # anvil mines every second on its own
    return w3.eth.block_number


def _oz_vault_losing_its_role(gov, oracle) -> tuple:
    """A stock OZ AccessControl vault registered through the selector hook (pause only; the
    registration proves the oracle holds PAUSER_ROLE), whose governance then revokes the role.
    Its rule: the invariant hasRole(PAUSER_ROLE, oracle), which the revocation breaks."""
    vault = deploy(gov, "OZAccessControlVault", gov.address)
    role = vault.functions.PAUSER_ROLE().call()
    gov.transact("grant PAUSER_ROLE", vault.functions.grantRole(role, oracle.address))
    has_role = vault.functions.hasRole(role, oracle.address)._encode_transaction_data()
    reg = build_registration(target=vault.address, admin=gov.address, actions="pause",
                             hook="selector", selector="0x8456cb59", monitored=[vault.address],
                             invariants=[f"{vault.address}:{has_role}"])
    register_paying_bond(gov, oracle, reg, "register the vault")
    gov.transact("revoke PAUSER_ROLE", vault.functions.revokeRole(role, oracle.address))
    return vault, protocol_id(bytes.fromhex(vault.address[2:]))


async def test_a_failed_selector_hook_with_no_other_action_is_reported_and_not_retried(
        tmp_path, caplog):
    caplog.set_level(logging.ERROR, logger="guardian.registry")
    with Anvil(block_time=1, log_path=tmp_path / "anvil.log") as chain:
        dealing, gset, deployment, _ = _setup(chain, 4, 3)
        gov = _governance(chain)
        oracle = gov.contract("GuardianOracle", deployment["oracle"])
        vault, pid = _oz_vault_losing_its_role(gov, oracle)
        key = "0x" + pid.hex()
        start = gov.w3.eth.block_number
        async with guardian_network(dealing=dealing, gset=gset, backend=B, rpc_url=chain.rpc_url,
                                    ws_url=chain.ws_url, oracle=bytes.fromhex(
                                        deployment["oracle"][2:]), chain_id=31337,
                                    submitter_keys=_submitters(4), data_dir=tmp_path) as net:
            await _wait_mesh(net, 4)
            await _until(lambda: all(key in g.state.as_dict()["failed_containments"]
                                     for g in net.guardians.values()), 60)
            failed_at = gov.w3.eth.block_number
            end = await _blocks(gov.w3, QUIET_BLOCKS)  # the nodes go on watching
            statuses = [g.state.as_dict() for g in net.guardians.values()]
        engaged = _engaged(oracle, pid, start)
        tried = authorize_transactions(gov.w3, deployment["oracle"], start, end)
        assert [(e["args"]["action"], e["args"]["hookSucceeded"]) for e in engaged] == \
            [(PAUSE, False)]
        assert oracle.functions.failedHookAction(pid).call() == PAUSE
        assert not vault.functions.paused().call()
    # pause was the only action: nothing else to try, and the refused pause is not resent
    assert tried == {"authorize_sent": 1, "authorize_reverted": 0,
                     "gas_of_reverted_authorize": 0}, tried
    for status in statuses:
        assert status["head"] >= failed_at and key not in status["contained_protocols"]
        assert status["failed_containments"][key]["action"] == PAUSE
        reason = status["failed_containments"][key]["reason"]
        assert reason.startswith("AccessControlUnauthorizedAccount(") and \
            deployment["oracle"][2:].lower() in reason.lower(), reason
    assert caplog.text.count("FAILED (action 1)") == len(statuses)  # one error per node
