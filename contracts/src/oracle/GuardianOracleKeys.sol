// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../IGuardianOracle.sol";
import {BLS} from "../bls/BLS.sol";
import {OracleConstants} from "./OracleConstants.sol";

/// @title GuardianOracleKeys
/// @notice The guardians' group key: storage, the governance timelock that rotates it, and what
/// it signs (the authorization digest) and how a signature is checked.
/// @dev The group key (128 bytes, EIP-2537 G1) is kept as the code of a small data contract
/// (the SSTORE2 pattern): reading it costs one cold EXTCODECOPY (~2,700 gas) instead of five cold
/// SLOADs (~10,500 gas), which matters for the 200k gas budget of {authorize}.
abstract contract GuardianOracleKeys is IGuardianOracle {
    /// @notice Domain separator tag of the authorization digest.
    bytes32 public constant DOMAIN_TAG = OracleConstants.DOMAIN_TAG;
    /// @notice RFC 9380 domain separation tag used to hash the digest to G2.
    bytes public constant DST = OracleConstants.DST;
    /// @notice Largest guardian set.
    uint16 public constant MAX_GUARDIANS = OracleConstants.MAX_GUARDIANS;
    /// @notice Gas that must be left when the BLS check starts; with less, {authorize} reverts
    /// with GuardianOracleInsufficientGasForVerification instead of reporting a valid signature
    /// as invalid (the pairing has a fixed 110,000 allowance and would run out).
    uint256 public constant VERIFY_GAS_RESERVE = OracleConstants.VERIFY_GAS_RESERVE;
    /// @notice A queued key rotation lapses this long after it became executable.
    uint64 public constant KEY_ROTATION_EXPIRY = OracleConstants.KEY_ROTATION_EXPIRY;

    uint256 private constant _PUBLIC_KEY_LENGTH = 128;
    address private constant _G1MSM_PRECOMPILE = address(0x0c);
    uint256 private constant _G1MSM_GAS = 50_000;

    /// @dev The current group key: all of it in one slot.
    struct KeyState {
        address keyData; // data contract holding the 128-byte EIP-2537 G1 public key
        uint64 epoch;
        uint16 threshold;
        uint16 guardianCount;
    }

    /// @dev A queued key rotation (executableAt == 0: none).
    struct PendingRotation {
        address keyData;
        uint16 threshold;
        uint16 guardianCount;
        uint64 executableAt;
    }

    /// @inheritdoc IGuardianOracle
    address public immutable governance;
    /// @inheritdoc IGuardianOracle
    uint64 public immutable rotationDelay;

    KeyState private _key;
    PendingRotation private _pending;

    modifier onlyGovernance() {
        if (msg.sender != governance) revert GuardianOracleUnauthorized(msg.sender);
        _;
    }

    /// @param governance_ The governance (timelock) allowed to rotate the group key.
    /// @param groupPublicKey_ The group public key, 128-byte EIP-2537 G1 encoding.
    /// @param threshold_ Signatures needed (t).
    /// @param guardianCount_ Guardians in the set (n).
    /// @param rotationDelay_ Seconds between queueing and executing a key rotation (non-zero).
    constructor(
        address governance_,
        bytes memory groupPublicKey_,
        uint16 threshold_,
        uint16 guardianCount_,
        uint64 rotationDelay_
    ) {
        if (governance_ == address(0)) revert GuardianOracleZeroAddress();
        if (rotationDelay_ == 0) revert GuardianOracleInvalidRotationDelay();
        _validateKey(groupPublicKey_, threshold_, guardianCount_);
        governance = governance_;
        rotationDelay = rotationDelay_;
        _key = KeyState(_storeKey(groupPublicKey_), 1, threshold_, guardianCount_);
        emit KeyRotated(1, groupPublicKey_, threshold_, guardianCount_);
    }

    // ---------------------------------------------------------------- rotation

    /// @inheritdoc IGuardianOracle
    function queueKeyRotation(bytes calldata groupPublicKey_, uint16 threshold_, uint16 guardianCount_)
        external
        onlyGovernance
    {
        uint64 queued = _pending.executableAt;
        // A lapsed rotation no longer blocks a new one.
        if (queued != 0 && block.timestamp <= queued + KEY_ROTATION_EXPIRY) revert GuardianOracleRotationAlreadyQueued();
        _validateKey(groupPublicKey_, threshold_, guardianCount_);
        uint64 executableAt = uint64(block.timestamp) + rotationDelay;
        _pending = PendingRotation(_storeKey(groupPublicKey_), threshold_, guardianCount_, executableAt);
        emit KeyRotationQueued(_key.epoch + 1, groupPublicKey_, threshold_, guardianCount_, executableAt);
    }

    /// @inheritdoc IGuardianOracle
    function executeKeyRotation() external onlyGovernance {
        PendingRotation memory p = _pending;
        if (p.executableAt == 0) revert GuardianOracleRotationNotQueued();
        if (block.timestamp < p.executableAt) revert GuardianOracleRotationNotReady(p.executableAt);
        if (block.timestamp > p.executableAt + KEY_ROTATION_EXPIRY) {
            revert GuardianOracleRotationExpired(p.executableAt + KEY_ROTATION_EXPIRY);
        }
        uint64 epoch = _key.epoch + 1;
        _key = KeyState(p.keyData, epoch, p.threshold, p.guardianCount);
        delete _pending;
        emit KeyRotated(epoch, _readKey(p.keyData), p.threshold, p.guardianCount);
    }

    /// @inheritdoc IGuardianOracle
    function cancelKeyRotation() external onlyGovernance {
        if (_pending.executableAt == 0) revert GuardianOracleRotationNotQueued();
        delete _pending;
        emit KeyRotationCancelled(_key.epoch + 1);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGuardianOracle
    function keyEpoch() external view returns (uint64) {
        return _key.epoch;
    }

    /// @inheritdoc IGuardianOracle
    function groupPublicKey() public view returns (bytes memory) {
        return _readKey(_key.keyData);
    }

    /// @inheritdoc IGuardianOracle
    function threshold() external view returns (uint16) {
        return _key.threshold;
    }

    /// @inheritdoc IGuardianOracle
    function guardianCount() external view returns (uint16) {
        return _key.guardianCount;
    }

    /// @inheritdoc IGuardianOracle
    function pendingKeyRotation()
        external
        view
        returns (uint64 epoch, bytes memory groupPublicKey_, uint16 threshold_, uint16 guardianCount_, uint64 executableAt)
    {
        PendingRotation memory p = _pending;
        if (p.executableAt == 0) return (0, "", 0, 0, 0);
        return (_key.epoch + 1, _readKey(p.keyData), p.threshold, p.guardianCount, p.executableAt);
    }

    /// @inheritdoc IGuardianOracle
    function authorizationDigest(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash
    ) external view returns (bytes32) {
        return _authorizationDigest(_key.epoch, protocolId, action, nonce, deadline, evidenceFromBlock, evidenceHash);
    }

    // ---------------------------------------------------------------- internals

    /// @dev The current group key's data contract and {_authorizationDigest} under its epoch: one
    /// storage read and one hash in one assembly block (two internal calls with their stack
    /// shuffling cost about 40 gas more on every {authorize}). KeyState's packing: keyData in the
    /// low 160 bits, then epoch. The digest's layout is {_authorizationDigest}'s; the known-answer
    /// tests of the digest go through {authorize}.
    function _currentKeyAndDigest(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash
    ) internal view returns (address keyData, bytes32 digest) {
        bytes32 tag = DOMAIN_TAG;
        assembly ("memory-safe") {
            let k := sload(_key.slot)
            keyData := and(k, 0xffffffffffffffffffffffffffffffffffffffff)
            let m := mload(0x40)
            mstore(m, tag)
            mstore(add(m, 0x20), chainid())
            mstore(add(m, 0x40), address())
            mstore(add(m, 0x60), and(shr(160, k), 0xffffffffffffffff)) // epoch
            mstore(add(m, 0x80), protocolId)
            mstore(add(m, 0xa0), and(action, 0xff))
            mstore(add(m, 0xc0), and(nonce, 0xffffffffffffffff))
            mstore(add(m, 0xe0), and(deadline, 0xffffffffffffffff))
            mstore(add(m, 0x100), and(evidenceFromBlock, 0xffffffffffffffff))
            mstore(add(m, 0x120), evidenceHash)
            digest := keccak256(m, 0x140)
        }
    }

    /// @dev Whether `signature` is the group's signature over `digest`, the group key being the
    /// one kept in `keyData` (validated when stored). Overridden in tests.
    /// Reverts with GuardianOracleInsufficientGasForVerification when less than
    /// VERIFY_GAS_RESERVE is left: the pairing would run out of its fixed allowance and a valid
    /// signature would look invalid.
    function _verifyAuthorization(address keyData, bytes32 digest, bytes calldata signature)
        internal
        view
        virtual
        returns (bool)
    {
        if (gasleft() < VERIFY_GAS_RESERVE) revert GuardianOracleInsufficientGasForVerification(VERIFY_GAS_RESERVE);
        // The signature's length (256) was checked by the caller with the oracle's own error, and
        // DST is a constant shorter than 256 bytes: the library's two length checks are implied.
        return BLS.verifyDigestPrechecked(keyData, digest, DST, signature);
    }

    /// @dev `keccak256(abi.encode(DOMAIN_TAG, chainid, this, epoch, protocolId, action, nonce,
    /// deadline, evidenceFromBlock, evidenceHash))`; the layout and known answers are in
    /// protocol/vectors/guardian_oracle.json.
    function _authorizationDigest(
        uint64 epoch,
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash
    ) internal view returns (bytes32 digest) {
        bytes32 tag = DOMAIN_TAG;
        // abi.encode of the ten words, in scratch memory past the free memory pointer. Values
        // narrower than a word may carry dirty high bits in assembly: each is masked.
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, tag)
            mstore(add(m, 0x20), chainid())
            mstore(add(m, 0x40), address())
            mstore(add(m, 0x60), and(epoch, 0xffffffffffffffff))
            mstore(add(m, 0x80), protocolId)
            mstore(add(m, 0xa0), and(action, 0xff))
            mstore(add(m, 0xc0), and(nonce, 0xffffffffffffffff))
            mstore(add(m, 0xe0), and(deadline, 0xffffffffffffffff))
            mstore(add(m, 0x100), and(evidenceFromBlock, 0xffffffffffffffff))
            mstore(add(m, 0x120), evidenceHash)
            digest := keccak256(m, 0x140)
        }
    }

    /// @dev n/2 < t <= n <= MAX_GUARDIANS (a strict majority: two disjoint quorums cannot exist);
    /// the key has length 128, is not infinity, and is accepted by the G1MSM precompile (which
    /// checks the encoding, the curve equation and subgroup membership).
    function _validateKey(bytes memory pk, uint16 threshold_, uint16 guardianCount_) private view {
        if (
            uint256(threshold_) * 2 <= guardianCount_ || threshold_ > guardianCount_
                || guardianCount_ > MAX_GUARDIANS
        ) {
            revert GuardianOracleInvalidThreshold(threshold_, guardianCount_);
        }
        if (pk.length != _PUBLIC_KEY_LENGTH) revert GuardianOracleInvalidPublicKey();
        if (keccak256(pk) == keccak256(new bytes(_PUBLIC_KEY_LENGTH))) revert GuardianOracleInvalidPublicKey();
        // A failing precompile consumes all the gas it is given: bound it (k = 1 costs 12,000).
        (bool ok, bytes memory out) =
            _G1MSM_PRECOMPILE.staticcall{gas: _G1MSM_GAS}(abi.encodePacked(pk, uint256(1)));
        if (!ok || out.length != _PUBLIC_KEY_LENGTH) revert GuardianOracleInvalidPublicKey();
    }

    /// @dev Deploys a contract whose code is `0x00 ‖ pk` (STOP first, so it cannot be run).
    function _storeKey(bytes memory pk) private returns (address keyData) {
        bytes memory init = abi.encodePacked(
            hex"63", uint32(pk.length + 1), hex"80600e6000396000f3", hex"00", pk
        );
        assembly ("memory-safe") {
            keyData := create(0, add(init, 0x20), mload(init))
        }
        if (keyData == address(0)) revert GuardianOracleKeyStorageFailed();
    }

    function _readKey(address keyData) private view returns (bytes memory pk) {
        pk = new bytes(_PUBLIC_KEY_LENGTH);
        assembly ("memory-safe") {
            extcodecopy(keyData, add(pk, 0x20), 1, 128)
        }
    }
}
