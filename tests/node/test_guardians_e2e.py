"""Issue 5 end to end, in process: five guardians (threshold 3) watch anvil, the demo exploit
starts, they report, share, combine, and exactly one of them submits; the oracle engages the
containment and the attack's next transaction fails. One guardian runs no detectors: it signs the
report another guardian gossips."""

from __future__ import annotations

import time

import pytest
import trio

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.deploy import Deployer
from node.devnet.attack import run_attack
from node.devnet.contracts import deploy_all
from node.devnet.inprocess import deal, guardian_network
from protocol import gossip_rules
from protocol.bls import get_backend

pytestmark = [pytest.mark.chain, pytest.mark.slow, pytest.mark.timeout(240)]

B = get_backend()
ATTACKER_KEY = DEV_PRIVATE_KEYS[9]


def _setup(chain: Anvil, n: int, t: int):
    dealing, gset = deal(n, t, B, seed=n * 100 + t)
    deployer = Deployer.connect(chain.rpc_url, DEV_PRIVATE_KEYS[0])
    attacker = Deployer.connect(chain.rpc_url, ATTACKER_KEY)
    deployment = deploy_all(deployer, gset, B, attacker=attacker.address).to_dict()
    return dealing, gset, deployment, attacker


async def _wait_mesh(net, count):
    with trio.fail_after(30):
        for g in net.guardians.values():
            await g.p2p.wait_for_peers(min(count, 1), mesh=True)
        while any(len(g.state.live_guardians()) < count - 1 for g in net.guardians.values()):
            await trio.sleep(0.1)  # heartbeats arrive on their own period


def _submitters(n):
    return {i: bytes.fromhex(DEV_PRIVATE_KEYS[i][2:]) for i in range(1, n + 1)}


async def _misbehave(net, index: int) -> None:
    """Guardian `index` sends garbage and a share whose partial is not its own."""
    from protocol import messages, threshold

    bad = net.guardians[index]
    await bad.p2p.publish(b"\x81\xa1v\x01 garbage that is no message")
    digest = b"\x13" * 32
    wrong = threshold.partial_sign(net.dealing.shares[0], digest, B)  # guardian 1's key
    share = messages.sign_message(messages.Share(b"\x01" * 32, digest, wrong, index, b""),
                                  net.dealing.shares[index - 1], B)
    await bad.p2p.publish(messages.encode(share))


def _byzantine(bad: int):
    """Guardian `bad` forwards whatever it publishes (its own checks would stop its forgeries
    before they left it)."""
    def wrap(index, validator):
        if index != bad:
            return validator
        return lambda peer, data: gossip_rules.Verdict.ACCEPT
    return wrap


async def test_five_guardians_contain_the_exploit(tmp_path, caplog):
    with Anvil(block_time=1, log_path=tmp_path / "anvil.log") as chain:
        dealing, gset, deployment, attacker = _setup(chain, 5, 3)
        oracle = bytes.fromhex(deployment["oracle"][2:])
        async with guardian_network(dealing=dealing, gset=gset, backend=B, rpc_url=chain.rpc_url,
                                    ws_url=chain.ws_url, oracle=oracle, chain_id=31337,
                                    submitter_keys=_submitters(5), data_dir=tmp_path,
                                    blind=frozenset({4}), validator_wrap=_byzantine(5)) as net:
            await _wait_mesh(net, 5)
            caplog.set_level("WARNING", logger="guardian.p2p")
            await _misbehave(net, 5)
            bad_peer = net.guardians[5].p2p.peer_id
            with trio.fail_after(10):
                while sum(g.p2p.ledger.totals.rejects for g in net.guardians.values()) < 2:
                    await trio.sleep(0.05)
            started = time.monotonic()
            result = await trio.to_thread.run_sync(
                lambda: run_attack(attacker, deployment, max_steps=10))
            elapsed = time.monotonic() - started
            contained = [c for g in net.guardians.values() for c in g.state.contained]
            detected = [g.state.incidents for i, g in net.guardians.items() if i != 4]
            blind_signed = net.guardians[4].store.counts()
    assert result.contained, result.to_dict()
    blocks = result.containment_block - result.first_attack_block
    print(f"\n5 guardians: first attack block {result.first_attack_block}, containment block "
          f"{result.containment_block} ({blocks} blocks, {elapsed:.1f}s of attack), gas "
          f"{result.containment_gas}, saved {result.saved_fraction:.0%}")
    assert result.containment_hook_ok
    assert not result.txs[-1].ok, "the attack transaction after containment must fail"
    assert result.saved_fraction >= 0.5
    assert len(contained) == 1, f"exactly one guardian submitted: {contained}"
    assert len(contained[0]["signers"]) >= 3
    assert all(d for d in detected), "every guardian with detectors saw the incident"
    published = [i for d in detected for i in d.values() if i.get("report_published")]
    assert 1 <= len(published) < 4, f"one proposer gossips the report, not everyone: {detected}"
    assert blind_signed["own_shares"] >= 1, f"guardian 4 signs the gossiped report: {blind_signed}"
    logged = caplog.text
    assert "claims guardian 5: partial of guardian 5 does not verify" in logged
    assert "malformed" in logged and bad_peer in logged


async def test_fewer_than_t_guardians_do_not_contain(tmp_path):
    with Anvil(block_time=1, log_path=tmp_path / "anvil.log") as chain:
        dealing, gset, deployment, attacker = _setup(chain, 4, 3)
        oracle = bytes.fromhex(deployment["oracle"][2:])
        async with guardian_network(dealing=dealing, gset=gset, backend=B, rpc_url=chain.rpc_url,
                                    ws_url=chain.ws_url, oracle=oracle, chain_id=31337,
                                    submitter_keys=_submitters(4), data_dir=tmp_path,
                                    indices=[1, 2]) as net:
            await _wait_mesh(net, 2)
            result = await trio.to_thread.run_sync(
                lambda: run_attack(attacker, deployment, max_steps=4))
            shares = {i: g.store.counts() for i, g in net.guardians.items()}
    assert not result.contained
    assert all(tx.ok for tx in result.txs)
    assert all(c["shares"] >= 2 for c in shares.values()), shares


async def test_outsiders_sending_malformed_frames_during_the_exploit_change_nothing(tmp_path):
    """The attack that drained the pool before the p2p guards: outsiders write the frame that made
    py-libp2p raise DecodeError (and other garbage) to every guardian while the exploit runs. The
    guardians admit them as observers (so the frames reach the pubsub handler), stay up, charge
    them, and contain the exploit."""
    from node.bench.outsider import DECODE_ERROR_FRAME, outsider

    with Anvil(block_time=1, log_path=tmp_path / "anvil.log") as chain:
        dealing, gset, deployment, attacker = _setup(chain, 5, 3)
        oracle = bytes.fromhex(deployment["oracle"][2:])
        async with guardian_network(dealing=dealing, gset=gset, backend=B, rpc_url=chain.rpc_url,
                                    ws_url=chain.ws_url, oracle=oracle, chain_id=31337,
                                    submitter_keys=_submitters(5), data_dir=tmp_path,
                                    outsiders="observe") as net:
            await _wait_mesh(net, 5)
            addrs = [g.p2p.listen_addrs()[0] for g in net.guardians.values()]
            async with outsider() as one, outsider() as two, outsider() as three:
                strangers = (one, two, three)
                for stranger in strangers:
                    for addr in addrs:
                        await stranger.connect(addr)
                done = trio.Event()

                async def harass(stranger):
                    while not done.is_set():
                        for addr in addrs:
                            await stranger.send_frames(addr, [DECODE_ERROR_FRAME, b"\xff" * 300])
                        await trio.sleep(0.2)  # a pace, not synchronisation

                async with trio.open_nursery() as nursery:
                    for stranger in strangers:
                        nursery.start_soon(harass, stranger)
                    result = await trio.to_thread.run_sync(
                        lambda: run_attack(attacker, deployment, max_steps=10))
                    done.set()
            faults = {i: g.p2p.ledger.totals.faults for i, g in net.guardians.items()}
            restarts = [g.p2p.stats["restarts"] for g in net.guardians.values()]
    assert result.contained, result.to_dict()
    assert result.saved_fraction >= 0.5
    assert all(f >= 1 for f in faults.values()), faults
    assert restarts == [0] * 5
