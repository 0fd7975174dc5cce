// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title BLS
/// @notice BLS12-381 signature verification (min-pk: public keys in G1, signatures in G2) on the
/// EIP-2537 precompiles, with RFC 9380 hash-to-G2 (suite BLS12381G2_XMD:SHA-256_SSWU_RO_).
/// @dev Encodings are EIP-2537: a base-field element is 64 bytes (16 zero bytes, then 48 bytes
/// big-endian, value < p); G1 = x || y (128 bytes); G2 = x.c0 || x.c1 || y.c0 || y.c1 (256 bytes).
/// Malformed input (wrong length, a field element >= p or with non-zero padding) reverts with a
/// custom error. A well-formed point that is not on the curve or not in the subgroup makes the
/// pairing precompile fail, and `verify` returns false: such a signature simply does not verify.
library BLS {
    /// @notice A public key, signature or message length is wrong.
    error BLSInvalidLength();
    /// @notice A field element is >= p or its 16 padding bytes are not zero.
    error BLSFieldElementNotCanonical();
    /// @notice The domain separation tag is longer than 255 bytes.
    error BLSDstTooLong();
    /// @notice A precompile that cannot fail on valid input failed.
    error BLSPrecompileFailed(address precompile);

    address private constant MODEXP = address(0x05);
    address private constant G2ADD = address(0x0d);
    address private constant PAIRING_CHECK = address(0x0f);
    address private constant MAP_FP2_TO_G2 = address(0x11);

    /// @dev p, split as the two words of its 64-byte EIP-2537 encoding.
    uint256 private constant P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 private constant P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;

    /// @dev -g1 (the negated G1 generator), EIP-2537 encoded.
    bytes private constant NEG_G1 =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
        hex"00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    /// @notice RFC 9380 expand_message_xmd with SHA-256.
    function expandMessageXmd(bytes memory message, bytes memory dst, uint16 lenInBytes)
        internal
        pure
        returns (bytes memory uniform)
    {
        if (dst.length > 255) revert BLSDstTooLong();
        uint256 ell = (uint256(lenInBytes) + 31) / 32;
        if (ell == 0 || ell > 255) revert BLSInvalidLength();
        bytes memory dstPrime = abi.encodePacked(dst, uint8(dst.length));
        // msg_prime = Z_pad (64 zero bytes) || msg || I2OSP(len, 2) || I2OSP(0, 1) || DST_prime
        bytes32 b0 = sha256(abi.encodePacked(bytes32(0), bytes32(0), message, lenInBytes, uint8(0), dstPrime));
        // b_i = H(strxor(b_0, b_{i-1}) || I2OSP(i, 1) || DST_prime), with b_1 = H(b_0 || 1 || DST_prime):
        // one buffer, rewritten in place for each i.
        bytes memory buffer = abi.encodePacked(b0, uint8(1), dstPrime);
        uniform = new bytes(ell * 32);
        bytes32 bi = sha256(buffer);
        assembly ("memory-safe") {
            mstore(add(uniform, 32), bi)
        }
        for (uint256 i = 2; i <= ell; ++i) {
            assembly ("memory-safe") {
                let ptr := add(buffer, 32)
                mstore(ptr, xor(b0, bi))
                mstore8(add(ptr, 32), i)
            }
            bi = sha256(buffer);
            assembly ("memory-safe") {
                mstore(add(uniform, mul(i, 32)), bi)
            }
        }
        assembly ("memory-safe") {
            mstore(uniform, lenInBytes)
        }
    }

    /// @notice RFC 9380 hash_to_curve for G2: two field elements of Fp2, mapped and added. The
    /// MAP_FP2_TO_G2 precompile clears the cofactor, which commutes with the addition.
    /// @return point The 256-byte EIP-2537 encoding of H(message).
    function hashToG2(bytes memory message, bytes memory dst) internal view returns (bytes memory point) {
        bytes memory uniform = expandMessageXmd(message, dst, 256);
        bytes memory q0 = _mapToG2(_reduce(uniform, 0), _reduce(uniform, 64));
        bytes memory q1 = _mapToG2(_reduce(uniform, 128), _reduce(uniform, 192));
        point = _call(G2ADD, bytes.concat(q0, q1), 256);
    }

    /// @notice Whether `signature` is a BLS signature of `message` under `publicKey`:
    /// e(publicKey, H(message)) == e(g1, signature), checked as one 2-pair pairing product.
    /// @dev The point at infinity is refused as key or signature (it would verify anything).
    function verify(bytes memory publicKey, bytes memory message, bytes memory dst, bytes memory signature)
        internal
        view
        returns (bool)
    {
        if (publicKey.length != 128 || signature.length != 256) revert BLSInvalidLength();
        for (uint256 offset = 0; offset < 128; offset += 64) {
            _requireCanonical(publicKey, offset);
        }
        for (uint256 offset = 0; offset < 256; offset += 64) {
            _requireCanonical(signature, offset);
        }
        if (_isZero(publicKey) || _isZero(signature)) return false;
        bytes memory input = bytes.concat(publicKey, hashToG2(message, dst), NEG_G1, signature);
        // 2 pairs: 32,600 * 2 + 37,700 = 102,900 gas (EIP-2537); a failure burns only this much.
        (bool ok, bytes memory out) = PAIRING_CHECK.staticcall{gas: 110_000}(input);
        return ok && out.length == 32 && abi.decode(out, (uint256)) == 1;
    }

    /// @dev OS2IP(uniform[offset : offset + 64]) mod p, EIP-2537 encoded, via MODEXP (x^1 mod p).
    function _reduce(bytes memory uniform, uint256 offset) private view returns (bytes memory) {
        bytes memory input = new bytes(3 * 32 + 64 + 1 + 64);
        assembly ("memory-safe") {
            let ptr := add(input, 32)
            mstore(ptr, 64) // base length
            mstore(add(ptr, 32), 1) // exponent length
            mstore(add(ptr, 64), 64) // modulus length
            let src := add(add(uniform, 32), offset)
            mstore(add(ptr, 96), mload(src))
            mstore(add(ptr, 128), mload(add(src, 32)))
            mstore8(add(ptr, 160), 1) // exponent 1
            mstore(add(ptr, 161), P_HI) // modulus: 16 zero bytes + p (48 bytes)
            mstore(add(ptr, 193), P_LO)
        }
        return _call(MODEXP, input, 64);
    }

    function _mapToG2(bytes memory c0, bytes memory c1) private view returns (bytes memory) {
        return _call(MAP_FP2_TO_G2, bytes.concat(c0, c1), 256);
    }

    function _call(address precompile, bytes memory input, uint256 outLength) private view returns (bytes memory out) {
        bool ok;
        (ok, out) = precompile.staticcall{gas: _gasFor(precompile)}(input);
        if (!ok || out.length != outLength) revert BLSPrecompileFailed(precompile);
    }

    /// @dev What each precompile costs here (EIP-2537, EIP-2565), with headroom; a failing
    /// precompile consumes all gas it is given, so it is never given more than it needs.
    function _gasFor(address precompile) private pure returns (uint256) {
        if (precompile == MAP_FP2_TO_G2) return 30_000; // 23,800
        if (precompile == G2ADD) return 2_000; // 600
        return 5_000; // MODEXP, 64-byte base and modulus, exponent 1: 200
    }

    function _requireCanonical(bytes memory data, uint256 offset) private pure {
        uint256 hi;
        uint256 lo;
        assembly ("memory-safe") {
            let ptr := add(add(data, 32), offset)
            hi := mload(ptr)
            lo := mload(add(ptr, 32))
        }
        if (hi > P_HI || (hi == P_HI && lo >= P_LO)) revert BLSFieldElementNotCanonical();
    }

    function _isZero(bytes memory data) private pure returns (bool) {
        for (uint256 i = 0; i < data.length; i += 32) {
            uint256 word;
            assembly ("memory-safe") {
                word := mload(add(add(data, 32), i))
            }
            if (word != 0) return false;
        }
        return true;
    }
}
