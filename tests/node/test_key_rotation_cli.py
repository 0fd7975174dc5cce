"""`guardian key-rotation ...` against a real oracle on anvil, as the oracle's governance uses it:
queue the group key of a new guardian-set file (a stranger is refused with the decoded error),
see it in status, be refused before the delay with the named error, execute after the delay
(anvil's clock moved forward) and find the oracle on the new epoch with the file's key; bad files
are refused with one clear line; the printed call and the Safe batch carry exactly the calldata
the key file sends. A DKG set rotated in signs containments the oracle accepts; a node on the old
set is refused at start and a running one reports the move."""

from __future__ import annotations

import json

import pytest
from eth_account import Account

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.cli import main
from node.deploy import Deployer
from node.governance.safe import checksum
from protocol import threshold
from protocol.bls import get_backend
from protocol.digest import protocol_id
from protocol.guardian_set import GuardianSet

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]

B = get_backend()
DELAY = 86400


def _set_file(tmp_path, name: str, *, epoch: int, n: int, t: int):
    dealing = threshold.deal(n, t, backend=B)
    gset = GuardianSet(epoch, t, dealing.group_public_key,
                       tuple(B.sk_to_pk(s) for s in dealing.shares))
    path = tmp_path / name
    path.write_text(gset.to_json())
    return gset, path


class Chain:
    """anvil with a GuardianOracle (epoch 1, 2-of-3) governed by account 0; account 2 is a
    stranger."""

    def __init__(self, anvil: Anvil, tmp_path):
        self.rpc = anvil.rpc_url
        self.gov = Deployer.connect(self.rpc, DEV_PRIVATE_KEYS[0])
        self.w3 = self.gov.w3
        first = threshold.deal(3, 2, backend=B)
        self.oracle = self.gov.deploy("GuardianOracle", self.gov.address,
                                      B.g1_to_eip2537(first.group_public_key), 2, 3, DELAY,
                                      10**18)
        self.keys = {}
        for i in (0, 2):
            path = tmp_path / f"key{i}"
            path.write_text(DEV_PRIVATE_KEYS[i][2:] + "\n")
            path.chmod(0o600)
            self.keys[i] = str(path)
        self.stranger = Account.from_key(DEV_PRIVATE_KEYS[2]).address

    def cli(self, capsys, *args: str, code: int = 0) -> str:
        capsys.readouterr()
        assert main(["key-rotation", args[0], "--rpc", self.rpc, "--oracle",
                     self.oracle.address, *args[1:]]) == code
        out = capsys.readouterr()
        assert "Traceback" not in out.err
        return out.out if code == 0 else out.err

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])


def _data(printed: str) -> bytes:
    line = next(x for x in printed.splitlines() if x.startswith("data:"))
    return bytes.fromhex(line.split()[1][2:])


def _tx_input(w3, printed: str) -> bytes:
    line = next(x for x in printed.splitlines() if x.startswith("transaction 0x"))
    return bytes(w3.eth.get_transaction(line.split()[1])["input"])


def test_queue_status_execute_after_delay(tmp_path, capsys):
    with Anvil(log_path=tmp_path / "anvil.log") as anvil:
        c = Chain(anvil, tmp_path)
        gset, path = _set_file(tmp_path, "set2.json", epoch=2, n=5, t=3)
        fns = c.oracle.functions
        status = c.cli(capsys, "status")
        assert "current key        epoch 1, t=2 of n=3" in status
        assert "queued rotation    none" in status
        # nothing queued yet: execute is refused by name
        err = c.cli(capsys, "execute", "--key-file", c.keys[0], code=2)
        assert "would revert: GuardianOracleRotationNotQueued()" in err, err
        # a stranger may not queue
        err = c.cli(capsys, "queue", "--guardian-set", str(path), "--key-file", c.keys[2],
                    code=2)
        assert f"GuardianOracleUnauthorized(caller={c.stranger})" in err, err
        assert "oracle's governance" in err
        # the proposal (print-call + Safe batch) carries the calldata the key file then sends
        safe_file = tmp_path / "queue.json"
        printed = c.cli(capsys, "queue", "--guardian-set", str(path), "--print-call",
                        "--safe-json", str(safe_file), "--from", c.gov.address)
        assert f"simulated from {c.gov.address}: succeeds" in printed
        batch = json.loads(safe_file.read_text())
        assert batch["meta"]["checksum"] == checksum(batch)
        assert batch["chainId"] == str(c.w3.eth.chain_id)
        (tx,) = batch["transactions"]
        assert tx["to"] == c.oracle.address and tx["value"] == "0"
        assert tx["contractMethod"]["name"] == "queueKeyRotation"
        assert tx["contractInputsValues"]["threshold_"] == "3"
        assert bytes.fromhex(tx["data"][2:]) == _data(printed)
        assert fns.pendingKeyRotation().call()[4] == 0  # proposing sends nothing
        sent = c.cli(capsys, "queue", "--guardian-set", str(path), "--key-file", c.keys[0])
        assert _tx_input(c.w3, sent) == _data(printed)
        assert "queued epoch 2 (t=3 of n=5); executable in 1 d" in sent
        epoch, key, t, n, eta = fns.pendingKeyRotation().call()
        assert (epoch, key, t, n) == (2, B.g1_to_eip2537(gset.group_public_key), 3, 5)
        # status, text and JSON
        status = c.cli(capsys, "status")
        assert "queued rotation    epoch 2, t=3 of n=5" in status
        assert "(in 1 d)" in status or "(in 23 h 59 min)" in status, status
        assert "state            waiting" in status
        doc = json.loads(c.cli(capsys, "status", "--json"))
        assert doc["current"]["epoch"] == 1 and doc["rotation_delay"] == DELAY
        assert doc["pending"]["executable_at"] == eta
        assert doc["pending"]["expires_at"] == eta + fns.KEY_ROTATION_EXPIRY().call()
        assert doc["pending"]["state"] == "waiting"
        assert doc["pending"]["group_public_key"] == "0x" + key.hex()
        assert "set2.json (epoch 2) is the queued rotation" in c.cli(capsys, "status",
                                                               "--guardian-set", str(path))
        _, other = _set_file(tmp_path, "other.json", epoch=2, n=5, t=3)
        assert "is neither the current nor the queued key" in c.cli(
            capsys, "status", "--guardian-set", str(other))
        # a second queue while one is pending is refused by name
        err = c.cli(capsys, "queue", "--guardian-set", str(path), "--key-file", c.keys[0],
                    code=2)
        assert "GuardianOracleRotationAlreadyQueued()" in err, err
        # before the delay: refused with the named error and its executable time
        err = c.cli(capsys, "execute", "--key-file", c.keys[0], code=2)
        assert f"would revert: GuardianOracleRotationNotReady(executableAt={eta})" in err, err
        assert "hint: the rotation delay has not passed" in err
        assert fns.keyEpoch().call() == 1
        c.advance(DELAY + 1)
        assert json.loads(c.cli(capsys, "status", "--json"))["pending"]["state"] == "ready"
        printed = c.cli(capsys, "execute", "--print-call", "--from", c.gov.address)
        assert "simulated from" in printed
        done = c.cli(capsys, "execute", "--key-file", c.keys[0])
        assert _tx_input(c.w3, done) == _data(printed)
        assert "oracle key epoch is now 2 (t=3 of n=5)" in done
        assert fns.keyEpoch().call() == 2
        assert fns.groupPublicKey().call() == B.g1_to_eip2537(gset.group_public_key)
        assert (fns.threshold().call(), fns.guardianCount().call()) == (3, 5)
        status = c.cli(capsys, "status", "--guardian-set", str(path))
        assert "current key        epoch 2, t=3 of n=5" in status
        assert "queued rotation    none" in status
        assert "set2.json (epoch 2) is the current key" in status


def test_cancel_and_lapse(tmp_path, capsys):
    with Anvil(log_path=tmp_path / "anvil.log") as anvil:
        c = Chain(anvil, tmp_path)
        fns = c.oracle.functions
        _, path = _set_file(tmp_path, "set2.json", epoch=2, n=3, t=2)
        send = ("--key-file", c.keys[0])
        err = c.cli(capsys, "cancel", *send, code=2)
        assert "GuardianOracleRotationNotQueued()" in err
        c.cli(capsys, "queue", "--guardian-set", str(path), *send)
        printed = c.cli(capsys, "cancel", "--print-call")
        assert "not simulated" in printed
        done = c.cli(capsys, "cancel", *send)
        assert _tx_input(c.w3, done) == _data(printed)
        assert fns.pendingKeyRotation().call()[4] == 0
        # queued again, then left past its expiry: it lapses and cannot be executed
        c.cli(capsys, "queue", "--guardian-set", str(path), *send)
        eta = fns.pendingKeyRotation().call()[4]
        expiry = fns.KEY_ROTATION_EXPIRY().call()
        c.advance(DELAY + expiry + 10)
        status = c.cli(capsys, "status")
        assert "state            lapsed" in status and "queue it again" in status
        err = c.cli(capsys, "execute", *send, code=2)
        assert f"GuardianOracleRotationExpired(expiredAt={eta + expiry})" in err, err
        # a lapsed rotation does not block a new one
        c.cli(capsys, "queue", "--guardian-set", str(path), *send)
        assert json.loads(c.cli(capsys, "status", "--json"))["pending"]["state"] == "waiting"
        assert fns.keyEpoch().call() == 1


def test_bad_files_and_arguments(tmp_path, capsys):
    with Anvil(log_path=tmp_path / "anvil.log") as anvil:
        c = Chain(anvil, tmp_path)
        send = ("--key-file", c.keys[0])
        err = c.cli(capsys, "queue", "--guardian-set", str(tmp_path / "missing.json"), *send,
                    code=2)
        assert "--guardian-set: no such file" in err
        garbage = tmp_path / "garbage.json"
        garbage.write_text("{not json")
        err = c.cli(capsys, "queue", "--guardian-set", str(garbage), *send, code=2)
        assert "not a valid guardian set" in err, err
        gset, _ = _set_file(tmp_path, "ok.json", epoch=2, n=3, t=2)
        tampered = tmp_path / "tampered.json"
        bad = GuardianSet(2, 2, gset.public_shares[0], gset.public_shares)
        tampered.write_text(bad.to_json())
        err = c.cli(capsys, "queue", "--guardian-set", str(tampered), *send, code=2)
        assert "not consistent with the group key" in err, err
        _, wrong_epoch = _set_file(tmp_path, "epoch5.json", epoch=5, n=3, t=2)
        err = c.cli(capsys, "queue", "--guardian-set", str(wrong_epoch), *send, code=2)
        assert "is for key epoch 5, but the oracle is at epoch 1" in err, err
        # t must be a strict majority: the oracle's rule, decoded by name
        _, minority = _set_file(tmp_path, "minority.json", epoch=2, n=4, t=2)
        err = c.cli(capsys, "queue", "--guardian-set", str(minority), *send, code=2)
        assert "GuardianOracleInvalidThreshold(threshold=2, guardianCount=4)" in err, err
        _, ok = _set_file(tmp_path, "ok2.json", epoch=2, n=3, t=2)
        err = c.cli(capsys, "queue", "--guardian-set", str(ok), code=2)
        assert "give --key-file to send the transaction, or --print-call" in err
        assert c.oracle.functions.pendingKeyRotation().call()[4] == 0


def _dkg_set(tmp_path, *, epoch: int, n: int, t: int):
    """A guardian-set file as `guardian dkg run` writes it (peer ids included), from an
    in-process Joint-Feldman ceremony; returns the set, its path and the participants' shares."""
    import random

    from protocol.dkg import DkgSession, Phase
    from protocol.dkg_ceremony import Ceremony, Participant
    from protocol.dkg_keys import ParticipantKeys

    rng = random.Random(epoch)
    keys = [ParticipantKeys.generate(rng) for _ in range(n)]
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    ceremony = Ceremony("rotation test", epoch, t, tuple(
        Participant(i, "12D3KooW" + "".join(alphabet[(i * 7 + k) % 58] for k in range(44)),
                    k.encryption_key, k.signing_key) for i, k in enumerate(keys, 1)))
    sessions = [DkgSession(ceremony, k, B, rng=rng) for k in keys]
    for phase in Phase:
        for sender in sessions:
            for data in sender.outgoing(phase):
                for receiver in sessions:
                    if receiver is not sender:
                        receiver.receive(data)
    results = [s.finish() for s in sessions]
    gset = results[0].guardian_set()
    assert all(r.guardian_set() == gset for r in results)
    path = tmp_path / f"guardian-set-{epoch}.json"
    path.write_text(gset.to_json())
    return gset, path, {r.my_index: r.my_share for r in results}


def _node_sees_the_rotation(c: Chain, old, new_set: GuardianSet) -> None:
    """A node on the old set: refused at start ("outdated set file"), and a running one's
    EpochWatch reports the move; a node on the new set starts."""
    from types import SimpleNamespace

    import trio

    from node.chain.oracle import OracleClient
    from node.chain.rpc import ChainRpc
    from node.epoch_watch import EpochWatch
    from node.startup import StartupError, check_chain

    old_set = GuardianSet(1, 2, old.group_public_key, tuple(B.sk_to_pk(s) for s in old.shares))
    address = bytes.fromhex(c.oracle.address[2:])
    cfg = SimpleNamespace(chain=SimpleNamespace(chain_id=c.w3.eth.chain_id, oracle=address,
                                                rpc_http=c.rpc))
    rpc = ChainRpc(c.rpc)
    oracle = OracleClient(rpc, address)
    with pytest.raises(StartupError, match="outdated set file"):
        trio.run(check_chain, cfg, rpc, oracle, old_set, B)
    trio.run(check_chain, cfg, rpc, oracle, new_set, B)
    watch = EpochWatch(oracle=oracle, key_epoch=1)
    trio.run(watch.check)
    assert watch.status() == {"key_epoch": 1, "oracle_key_epoch": 2, "rotation_needed": True}


@pytest.mark.timeout(180)
def test_dkg_set_rotated_in_signs_containments(tmp_path, capsys):
    """The oracle, rotated to a DKG key, accepts the new set's threshold signature and refuses
    one by the old set's shares."""
    from node.chain.revert import revert_of

    from .oz_targets import deploy

    with Anvil(log_path=tmp_path / "anvil.log") as anvil:
        c = Chain(anvil, tmp_path)
        old = threshold.deal(3, 2, backend=B)
        c.oracle = c.gov.deploy("GuardianOracle", c.gov.address,
                                B.g1_to_eip2537(old.group_public_key), 2, 3, DELAY, 10**18)
        gset, path, shares = _dkg_set(tmp_path, epoch=2, n=4, t=3)
        send = ("--key-file", c.keys[0])
        c.cli(capsys, "queue", "--guardian-set", str(path), *send)
        c.advance(DELAY + 1)
        c.cli(capsys, "execute", *send)
        fns = c.oracle.functions
        assert fns.keyEpoch().call() == 2
        assert fns.groupPublicKey().call() == B.g1_to_eip2537(gset.group_public_key)
        _node_sees_the_rotation(c, old, gset)
        # a protocol (governed by account 0 here) the guardians can pause
        target = deploy(c.gov, "OZOwnablePausable", c.gov.address)
        c.gov.transact("setPauser", target.functions.setPauser(c.oracle.address))
        assert main(["protocol", "register", "--rpc", c.rpc, "--oracle", c.oracle.address,
                     "--target", target.address, "--admin", c.gov.address, "--hook", "selector",
                     "--selector", "0x8456cb59", "--monitored", target.address,
                     "--key-file", c.keys[0]]) == 0
        pid = protocol_id(bytes.fromhex(target.address[2:]))
        deadline = c.w3.eth.get_block("latest")["timestamp"] + 600
        args = (1, fns.nonces(pid).call(), deadline, c.w3.eth.block_number, b"\x11" * 32)
        digest = fns.authorizationDigest(pid, *args).call()

        def signed(by: dict[int, int]) -> bytes:
            partials = {i: threshold.partial_sign(s, digest, B) for i, s in by.items()}
            return B.g2_to_eip2537(threshold.combine(partials, B))

        stale = signed({1: old.shares[0], 2: old.shares[1]})
        with pytest.raises(Exception) as refused:  # noqa: PT011 - decoded just below
            fns.authorize(target.address, *args, stale).call({"from": c.gov.address})
        assert revert_of(refused.value).name == "GuardianOracleInvalidSignature"
        fresh = signed({i: shares[i] for i in (1, 3, 4)})
        c.gov.transact("authorize", fns.authorize(target.address, *args, fresh), gas=600_000)
        assert target.functions.paused().call()
