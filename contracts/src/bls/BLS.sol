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

    /// @dev -g1 as four words, for {verifyDigest}.
    uint256 private constant NEG_G1_X_HI = 0x17f1d3a73197d7942695638c4fa9ac0f;
    uint256 private constant NEG_G1_X_LO = 0xc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb;
    uint256 private constant NEG_G1_Y_HI = 0x114d1d6855d545a8aa7d76c8cf2e21f2;
    uint256 private constant NEG_G1_Y_LO = 0x67816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca;

    /// @dev -g1 (the negated G1 generator), EIP-2537 encoded.
    bytes private constant NEG_G1 =
        hex"0000000000000000000000000000000017f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb"
        hex"00000000000000000000000000000000114d1d6855d545a8aa7d76c8cf2e21f267816aef1db507c96655b9d5caac42364e6f38ba0ecb751bad54dcd6b939c2ca";

    /// @notice RFC 9380 expand_message_xmd with SHA-256:
    /// b_0 = H(Z_pad || msg || I2OSP(len, 2) || I2OSP(0, 1) || DST_prime),
    /// b_1 = H(b_0 || I2OSP(1, 1) || DST_prime), b_i = H(strxor(b_0, b_{i-1}) || I2OSP(i, 1) || DST_prime),
    /// with DST_prime = DST || I2OSP(len(DST), 1); the output is b_1 || ... || b_ell, truncated.
    /// @dev In assembly over one scratch buffer past the free memory pointer (rewritten per block).
    function expandMessageXmd(bytes memory message, bytes memory dst, uint16 lenInBytes)
        internal
        view
        returns (bytes memory uniform)
    {
        if (dst.length > 255) revert BLSDstTooLong();
        uint256 ell = (uint256(lenInBytes) + 31) / 32;
        if (ell == 0 || ell > 255) revert BLSInvalidLength();
        uniform = new bytes(ell * 32);
        bool ok;
        assembly ("memory-safe") {
            let dlen := mload(dst)
            let mlen := mload(message)
            let buf := mload(0x40)
            mstore(buf, 0)
            mstore(add(buf, 32), 0)
            mcopy(add(buf, 64), add(message, 32), mlen)
            let ptr := add(add(buf, 64), mlen)
            mstore8(ptr, shr(8, lenInBytes))
            mstore8(add(ptr, 1), and(lenInBytes, 0xff))
            mstore8(add(ptr, 2), 0)
            mcopy(add(ptr, 3), add(dst, 32), dlen)
            mstore8(add(add(ptr, 3), dlen), dlen)
            ok := staticcall(gas(), 0x02, buf, add(add(68, mlen), dlen), 0x00, 32)
            let b0 := mload(0x00)
            mstore(buf, b0)
            mstore8(add(buf, 32), 1)
            mcopy(add(buf, 33), add(dst, 32), dlen)
            mstore8(add(add(buf, 33), dlen), dlen)
            let blen := add(34, dlen)
            ok := and(ok, staticcall(gas(), 0x02, buf, blen, 0x00, 32))
            let bi := mload(0x00)
            mstore(add(uniform, 32), bi)
            for { let i := 2 } iszero(gt(i, ell)) { i := add(i, 1) } {
                mstore(buf, xor(b0, bi))
                mstore8(add(buf, 32), i)
                ok := and(ok, staticcall(gas(), 0x02, buf, blen, 0x00, 32))
                bi := mload(0x00)
                mstore(add(uniform, mul(i, 32)), bi)
            }
            mstore(uniform, lenInBytes)
        }
        if (!ok) revert BLSPrecompileFailed(address(0x02));
    }

    /// @notice RFC 9380 hash_to_curve for G2: two field elements of Fp2, mapped and added. The
    /// MAP_FP2_TO_G2 precompile clears the cofactor, which commutes with the addition.
    /// @return point The 256-byte EIP-2537 encoding of H(message).
    function hashToG2(bytes memory message, bytes memory dst) internal view returns (bytes memory point) {
        point = new bytes(256);
        _hashToG2Into(message, dst, point, 0);
    }

    /// @notice Whether `signature` is a BLS signature of `message` under `publicKey`:
    /// e(publicKey, H(message)) == e(g1, signature), checked as one 2-pair pairing product.
    /// @dev The point at infinity is refused as key or signature (it would verify anything).
    /// The pairing input is assembled in one buffer, H(message) written straight into it.
    function verify(bytes memory publicKey, bytes memory message, bytes memory dst, bytes memory signature)
        internal
        view
        returns (bool)
    {
        if (publicKey.length != 128 || signature.length != 256) revert BLSInvalidLength();
        bool keyIsZero = _checkElements(publicKey);
        if (_checkElements(signature) || keyIsZero) return false;
        bytes memory input = new bytes(768); // pk | H(m) | -g1 | sig
        bytes memory negG1 = NEG_G1;
        assembly ("memory-safe") {
            let dstPtr := add(input, 32)
            mcopy(dstPtr, add(publicKey, 32), 128)
            mcopy(add(dstPtr, 384), add(negG1, 32), 128)
            mcopy(add(dstPtr, 512), add(signature, 32), 256)
        }
        _hashToG2Into(message, dst, input, 128);
        bool ok;
        uint256 result;
        assembly ("memory-safe") {
            // 2 pairs: 32,600 * 2 + 37,700 = 102,900 gas (EIP-2537); a failure burns only this much.
            ok := staticcall(110000, 0x0f, add(input, 32), 768, 0x00, 32)
            result := mload(0x00)
        }
        return ok && result == 1;
    }

    /// @notice {verify} for a 32-byte message, a public key kept as contract code and a calldata
    /// signature: the path of an on-chain authorization, with no intermediate allocation.
    /// @dev The 128-byte key is read from the code of `keyStore` at offset 1 (an SSTORE2 data
    /// contract) and must have been validated when it was stored (canonical, on the curve, in the
    /// subgroup, not infinity): it is not checked again. The signature is not pre-checked either
    /// (that cost about 360 gas on every containment): the pairing precompile itself refuses a
    /// non-canonical encoding or a point off the curve or outside the subgroup (EIP-2537), which
    /// makes `valid` false, and the point at infinity cannot verify under a key that is not
    /// infinity (e(pk, H(m)) would have to be 1). {verify} keeps its explicit checks.
    /// One assembly block over a fixed layout past the free memory pointer (not advanced):
    /// `p`: pairing input pk | H(m) | -g1 | sig (768); `x`: the SHA-256 input (at most 355);
    /// `m`: the MODEXP input (225), its base written directly by SHA-256; `u`: u0 | u1 | u2 | u3
    /// (256), written directly by MODEXP; `q`: Q0 | Q1 (512) over `x` and `m` once they are
    /// spent; G2ADD writes H(m) into `p`. 1,664 bytes in all.
    /// The hash is RFC 9380 hash_to_curve exactly as {hashToG2} (expand_message_xmd, len 256).
    function verifyDigest(address keyStore, bytes32 message, bytes memory dst, bytes calldata signature)
        internal
        view
        returns (bool valid)
    {
        if (signature.length != 256) revert BLSInvalidLength();
        if (dst.length > 255) revert BLSDstTooLong();
        return verifyDigestPrechecked(keyStore, message, dst, signature);
    }

    /// @notice {verifyDigest} for a caller that has already checked what it checks first:
    /// `signature.length == 256` and `dst.length <= 255` (a longer signature would be read
    /// truncated, a shorter one past its end; a DST of 256 bytes or more would be hashed with a
    /// wrong length byte). The oracle checks the signature's length with its own error, and its
    /// DST is a constant.
    function verifyDigestPrechecked(address keyStore, bytes32 message, bytes memory dst, bytes calldata signature)
        internal
        view
        returns (bool valid)
    {
        bool hashFailed;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(add(p, 512), signature.offset, 256)
            {
                extcodecopy(keyStore, p, 1, 128)
                mstore(add(p, 384), NEG_G1_X_HI)
                mstore(add(p, 416), NEG_G1_X_LO)
                mstore(add(p, 448), NEG_G1_Y_HI)
                mstore(add(p, 480), NEG_G1_Y_LO)

                // b_0 = H(Z_pad || msg || I2OSP(256, 2) || I2OSP(0, 1) || DST || I2OSP(len(DST), 1))
                let dlen := mload(dst)
                let x := add(p, 768)
                mstore(x, 0)
                mstore(add(x, 32), 0)
                mstore(add(x, 64), message)
                mstore(add(x, 96), shl(240, 0x0100)) // 0x01 0x00, then the 0x00 counter
                mcopy(add(x, 99), add(dst, 32), dlen)
                mstore8(add(add(x, 99), dlen), dlen)
                let ok := staticcall(gas(), 0x02, x, add(100, dlen), 0x00, 32)
                let b0 := mload(0x00)

                // MODEXP input: lengths (64, 1, 64) | base | exponent 1 | p
                let m := add(x, 384)
                mstore(m, 64)
                mstore(add(m, 32), 1)
                mstore(add(m, 64), 64)
                mstore(add(m, 161), P_HI)
                mstore(add(m, 193), P_LO)
                mstore8(add(m, 160), 1)
                let u := add(m, 256)

                // b_i = H((b_0 xor b_{i-1}) || I2OSP(i, 1) || DST_prime), b_1 = H(b_0 || 1 || DST_prime):
                // b_{2j+1} || b_{2j+2} is the base of u_j = that 64-byte integer mod p. Unrolled:
                // the eight hashes and four reductions in a row, no loop arithmetic.
                mstore(x, b0)
                mcopy(add(x, 33), add(dst, 32), dlen)
                mstore8(add(add(x, 33), dlen), dlen)
                let blen := add(34, dlen)
                let ctr := add(x, 32)
                let hiOut := add(m, 96)
                let loOut := add(m, 128)
                mstore8(ctr, 1)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, hiOut, 32))
                mstore(x, xor(b0, mload(hiOut)))
                mstore8(ctr, 2)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, loOut, 32))
                mstore(x, xor(b0, mload(loOut)))
                ok := and(ok, staticcall(5000, 0x05, m, 225, u, 64))
                mstore8(ctr, 3)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, hiOut, 32))
                mstore(x, xor(b0, mload(hiOut)))
                mstore8(ctr, 4)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, loOut, 32))
                mstore(x, xor(b0, mload(loOut)))
                ok := and(ok, staticcall(5000, 0x05, m, 225, add(u, 64), 64))
                mstore8(ctr, 5)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, hiOut, 32))
                mstore(x, xor(b0, mload(hiOut)))
                mstore8(ctr, 6)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, loOut, 32))
                mstore(x, xor(b0, mload(loOut)))
                ok := and(ok, staticcall(5000, 0x05, m, 225, add(u, 128), 64))
                mstore8(ctr, 7)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, hiOut, 32))
                mstore(x, xor(b0, mload(hiOut)))
                mstore8(ctr, 8)
                ok := and(ok, staticcall(gas(), 0x02, x, blen, loOut, 32))
                ok := and(ok, staticcall(5000, 0x05, m, 225, add(u, 192), 64))

                // Q0 = map(u0, u1), Q1 = map(u2, u3), H(m) = Q0 + Q1 straight into the pairing input.
                let q := x // x and m are spent; q ends before u
                ok := and(ok, staticcall(30000, 0x11, u, 128, q, 256))
                ok := and(ok, staticcall(30000, 0x11, add(u, 128), 128, add(q, 256), 256))
                ok := and(ok, staticcall(2000, 0x0d, q, 512, add(p, 128), 256))
                hashFailed := iszero(ok)
                // 2 pairs: 32,600 * 2 + 37,700 = 102,900 gas (EIP-2537); a failure burns only this much.
                // (Yul evaluates arguments right to left: the call first, then its output.)
                ok := and(ok, staticcall(110000, 0x0f, p, 768, 0x00, 32))
                valid := and(ok, eq(mload(0x00), 1))
            }
        }
        if (hashFailed) revert BLSPrecompileFailed(MAP_FP2_TO_G2);
    }

    /// @dev hash_to_curve(message) written as 256 bytes at `out[offset:]`, with no intermediate
    /// allocations: four MODEXP reductions land where MAP_FP2_TO_G2 reads them, both mapped points
    /// land where G2ADD reads them.
    function _hashToG2Into(bytes memory message, bytes memory dst, bytes memory out, uint256 offset)
        private
        view
    {
        bytes memory uniform = expandMessageXmd(message, dst, 256);
        bytes memory scratch = new bytes(512); // u0 (128) | u1 (128), then Q0 (256) | Q1 (256)
        bool ok = true;
        assembly ("memory-safe") {
            let buf := mload(0x40) // MODEXP input: 3 lengths | 64-byte base | 1-byte exp | p
            mstore(0x40, add(buf, 225))
            mstore(buf, 64)
            mstore(add(buf, 32), 1)
            mstore(add(buf, 64), 64)
            mstore8(add(buf, 160), 1)
            mstore(add(buf, 161), P_HI)
            mstore(add(buf, 193), P_LO)
            let u := add(uniform, 32)
            let s := add(scratch, 32)
            for { let i := 0 } lt(i, 4) { i := add(i, 1) } {
                mcopy(add(buf, 96), add(u, mul(i, 64)), 64)
                ok := and(ok, staticcall(5000, 0x05, buf, 225, add(s, mul(i, 64)), 64))
            }
            // Q0 = map(u0), Q1 = map(u1): outputs overwrite the scratch (inputs read first).
            let q := mload(0x40)
            mstore(0x40, add(q, 512))
            ok := and(ok, staticcall(30000, 0x11, s, 128, q, 256))
            ok := and(ok, staticcall(30000, 0x11, add(s, 128), 128, add(q, 256), 256))
            ok := and(ok, staticcall(2000, 0x0d, q, 512, add(add(out, 32), offset), 256))
        }
        if (!ok) revert BLSPrecompileFailed(MAP_FP2_TO_G2);
    }

    /// @dev Revert unless every 64-byte field element of `data` is canonical (padding zero,
    /// value < p); true if all of `data` is zero (the point at infinity).
    function _checkElements(bytes memory data) private pure returns (bool allZero) {
        bool bad;
        assembly ("memory-safe") {
            let ptr := add(data, 32)
            let end := add(ptr, mload(data))
            allZero := 1
            for {} lt(ptr, end) { ptr := add(ptr, 64) } {
                let hi := mload(ptr)
                let lo := mload(add(ptr, 32))
                bad := or(bad, or(gt(hi, P_HI), and(eq(hi, P_HI), iszero(lt(lo, P_LO)))))
                allZero := and(allZero, iszero(or(hi, lo)))
            }
        }
        if (bad) revert BLSFieldElementNotCanonical();
    }
}
