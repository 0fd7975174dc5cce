// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../IGuardianOracle.sol";
import {IGuardable, MAX_ACTION} from "../IGuardable.sol";
import {GuardianOracleKeys} from "./GuardianOracleKeys.sol";
import {GuardianOracleRegistry} from "./GuardianOracleRegistry.sol";
import {OracleConstants} from "./OracleConstants.sol";

/// @title GuardianOracleContainment
/// @notice Containments: {authorize} engages one when the group key's signature and the
/// protocol's registered policy allow it; the protocol's admin lifts or extends it; it ends by
/// itself after the registered duration. Each engage, lift and extension calls the protocol's hook
/// with a fixed gas allowance, and a failing hook never blocks the oracle.
abstract contract GuardianOracleContainment is GuardianOracleKeys, GuardianOracleRegistry {
    /// @notice Gas given to every protocol hook call.
    uint256 public constant HOOK_GAS_LIMIT = OracleConstants.HOOK_GAS_LIMIT;
    /// @notice Gas the caller must leave on top of the hook's 63/64-rule share: the cold account
    /// access of the call (2,600) and the few instructions between the check and the call.
    uint256 public constant HOOK_GAS_MARGIN = OracleConstants.HOOK_GAS_MARGIN;

    uint256 private constant _SIGNATURE_LENGTH = 256;
    /// @dev Sentinel stored in a fresh containment record's evidence slot so that the first
    /// {authorize} writes a non-zero slot (2,900 gas instead of 20,000); never returned by views.
    bytes32 private constant _EVIDENCE_UNSET = bytes32(uint256(1));

    /// @dev Per protocol, kept across deregistration so that nonces never repeat.
    struct ContainmentState {
        uint64 nonce; // next expected nonce
        uint8 action;
        uint64 engagedAt; // 0: never engaged
        uint64 expiresAt; // a lift sets it to the lift time: "ended at"
        bool hookSucceeded;
        bool initialized; // keeps the slot non-zero from registration on
    }

    struct ContainmentRecord {
        ContainmentState state;
        bytes32 evidenceHash;
    }

    mapping(bytes32 => ContainmentRecord) private _containments;
    bool private transient _entered;

    modifier nonReentrant() {
        if (_entered) revert GuardianOracleReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }

    // ---------------------------------------------------------------- engage, lift, extend

    /// @inheritdoc IGuardianOracle
    function authorize(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        bytes32 evidenceHash,
        bytes calldata signature
    ) external nonReentrant returns (bool hookSucceeded) {
        Policy memory policy = _registration(protocolId).policy;
        if (policy.target == address(0)) revert GuardianOracleNotRegistered(protocolId);
        if (action == 0 || action > MAX_ACTION || (policy.allowedActions & (uint8(1) << action)) == 0) {
            revert GuardianOracleActionNotAllowed(protocolId, action);
        }
        ContainmentRecord storage rec = _containments[protocolId];
        ContainmentState memory state = rec.state;
        if (nonce != state.nonce) revert GuardianOracleInvalidNonce(state.nonce, nonce);
        if (block.timestamp > deadline) revert GuardianOracleDeadlineExpired(deadline);
        if (block.timestamp < state.expiresAt) revert GuardianOracleContainmentActive(protocolId, state.expiresAt);
        if (state.engagedAt != 0) {
            uint64 availableAt = state.expiresAt + policy.cooldown; // < 2**64: both are bounded
            if (block.timestamp < availableAt) revert GuardianOracleCooldownActive(protocolId, availableAt);
        }
        if (signature.length != _SIGNATURE_LENGTH) revert GuardianOracleInvalidSignatureLength(signature.length);
        uint64 epoch = _keyEpoch();
        bytes32 digest = _authorizationDigest(epoch, protocolId, action, nonce, deadline, evidenceHash);
        if (!_verifyAuthorization(digest, signature)) revert GuardianOracleInvalidSignature();

        uint64 expiresAt = uint64(block.timestamp) + policy.maxDuration;
        rec.state = ContainmentState({
            nonce: nonce + 1,
            action: action,
            engagedAt: uint64(block.timestamp),
            expiresAt: expiresAt,
            hookSucceeded: false,
            initialized: true
        });
        rec.evidenceHash = evidenceHash;

        if (policy.hookKind == HOOK_KIND_GUARDABLE) {
            hookSucceeded = _callHook(
                protocolId,
                policy.target,
                abi.encodeCall(IGuardable.engageContainment, (action, expiresAt, evidenceHash))
            );
        } else {
            hookSucceeded = _callHook(protocolId, policy.target, abi.encodePacked(policy.pauseSelector));
        }
        if (hookSucceeded) rec.state.hookSucceeded = true;
        emit ContainmentEngaged(protocolId, action, nonce, epoch, evidenceHash, expiresAt, hookSucceeded, msg.sender);
    }

    /// @inheritdoc IGuardianOracle
    function liftContainment(bytes32 protocolId) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert GuardianOracleUnauthorized(msg.sender);
        ContainmentState storage state = _containments[protocolId].state;
        if (block.timestamp >= state.expiresAt) revert GuardianOracleNoActiveContainment(protocolId);

        state.expiresAt = uint64(block.timestamp);
        emit ContainmentLifted(protocolId, msg.sender);
        if (r.policy.hookKind == HOOK_KIND_GUARDABLE) {
            _callHook(protocolId, r.policy.target, abi.encodeCall(IGuardable.liftContainment, (state.action)));
        }
    }

    /// @inheritdoc IGuardianOracle
    function extendContainment(bytes32 protocolId, uint64 newExpiresAt) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert GuardianOracleUnauthorized(msg.sender);
        ContainmentRecord storage rec = _containments[protocolId];
        uint64 current = rec.state.expiresAt;
        if (block.timestamp >= current) revert GuardianOracleNoActiveContainment(protocolId);
        if (newExpiresAt <= current || newExpiresAt > block.timestamp + MAX_CONTAINMENT_DURATION) {
            revert GuardianOracleInvalidExpiry(newExpiresAt);
        }

        rec.state.expiresAt = newExpiresAt;
        emit ContainmentExtended(protocolId, newExpiresAt);
        if (r.policy.hookKind == HOOK_KIND_GUARDABLE) {
            bool ok = _callHook(
                protocolId,
                r.policy.target,
                abi.encodeCall(IGuardable.engageContainment, (rec.state.action, newExpiresAt, rec.evidenceHash))
            );
            if (!ok) revert GuardianOracleHookFailed(protocolId);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGuardianOracle
    function nonces(bytes32 protocolId) external view returns (uint64) {
        return _containments[protocolId].state.nonce;
    }

    /// @inheritdoc IGuardianOracle
    function containment(bytes32 protocolId)
        external
        view
        returns (uint8 action, uint64 engagedAt, uint64 expiresAt, bytes32 evidenceHash, bool hookSucceeded, bool active)
    {
        ContainmentRecord storage rec = _containments[protocolId];
        ContainmentState memory s = rec.state;
        if (s.engagedAt == 0) return (0, 0, 0, bytes32(0), false, false);
        return (s.action, s.engagedAt, s.expiresAt, rec.evidenceHash, s.hookSucceeded, block.timestamp < s.expiresAt);
    }

    // ---------------------------------------------------------------- internals

    /// @dev A registered protocol's record is never all zero (cheaper first {authorize}); the nonce
    /// survives deregistration, so a record is prepared only once.
    function _afterRegister(bytes32 protocolId) internal override {
        ContainmentRecord storage rec = _containments[protocolId];
        if (!rec.state.initialized) {
            rec.state.initialized = true;
            rec.evidenceHash = _EVIDENCE_UNSET;
        }
    }

    /// @dev Calls `target` with exactly HOOK_GAS_LIMIT gas and copies no return data (a
    /// returnbomb costs the hook's own gas only). Reverts if less gas is left than the hook needs.
    function _callHook(bytes32 protocolId, address target, bytes memory data) private returns (bool ok) {
        uint256 hookGas = HOOK_GAS_LIMIT;
        if (gasleft() < (hookGas * 64) / 63 + HOOK_GAS_MARGIN) revert GuardianOracleInsufficientGasForHook();
        assembly ("memory-safe") {
            ok := call(hookGas, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        if (!ok) emit HookCallFailed(protocolId, bytes4(data)); // the first 4 bytes: the selector
    }
}
