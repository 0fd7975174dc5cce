"""The `guardian` CLI: help everywhere, and one clear line (exit 2, no traceback) for a bad
config, a missing key file, a wrong passphrase, an unreachable RPC, an unreachable node."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from node.cli import build_parser, main
from node.config import render_config
from node.p2p.identity import load_identity, peer_id_of
from protocol.bls import get_backend

from .test_config import GOOD


def run_cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node.cli", *args], capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.mark.parametrize("command", [
    [], ["keys"], ["keys", "deal"], ["keys", "identity"], ["keys", "submitter"], ["run"],
    ["status"], ["protocol"], ["protocol", "register"], ["protocol", "show"],
    ["protocol", "update"], ["protocol", "lift"], ["protocol", "extend"],
    ["protocol", "deregister"], ["protocol", "transfer-admin"], ["protocol", "accept-admin"],
    ["devnet"], ["devnet", "deploy"], ["devnet", "attack"],
])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args([*command, "--help"])
    assert exit_.value.code == 0
    assert "usage: guardian" in capsys.readouterr().out


def test_version():
    out = run_cli("version")
    assert out.returncode == 0 and out.stdout.startswith("guardian ")


def _error(capsys, *args) -> str:
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]  # (retry warnings may be logged before it)
    assert last.startswith(f"guardian {args[0]}: error: ") and "Traceback" not in err
    return last


def test_bad_config(tmp_path, capsys):
    path = tmp_path / "node.toml"
    path.write_text(render_config(**GOOD).replace("chain_id = 31337", "chain_id = -5"))
    err = _error(capsys, "run", "--config", str(path))
    assert "bad config" in err and "[chain] chain_id: must be between 1 and" in err


@pytest.fixture
def dealt(tmp_path):
    (tmp_path / "passphrase").write_text("correct horse battery\n")
    assert main(["keys", "deal", "--guardians", "3", "--threshold", "2", "--out-dir",
                 str(tmp_path), "--passphrase-file", str(tmp_path / "passphrase"),
                 "--kdf-n", "1024"]) == 0
    gdir = tmp_path / "guardian-1"
    assert main(["keys", "submitter", "--out", str(gdir / "submitter.key")]) == 0
    (gdir / "node.toml").write_text(render_config(**{**GOOD, "share_keystore": "share.keystore.json"}))
    return tmp_path


def test_deal_writes_owner_only_keystores(dealt):
    doc = json.loads((dealt / "guardian-set.json").read_text())
    assert doc["threshold"] == 2 and len(doc["public_shares"]) == 3
    for i in (1, 2, 3):
        assert (dealt / f"guardian-{i}" / "share.keystore.json").stat().st_mode & 0o777 == 0o600
    assert (dealt / "guardian-1" / "p2p.key").stat().st_mode & 0o777 == 0o600
    # each guardian's libp2p peer id is named in the public set file, next to its share
    assert doc["peer_ids"] == [peer_id_of(load_identity(dealt / f"guardian-{i}" / "p2p.key"))
                               for i in (1, 2, 3)]


def test_deal_with_the_operators_own_peer_ids(tmp_path, capsys):
    (tmp_path / "passphrase").write_text("correct horse battery\n")
    ids = []
    for i in (1, 2):
        assert main(["keys", "identity", "--out", str(tmp_path / f"id{i}.key")]) == 0
        ids.append(peer_id_of(load_identity(tmp_path / f"id{i}.key")))
    deal = ["keys", "deal", "--guardians", "2", "--threshold", "2", "--out-dir",
            str(tmp_path / "set"), "--passphrase-file", str(tmp_path / "passphrase"),
            "--kdf-n", "1024"]
    assert main([*deal, "--peer-ids", ",".join(ids)]) == 0
    doc = json.loads((tmp_path / "set" / "guardian-set.json").read_text())
    assert doc["peer_ids"] == ids and not (tmp_path / "set" / "guardian-1" / "p2p.key").exists()
    assert "names 1 peers for --guardians 2" in _error(capsys, *deal, "--force",
                                                       "--peer-ids", ids[0])
    assert "not a libp2p peer id" in _error(capsys, *deal, "--force",
                                            "--peer-ids", f"{ids[0]},QmNotAPeer0")


def test_refuses_to_overwrite_keys(dealt, capsys):
    err = _error(capsys, "keys", "submitter", "--out", str(dealt / "guardian-1" / "submitter.key"))
    assert "refusing to overwrite" in err


def test_missing_key_file(dealt, capsys):
    (dealt / "guardian-1" / "p2p.key").unlink()
    err = _error(capsys, "run", "--config", str(dealt / "guardian-1" / "node.toml"))
    assert "cannot start" in err and "p2p identity file not found" in err


def test_wrong_passphrase(dealt, capsys):
    (dealt / "passphrase").write_text("not the passphrase\n")
    err = _error(capsys, "run", "--config", str(dealt / "guardian-1" / "node.toml"))
    assert "wrong passphrase for the share keystore" in err


def test_unreachable_rpc(dealt, capsys):
    config = dealt / "guardian-1" / "node.toml"
    config.write_text(config.read_text().replace("http://127.0.0.1:8545", "http://127.0.0.1:9"))
    err = _error(capsys, "run", "--config", str(config))
    assert "cannot reach the chain RPC at http://127.0.0.1:9" in err


def test_status_of_no_node(capsys):
    err = _error(capsys, "status", "--url", "http://127.0.0.1:9")
    assert "no guardian node answers at http://127.0.0.1:9/status" in err


def test_bad_registration_arguments(tmp_path, capsys):
    (tmp_path / "key").write_text("11" * 32)
    (tmp_path / "key").chmod(0o600)
    err = _error(capsys, "protocol", "register", "--rpc", "http://127.0.0.1:9", "--oracle",
                 "0x" + "11" * 20, "--target", "0x1234", "--admin", "0x" + "22" * 20,
                 "--key-file", str(tmp_path / "key"))
    assert "--target: expected a 0x-prefixed 20-byte address" in err
    err = _error(capsys, "protocol", "register", "--rpc", "http://127.0.0.1:9", "--oracle",
                 "0x" + "11" * 20, "--target", "0x" + "33" * 20, "--admin", "0x" + "22" * 20,
                 "--actions", "freeze", "--key-file", str(tmp_path / "key"))
    assert "unknown action 'freeze'" in err


def test_keystore_pubkey_is_not_the_secret(dealt):
    ks = json.loads((dealt / "guardian-1" / "share.keystore.json").read_text())
    assert get_backend().g1_is_valid(bytes.fromhex(ks["pubkey"]))


REG = ["protocol", "register", "--rpc", "http://127.0.0.1:9", "--oracle", "0x" + "11" * 20,
       "--target", "0x" + "33" * 20, "--admin", "0x" + "22" * 20]
RULE = ["--invariant", "0x" + "33" * 20 + ":0x5ce23950"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--selector", "0x8456cb59", *RULE], "--selector is only for --hook selector"),
    (["--hook", "selector", "--selector", "8456cb59", *RULE], "expected 0x and 8 hex digits"),
    (["--hook", "selector", "--selector", "0x8456cb5", *RULE], "expected 0x and 8 hex digits"),
    (["--hook", "selector", "--selector", "0x8456cbzz", *RULE], "expected 0x and 8 hex digits"),
    (["--hook", "selector", "--selector", "0x00000000", *RULE], "the zero selector"),
    (["--hook", "selector", *RULE], "--selector is required with --hook selector"),
    ([], "no detection rule"),
    (["--balance-drop-bps", "1000"], "give at least one of each"),
    ([*RULE, "--print-call", "--key-file", "k"], "choose one"),
    ([*RULE], "give --key-file to send the transaction, or --print-call"),
    ([*RULE, "--key-file", "k", "--from", "0x" + "22" * 20], "--from is for --print-call"),
])
def test_registration_input_errors(extra, message, capsys):
    assert message in _error(capsys, *REG, *extra)


def test_governance_commands_unreachable_rpc_and_bad_key(tmp_path, capsys, anvil):
    err = _error(capsys, *REG, *RULE, "--print-call")
    assert "cannot reach the chain RPC at http://127.0.0.1:9" in err
    err = _error(capsys, "protocol", "show", "--rpc", "http://127.0.0.1:9", "--oracle",
                 "0x" + "11" * 20, "--target", "0x" + "33" * 20)
    assert "cannot reach the chain RPC" in err
    err = _error(capsys, "protocol", "lift", "--rpc", anvil.rpc_url, "--oracle",
                 "0x" + "11" * 20, "--protocol-id", "0x12", "--print-call")
    assert "--protocol-id: expected 0x + 64 hex digits" in err
    err = _error(capsys, "protocol", "lift", "--rpc", anvil.rpc_url, "--oracle",
                 "0x" + "11" * 20, "--target", "0x" + "33" * 20, "--print-call")
    assert "no contract at --oracle" in err
    from node.anvil import DEV_PRIVATE_KEYS
    from node.deploy import Deployer
    from protocol.bls import get_backend
    from protocol.threshold import deal
    b = get_backend()
    gov = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[0])
    oracle = gov.deploy("GuardianOracle", gov.address,
                        b.g1_to_eip2537(deal(3, 2, backend=b).group_public_key), 2, 3, 86400,
                        10**18)
    capsys.readouterr()  # (a logging handler left by an earlier test may complain here)
    lift = ["protocol", "lift", "--rpc", anvil.rpc_url, "--oracle", oracle.address,
            "--target", "0x" + "33" * 20]
    assert "submitter key file not found" in _error(capsys, *lift, "--key-file",
                                                    str(tmp_path / "nope"))
    (tmp_path / "wide").write_text("11" * 32)
    (tmp_path / "wide").chmod(0o644)
    assert "is readable by others" in _error(capsys, *lift, "--key-file", str(tmp_path / "wide"))
    (tmp_path / "junk").write_text("not a key")
    (tmp_path / "junk").chmod(0o600)
    assert "does not hold a hex private key" in _error(capsys, *lift, "--key-file",
                                                       str(tmp_path / "junk"))


def test_status_text_shows_a_failed_containment_as_failed():
    """Issue 21 item 10: the text status showed a failed authorize as "submitted ... in block N",
    like a success, and never listed failed containments (the JSON had them)."""
    from node.commands.status import render

    pid = "0x" + "ab" * 32
    text = render({"guardian": 1, "name": "g1", "ready": True, "head": 10, "protocols": 1,
                   "contained": [{"protocol": pid, "block": 9, "tx": "0x01"}],
                   "failed_containments": {pid: {"action": 1, "reason": "EnforcedPause()"}}})
    assert f"FAILED          {pid}: the containment hook failed (action 1): EnforcedPause()" in text
    assert f"submitted       {pid} in block 9 (tx 0x01): the hook FAILED, not contained" in text
    ok = render({"contained": [{"protocol": pid, "block": 9, "tx": "0x01"}]})
    assert "in block 9 (tx 0x01): contained" in ok and "FAILED" not in ok
    garbage = render({"failed_containments": {pid: "not a dict"}})  # a node's odd answer
    assert "FAILED" in garbage
