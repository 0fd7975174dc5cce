"""`guardian cover ...` against anvil: the protocol's admin creates a pool (a stranger is refused
with the decoded error), an underwriter funds it and sees it with `show`, a withdrawal and a
claim are proposed as calldata and a Safe batch, a claim with no confirmation is refused by name,
and malformed arguments are typed errors."""

from __future__ import annotations

import json

import pytest

from node.anvil import DEV_PRIVATE_KEYS, Anvil
from node.cli import main
from node.deploy import Deployer
from node.devnet.contracts import deploy_all
from node.devnet.inprocess import deal
from protocol.bls import get_backend

pytestmark = [pytest.mark.chain, pytest.mark.timeout(120)]

B = get_backend()


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cover-cli")
    with Anvil(log_path=tmp / "anvil.log") as anvil:
        _, gset = deal(3, 2, B, seed=1)
        gov = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[0])
        deployment = deploy_all(gov, gset, B).to_dict()
        factory = gov.deploy("CoverPoolFactory", deployment["oracle"])
        keys = {}
        for i in (0, 1, 2):
            path = tmp / f"key{i}"
            path.write_text(DEV_PRIVATE_KEYS[i][2:] + "\n")
            path.chmod(0o600)
            keys[i] = str(path)
        usd = gov.contract("DemoToken", deployment["usd"])
        underwriter = Deployer.connect(anvil.rpc_url, DEV_PRIVATE_KEYS[1])
        gov.transact("mint", usd.functions.mint(underwriter.address, 1_000 * 10**18))
        yield {"rpc": anvil.rpc_url, "gov": gov, "deployment": deployment, "keys": keys,
               "factory": factory.address, "underwriter": underwriter.address, "tmp": tmp}


def cli(capsys, *args: str, code: int = 0) -> str:
    capsys.readouterr()
    assert main(["cover", *args]) == code
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return out.out if code == 0 else out.err


def _create(c, capsys, key: int, code: int = 0) -> str:
    d = c["deployment"]
    return cli(capsys, "create", "--rpc", c["rpc"], "--factory", c["factory"], "--asset", d["usd"],
               "--protocol-id", d["protocol_id"], "--claims-token", d["pool"],
               "--max-payout", "500", "--deductible", "1.5", "--symbol", "USDd",
               "--key-file", c["keys"][key], code=code)


def test_create_fund_show_and_propose(chain, capsys, tmp_path):
    c = chain
    refused = _create(c, capsys, key=2, code=2)
    assert "CoverNotProtocolAdmin" in refused
    assert "createPool" in _create(c, capsys, key=0)
    factory = c["gov"].contract("CoverPoolFactory", c["factory"])
    pool = factory.events.CoverPoolCreated().get_logs(from_block=0)[0]["args"]["pool"]
    out = cli(capsys, "fund", "--rpc", c["rpc"], "--pool", pool, "--amount", "250.5",
              "--key-file", c["keys"][1])
    assert "approve" in out and "deposit" in out
    shown = json.loads(cli(capsys, "show", "--rpc", c["rpc"], "--pool", pool, "--nonce", "0"))
    assert shown["total_assets"] == "250.5" and shown["deductible"] == "1.5"
    assert shown["incident_window"]["open"] is False and shown["incident_0"] == {"confirmed": False}
    batch = tmp_path / "withdraw.json"
    out = cli(capsys, "withdraw", "--rpc", c["rpc"], "--pool", pool, "--from", c["underwriter"],
              "--print-call", "--safe-json", str(batch))
    assert "redeem(" in out and "simulated from" in out and "data:  0x" in out
    doc = json.loads(batch.read_text())
    assert len(doc["transactions"]) == 1 and doc["transactions"][0]["to"] == pool
    claim = cli(capsys, "claim", "--rpc", c["rpc"], "--pool", pool, "--nonce", "0",
                "--account", c["underwriter"], "--proof", "5:0x" + "11" * 32,
                "--key-file", c["keys"][2], code=2)
    assert "CoverNotConfirmed" in claim


@pytest.mark.parametrize("args, why", [
    (["fund", "--pool", "0x12", "--amount", "1", "--print-call", "--from", "0x" + "11" * 20],
     "--pool"),
    (["create", "--factory", "0x" + "11" * 20, "--asset", "0x" + "11" * 20, "--protocol-id",
      "0x12", "--claims-token", "0x" + "11" * 20, "--max-payout", "1", "--deductible", "0",
      "--print-call"], "--protocol-id"),
    (["withdraw", "--pool", "0x" + "11" * 20], "--key-file"),
])
def test_malformed_arguments_are_typed_errors(chain, capsys, args, why):
    err = cli(capsys, args[0], "--rpc", chain["rpc"], *args[1:], code=2)
    assert why in err
