"""The forge deploy script (contracts/script/Deploy.s.sol) deploys and registers the same system
the Python deployer does, against a real anvil."""

from __future__ import annotations

import os
import subprocess

import pytest
from web3 import Web3

from node.anvil import DEV_PRIVATE_KEYS
from node.artifacts import load_artifact
from node.toolchain import CONTRACTS_DIR, tool_path
from protocol import threshold
from protocol.bls import get_backend

pytestmark = [pytest.mark.chain, pytest.mark.timeout(180)]


def test_forge_script_deploys_and_registers(anvil, tmp_path):
    b = get_backend()
    dealing = threshold.deal(4, 3, backend=b)
    env = {**os.environ, "GROUP_PUBLIC_KEY": "0x" + b.g1_to_eip2537(dealing.group_public_key).hex(),
           "THRESHOLD": "3", "GUARDIANS": "4"}
    # forge's own build directory: `scripts/test` runs `forge test` first, so nothing is compiled
    # again here (a fresh output directory cost a full compile, over a minute on this machine)
    proc = subprocess.run(
        [str(tool_path("forge")), "script", "script/Deploy.s.sol", "--rpc-url", anvil.rpc_url,
         "--broadcast", "--private-key", DEV_PRIVATE_KEYS[0], "--slow"],
        cwd=CONTRACTS_DIR, env=env, capture_output=True, text=True, timeout=170)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
    oracle_address = w3.eth.get_transaction_receipt(
        w3.eth.get_block(1, full_transactions=True)["transactions"][0]["hash"])["contractAddress"]
    oracle = w3.eth.contract(address=oracle_address, abi=load_artifact("GuardianOracle")["abi"])
    assert oracle.functions.threshold().call() == 3
    assert oracle.functions.groupPublicKey().call() == b.g1_to_eip2537(dealing.group_public_key)
    (pid,) = oracle.functions.protocolIds(0, 10).call()
    assert oracle.functions.isRegistered(pid).call()
