"""Revert data decoded to the custom error's name and arguments (the oracle's ABI, OpenZeppelin's
usual hook errors, Error(string), Panic), never a raw selector when the error is known."""

from __future__ import annotations

from eth_abi import encode
from eth_hash.auto import keccak

from node.chain.revert import decode_revert, revert_of


def _err(signature: str, types, values) -> bytes:
    return keccak(signature.encode())[:4] + encode(types, values)


def test_oracle_errors_are_named_with_their_arguments():
    data = _err("GuardianOracleCooldownActive(bytes32,uint64)", ["bytes32", "uint64"],
                [b"\x01" * 32, 1_700_000_000])
    found = decode_revert(data)
    assert found.name == "GuardianOracleCooldownActive"
    assert found.args == {"protocolId": b"\x01" * 32, "availableAt": 1_700_000_000}
    assert str(found).startswith("GuardianOracleCooldownActive(protocolId=0x0101")
    assert decode_revert("0x" + data.hex()) == found


def test_openzeppelin_solidity_and_unknown_errors():
    role = _err("AccessControlUnauthorizedAccount(address,bytes32)", ["address", "bytes32"],
                ["0x" + "11" * 20, b"\x02" * 32])
    assert decode_revert(role).name == "AccessControlUnauthorizedAccount"
    assert decode_revert(_err("Error(string)", ["string"], ["no"])).args == {"message": "no"}
    panic = decode_revert(_err("Panic(uint256)", ["uint256"], [0x11]))
    assert panic.args["meaning"] == "arithmetic overflow"
    assert decode_revert(b"\xde\xad\xbe\xef").name == "UnknownError_0xdeadbeef"
    assert decode_revert(b"").name == "EmptyRevert"
    assert decode_revert("0xzz") is None and decode_revert(None) is None
    # a known selector with garbage arguments is still named
    assert decode_revert(keccak(b"EnforcedPause()")[:4] + b"\x01").name == "EnforcedPause"


def test_revert_inside_a_web3_exception():
    data = _err("GuardianOracleInvalidNonce(uint64,uint64)", ["uint64", "uint64"], [3, 2])

    class Logic(Exception):
        pass

    exc = Logic("execution reverted", "0x" + data.hex())
    assert str(revert_of(exc)) == "GuardianOracleInvalidNonce(expected=3, given=2)"
    exc.data = "0x" + data.hex()
    assert revert_of(exc).name == "GuardianOracleInvalidNonce"
    assert revert_of(Logic("no data")) is None
