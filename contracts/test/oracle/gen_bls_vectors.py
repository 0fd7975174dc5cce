"""Print the Solidity constants of OracleBls.t.sol: real BLS authorizations for the oracle.

Run from the repository root: `.venv/bin/python contracts/test/oracle/gen_bls_vectors.py`.

The forge test deploys a GuardianOracle and a MinimalGuarded protocol as its first two
contracts, so their addresses are fixed (CREATE from forge's default test contract address with
nonces 1 and 2); the test asserts them, so a drift fails loudly instead of as a bad signature.
The group key here is a fixed test key (never used anywhere else). Encoding: EIP-2537, each Fp
element 64 bytes (16 zero bytes + 48 bytes big-endian); G1 = x || y; G2 = x.c0 || x.c1 || y.c0 || y.c1.
"""

from hashlib import sha256

from eth_abi import encode
from eth_hash.auto import keccak
from py_ecc.bls.hash_to_curve import hash_to_G2
from py_ecc.optimized_bls12_381 import G1, multiply, normalize

DST = b"GUARDIAN-NETWORK-V1-AUTHORIZATION_BLS12381G2_XMD:SHA-256_SSWU_RO_"
DOMAIN_TAG = keccak(b"GuardianNetwork.Authorization.v1")
FORGE_TEST_CONTRACT = bytes.fromhex("7FA9385bE102ac3EAc297483Dd6233D62b3e1496")
CHAIN_ID = 31337
SECRET_KEY = 0x2A_5EED_0F_7E57_0000_0000_0000_0000_0000_0000_0000_0000_0000_0000_0001
OTHER_KEY = 0x0BAD_5EED
EVIDENCE = keccak(b"evidence")
DEADLINE = 1_700_000_300  # the test warps to 1,700,000,000


def create_address(sender: bytes, nonce: int) -> bytes:
    assert 0 < nonce < 0x80
    return keccak(bytes([0xD6, 0x94]) + sender + bytes([nonce]))[12:]


def fp(x: int) -> bytes:
    return x.to_bytes(64, "big")


def g1_eip2537(point) -> bytes:
    x, y = normalize(point)
    return fp(int(x)) + fp(int(y))


def g2_eip2537(point) -> bytes:
    x, y = normalize(point)
    return fp(x.coeffs[0]) + fp(x.coeffs[1]) + fp(y.coeffs[0]) + fp(y.coeffs[1])


def digest(oracle: bytes, epoch: int, pid: bytes, action: int, nonce: int, deadline: int, ev: bytes) -> bytes:
    return keccak(
        encode(
            ["bytes32", "uint256", "address", "uint64", "bytes32", "uint8", "uint64", "uint64", "bytes32"],
            [DOMAIN_TAG, CHAIN_ID, oracle, epoch, pid, action, nonce, deadline, ev],
        )
    )


def sign(sk: int, msg: bytes) -> bytes:
    return g2_eip2537(multiply(hash_to_G2(msg, DST, sha256), sk))


def vectors() -> dict:
    oracle = create_address(FORGE_TEST_CONTRACT, 1)
    protocol = create_address(FORGE_TEST_CONTRACT, 2)
    pid = keccak(encode(["address"], [protocol]))
    out = {
        "ORACLE": "0x" + oracle.hex(),
        "PROTOCOL": "0x" + protocol.hex(),
        "PK": g1_eip2537(multiply(G1, SECRET_KEY)),
        "OTHER_PK": g1_eip2537(multiply(G1, OTHER_KEY)),
        "SIG_NONCE0": sign(SECRET_KEY, digest(oracle, 1, pid, 1, 0, DEADLINE, EVIDENCE)),
        "SIG_NONCE1": sign(SECRET_KEY, digest(oracle, 1, pid, 1, 1, DEADLINE + 7200, EVIDENCE)),
        "SIG_OTHER_KEY": sign(OTHER_KEY, digest(oracle, 1, pid, 1, 0, DEADLINE, EVIDENCE)),
        "SIG_EPOCH2_OTHER_KEY": sign(OTHER_KEY, digest(oracle, 2, pid, 1, 0, DEADLINE + 3 * 86400, EVIDENCE)),
    }
    return out


def main() -> None:
    for name, value in vectors().items():
        if isinstance(value, bytes):
            print(f'    bytes internal constant {name} =\n        hex"{value.hex()}";')
        else:
            print(f"    // {name} = {value}")


if __name__ == "__main__":
    main()
