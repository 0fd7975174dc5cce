// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../IGuardianOracle.sol";
import {IGuardable, ACTION_PAUSE, MAX_ACTION} from "../IGuardable.sol";
import {GuardianOracleKeys} from "./GuardianOracleKeys.sol";
import {GuardianOracleRegistry} from "./GuardianOracleRegistry.sol";

/// @title GuardianOracleContainment
/// @notice Containments: {authorize} engages one when the group key's signature and the
/// protocol's registered policy allow it, on evidence that starts after the protocol's last
/// release; the protocol's admin lifts or extends it (a {Guardable} target's governance may also
/// lift it on the target, which tells the oracle); it ends by itself after the registered
/// duration. Each engage, lift and extension calls the protocol's hook with a fixed gas
/// allowance, and a failing hook never blocks the oracle.
abstract contract GuardianOracleContainment is GuardianOracleKeys, GuardianOracleRegistry {
    uint256 private constant _SIGNATURE_LENGTH = 256;

    /// @dev Per protocol, kept across deregistration so that nonces never repeat. One slot.
    struct ContainmentState {
        uint64 nonce; // next expected nonce
        uint8 action;
        uint8 replacedAction; // the weaker action a PAUSE replaced while it was in force, or 0
        uint48 engagedAt; // 0: never engaged
        uint48 expiresAt; // a lift sets it to the lift time: "ended at"
        uint48 releaseBlock; // evidence must start after this block
        // Whether the latest authorization's hook succeeded; set at registration (nothing failed
        // yet), which keeps the slot non-zero from then on (a cheaper first authorize).
        bool hookSucceeded;
        uint8 failedAction; // an action whose hook failed, refused until the hook is proven again, or 0
    }

    /// @dev One slot per protocol. The evidence hash is not stored: the ContainmentEngaged event
    /// records it (a stored copy cost 5,000 gas per containment, against the 200k budget).
    mapping(bytes32 => ContainmentState) private _containments;

    // ---------------------------------------------------------------- engage, lift, extend

    /// @inheritdoc IGuardianOracle
    function authorize(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash,
        bytes calldata signature
    ) external nonReentrant returns (bool hookSucceeded) {
        Policy memory policy = _registration(protocolId).policy;
        ContainmentState storage state = _containments[protocolId];
        uint8 replaced = _checkPolicy(protocolId, policy, state, action, nonce, deadline, evidenceFromBlock);
        _checkSignature(protocolId, action, nonce, deadline, evidenceFromBlock, evidenceHash, signature);

        uint64 expiresAt;
        (hookSucceeded, expiresAt) = _engage(protocolId, policy, state, action, replaced, evidenceHash);
        emit ContainmentEngaged(
            protocolId, action, nonce, evidenceFromBlock, evidenceHash, expiresAt, hookSucceeded, msg.sender
        );
    }

    /// @dev Record the containment and call the hook. It is recorded as engaged before the hook
    /// runs (one write when the hook succeeds). A failed hook is not a containment: whatever was
    /// in force stays so, no cooldown starts, the release block does not move (the evidence still
    /// stands for another action); the nonce is used up and this action is refused until the hook
    /// is proven again.
    function _engage(
        bytes32 protocolId,
        Policy memory policy,
        ContainmentState storage state,
        uint8 action,
        uint8 replaced,
        bytes32 evidenceHash
    ) private returns (bool ok, uint64 expiresAt) {
        expiresAt = uint64(block.timestamp) + policy.maxDuration;
        ContainmentState memory before = state;
        _record(protocolId, before.nonce + 1, action, replaced, expiresAt, before.failedAction);
        ok = _callHook(
            protocolId,
            policy.target,
            policy.hookKind == HOOK_KIND_GUARDABLE
                ? abi.encodeCall(IGuardable.engageContainment, (action, expiresAt, evidenceHash))
                : abi.encodePacked(policy.pauseSelector)
        );
        if (!ok) {
            before.nonce += 1;
            before.hookSucceeded = false;
            before.failedAction = action;
            _containments[protocolId] = before;
        }
    }

    /// @dev The group key's signature over the digest of these arguments, or a revert.
    function _checkSignature(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash,
        bytes calldata signature
    ) private view {
        if (signature.length != _SIGNATURE_LENGTH) revert GuardianOracleInvalidSignatureLength(signature.length);
        (address keyData, uint64 epoch) = _currentKey();
        bytes32 digest =
            _authorizationDigest(epoch, protocolId, action, nonce, deadline, evidenceFromBlock, evidenceHash);
        if (!_verifyAuthorization(keyData, digest, signature)) revert GuardianOracleInvalidSignature();
    }

    /// @dev The policy rules of {authorize}, in order; returns the weaker action a PAUSE replaces
    /// (0 when no containment is in force).
    function _checkPolicy(
        bytes32 protocolId,
        Policy memory policy,
        ContainmentState storage stored,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock
    ) private view returns (uint8 replaced) {
        if (policy.target == address(0)) revert GuardianOracleNotRegistered(protocolId);
        if (action == 0 || action > MAX_ACTION || (policy.allowedActions & (uint8(1) << action)) == 0) {
            revert GuardianOracleActionNotAllowed(protocolId, action);
        }
        ContainmentState memory state = stored;
        if (nonce != state.nonce) revert GuardianOracleInvalidNonce(state.nonce, nonce);
        if (block.timestamp > deadline) revert GuardianOracleDeadlineExpired(deadline);
        if (evidenceFromBlock <= state.releaseBlock) {
            revert GuardianOracleEvidenceBeforeRelease(state.releaseBlock, evidenceFromBlock);
        }
        if (action == state.failedAction) revert GuardianOracleHookFailedBefore(protocolId, action);
        if (block.timestamp < state.expiresAt) {
            // Only escalation: a PAUSE may replace a weaker action in force.
            if (action != ACTION_PAUSE || state.action == ACTION_PAUSE) {
                revert GuardianOracleContainmentActive(protocolId, state.expiresAt);
            }
            replaced = state.action;
        } else if (state.engagedAt != 0) {
            uint64 availableAt = uint64(state.expiresAt) + policy.cooldown; // both are bounded
            if (block.timestamp < availableAt) revert GuardianOracleCooldownActive(protocolId, availableAt);
        }
    }

    /// @inheritdoc IGuardianOracle
    function liftContainment(bytes32 protocolId) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert GuardianOracleUnauthorized(msg.sender);
        ContainmentState storage state = _containments[protocolId];
        if (block.timestamp >= state.expiresAt) revert GuardianOracleNoActiveContainment(protocolId);

        _release(state);
        emit ContainmentLifted(protocolId, msg.sender);
        if (r.policy.hookKind == HOOK_KIND_GUARDABLE) {
            address target = r.policy.target;
            _callHook(protocolId, target, abi.encodeCall(IGuardable.liftContainment, (state.action)));
            uint8 replaced = state.replacedAction;
            if (replaced != 0) _callHook(protocolId, target, abi.encodeCall(IGuardable.liftContainment, (replaced)));
        }
    }

    /// @inheritdoc IGuardianOracle
    function containmentLiftedByTarget(uint8 action) external nonReentrant {
        bytes32 protocolId = protocolIdOf(msg.sender);
        if (_registration(protocolId).policy.target != msg.sender) return;
        ContainmentState storage state = _containments[protocolId];
        if (block.timestamp >= state.expiresAt || state.action != action) return;
        _release(state);
        emit ContainmentLifted(protocolId, msg.sender);
    }

    /// @inheritdoc IGuardianOracle
    function extendContainment(bytes32 protocolId, uint64 newExpiresAt) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert GuardianOracleUnauthorized(msg.sender);
        ContainmentState storage state = _containments[protocolId];
        uint64 current = state.expiresAt;
        if (block.timestamp >= current) revert GuardianOracleNoActiveContainment(protocolId);
        // The cap is on the whole containment, measured from its engagement.
        if (newExpiresAt <= current || newExpiresAt > uint64(state.engagedAt) + MAX_CONTAINMENT_DURATION) {
            revert GuardianOracleInvalidExpiry(newExpiresAt);
        }

        state.expiresAt = uint48(newExpiresAt);
        emit ContainmentExtended(protocolId, newExpiresAt);
        if (r.policy.hookKind == HOOK_KIND_GUARDABLE) {
            bool ok = _callHook(
                protocolId,
                r.policy.target,
                abi.encodeCall(IGuardable.engageContainment, (state.action, newExpiresAt, bytes32(0)))
            );
            if (!ok) revert GuardianOracleHookFailed(protocolId);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGuardianOracle
    function nonces(bytes32 protocolId) external view returns (uint64) {
        return _containments[protocolId].nonce;
    }

    /// @inheritdoc IGuardianOracle
    function lastReleaseBlock(bytes32 protocolId) external view returns (uint64) {
        return _containments[protocolId].releaseBlock;
    }

    /// @inheritdoc IGuardianOracle
    function containment(bytes32 protocolId)
        external
        view
        returns (uint8 action, uint64 engagedAt, uint64 expiresAt, bool hookSucceeded, bool active)
    {
        ContainmentState memory s = _containments[protocolId];
        if (s.engagedAt == 0) return (0, 0, 0, false, false);
        return (s.action, s.engagedAt, s.expiresAt, s.hookSucceeded, block.timestamp < s.expiresAt);
    }

    /// @inheritdoc IGuardianOracle
    function failedHookAction(bytes32 protocolId) external view returns (uint8) {
        return _containments[protocolId].failedAction;
    }

    // ---------------------------------------------------------------- internals

    /// @dev A registered protocol's record is never all zero (cheaper first {authorize}); the nonce
    /// survives deregistration, so a record is prepared only once.
    function _afterRegister(bytes32 protocolId) internal override {
        ContainmentState storage state = _containments[protocolId];
        if (state.nonce == 0 && !state.hookSucceeded) state.hookSucceeded = true;
        if (state.failedAction != 0) state.failedAction = 0; // the hook was just proven
    }

    /// @dev An update proves the hook again: an action whose hook failed may be authorized again.
    function _afterUpdate(bytes32 protocolId) internal override {
        ContainmentState storage state = _containments[protocolId];
        if (state.failedAction != 0) state.failedAction = 0;
    }

    /// @dev The record of a containment engaged now (one slot, written once when its hook succeeds).
    function _record(
        bytes32 protocolId,
        uint64 nextNonce,
        uint8 action,
        uint8 replaced,
        uint64 expiresAt,
        uint8 failedAction
    ) private {
        _containments[protocolId] = ContainmentState({
            nonce: nextNonce,
            action: action,
            replacedAction: replaced,
            engagedAt: uint48(block.timestamp),
            expiresAt: uint48(expiresAt),
            releaseBlock: uint48(block.number),
            hookSucceeded: true,
            failedAction: failedAction
        });
    }

    /// @dev End the containment in force now; evidence must start after this block.
    function _release(ContainmentState storage state) private {
        state.expiresAt = uint48(block.timestamp);
        state.releaseBlock = uint48(block.number);
    }

    /// @dev {_callWithHookGas}, and a HookCallFailed event when the hook fails.
    function _callHook(bytes32 protocolId, address target, bytes memory data) private returns (bool ok) {
        ok = _callWithHookGas(target, data);
        // forge-lint: disable-next-line(unsafe-typecast)
        if (!ok) emit HookCallFailed(protocolId, bytes4(data)); // the first 4 bytes: the selector
    }
}
