// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../IGuardianOracle.sol";
import {InvariantCall, DetectionParams, RegistrationParams} from "../OracleTypes.sol";
import {OracleConstants} from "./OracleConstants.sol";

/// @title GuardianOracleRegistry
/// @notice The registry of protected protocols: who may register, update and deregister one, and
/// what a registration may contain (policy and detection rules, each bounded).
/// @dev Registration needs the consent of the target itself or of the admin it declares. The
/// part {authorize} reads (the Policy) fits in one storage slot.
abstract contract GuardianOracleRegistry is IGuardianOracle {
    /// @notice Upper bound for `maxDuration` and for an extended containment.
    uint64 public constant MAX_CONTAINMENT_DURATION = OracleConstants.MAX_CONTAINMENT_DURATION;
    /// @notice Upper bound for `cooldown`.
    uint64 public constant MAX_COOLDOWN = OracleConstants.MAX_COOLDOWN;
    /// @notice Largest number of monitored contracts, tokens and invariants (each).
    uint256 public constant MAX_DETECTION_ENTRIES = OracleConstants.MAX_DETECTION_ENTRIES;
    /// @notice Largest calldata of one invariant call.
    uint256 public constant MAX_INVARIANT_CALLDATA = OracleConstants.MAX_INVARIANT_CALLDATA;
    /// @notice Largest outflow window (one week of 12 s blocks).
    uint32 public constant MAX_WINDOW_BLOCKS = OracleConstants.MAX_WINDOW_BLOCKS;
    /// @notice Hook kind: call `IGuardable.engageContainment` / `liftContainment`.
    uint8 public constant HOOK_KIND_GUARDABLE = OracleConstants.HOOK_KIND_GUARDABLE;
    /// @notice Hook kind: call the registered `pauseSelector` with no arguments.
    uint8 public constant HOOK_KIND_SELECTOR = OracleConstants.HOOK_KIND_SELECTOR;

    /// @dev allowedActions may only use bits 1..3.
    uint8 private constant _ACTION_BITS = 0x0e;

    /// @dev The part of a registration {authorize} reads: one slot.
    struct Policy {
        address target;
        uint8 allowedActions;
        uint8 hookKind;
        bytes4 pauseSelector;
        uint24 maxDuration; // <= MAX_CONTAINMENT_DURATION (a test keeps it below 2**24)
        uint24 cooldown; // <= MAX_COOLDOWN
    }

    struct Registration {
        Policy policy;
        address admin;
        DetectionParams detection;
    }

    mapping(bytes32 => Registration) private _registrations;
    bytes32[] private _protocolIds;
    mapping(bytes32 => uint256) private _protocolIndex; // position in _protocolIds plus one

    // ---------------------------------------------------------------- register, update, leave

    /// @inheritdoc IGuardianOracle
    function register(RegistrationParams calldata params) external returns (bytes32 protocolId) {
        if (msg.sender != params.target && msg.sender != params.admin) revert GuardianOracleUnauthorized(msg.sender);
        _validateRegistration(params);
        protocolId = protocolIdOf(params.target);
        Registration storage r = _registrations[protocolId];
        if (r.policy.target != address(0)) revert GuardianOracleAlreadyRegistered(protocolId);

        _storeRegistration(r, params);
        _protocolIds.push(protocolId);
        _protocolIndex[protocolId] = _protocolIds.length;
        _afterRegister(protocolId);
        emit ProtocolRegistered(protocolId, params.target, params.admin);
    }

    /// @inheritdoc IGuardianOracle
    function updateRegistration(bytes32 protocolId, RegistrationParams calldata params) external {
        Registration storage r = _requireRegistered(protocolId);
        address target = r.policy.target;
        if (msg.sender != r.admin && msg.sender != target) revert GuardianOracleUnauthorized(msg.sender);
        if (params.target != target) revert GuardianOracleTargetMismatch(target, params.target);
        _validateRegistration(params);
        _storeRegistration(r, params);
        emit ProtocolUpdated(protocolId);
    }

    /// @inheritdoc IGuardianOracle
    function deregister(bytes32 protocolId) external {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin && msg.sender != r.policy.target) revert GuardianOracleUnauthorized(msg.sender);

        uint256 index = _protocolIndex[protocolId] - 1;
        uint256 last = _protocolIds.length - 1;
        if (index != last) {
            bytes32 moved = _protocolIds[last];
            _protocolIds[index] = moved;
            _protocolIndex[moved] = index + 1;
        }
        _protocolIds.pop();
        delete _protocolIndex[protocolId];
        _clearDetection(r.detection);
        delete _registrations[protocolId];
        emit ProtocolDeregistered(protocolId);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGuardianOracle
    function isRegistered(bytes32 protocolId) external view returns (bool) {
        return _registrations[protocolId].policy.target != address(0);
    }

    /// @inheritdoc IGuardianOracle
    function protocolIds() external view returns (bytes32[] memory) {
        return _protocolIds;
    }

    /// @inheritdoc IGuardianOracle
    function getRegistration(bytes32 protocolId) external view returns (RegistrationParams memory params) {
        Registration storage r = _requireRegistered(protocolId);
        Policy memory policy = r.policy;
        params.target = policy.target;
        params.admin = r.admin;
        params.allowedActions = policy.allowedActions;
        params.hookKind = policy.hookKind;
        params.pauseSelector = policy.pauseSelector;
        params.maxDuration = policy.maxDuration;
        params.cooldown = policy.cooldown;
        params.detection = r.detection;
    }

    /// @inheritdoc IGuardianOracle
    function protocolIdOf(address target) public pure returns (bytes32) {
        return keccak256(abi.encode(target));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Runs once per registration, before its event: the containment part prepares the
    /// protocol's record there.
    function _afterRegister(bytes32 protocolId) internal virtual;

    /// @dev The registration of `protocolId` (all zero when it is not registered).
    function _registration(bytes32 protocolId) internal view returns (Registration storage) {
        return _registrations[protocolId];
    }

    /// @dev The registration of `protocolId`; reverts with GuardianOracleNotRegistered if none.
    function _requireRegistered(bytes32 protocolId) internal view returns (Registration storage r) {
        r = _registrations[protocolId];
        if (r.policy.target == address(0)) revert GuardianOracleNotRegistered(protocolId);
    }

    function _validateRegistration(RegistrationParams calldata p) private view {
        if (p.target == address(0) || p.admin == address(0)) revert GuardianOracleZeroAddress();
        if (p.target.code.length == 0) revert GuardianOracleTargetHasNoCode(p.target);
        if (p.allowedActions == 0 || (p.allowedActions & ~_ACTION_BITS) != 0) {
            revert GuardianOracleInvalidAllowedActions(p.allowedActions);
        }
        if (p.hookKind == HOOK_KIND_GUARDABLE) {
            if (p.pauseSelector != bytes4(0)) revert GuardianOracleInvalidPauseSelector(p.pauseSelector);
        } else if (p.hookKind == HOOK_KIND_SELECTOR) {
            if (p.pauseSelector == bytes4(0)) revert GuardianOracleInvalidPauseSelector(p.pauseSelector);
        } else {
            revert GuardianOracleInvalidHookKind(p.hookKind);
        }
        if (p.maxDuration == 0 || p.maxDuration > MAX_CONTAINMENT_DURATION) {
            revert GuardianOracleInvalidMaxDuration(p.maxDuration);
        }
        if (p.cooldown > MAX_COOLDOWN) revert GuardianOracleInvalidCooldown(p.cooldown);

        DetectionParams calldata d = p.detection;
        _validateAddresses(d.monitored);
        _validateAddresses(d.tokens);
        if (d.outflowLimitBps > OracleConstants.MAX_BPS) revert GuardianOracleInvalidBps(d.outflowLimitBps);
        if (d.balanceDropBps > OracleConstants.MAX_BPS) revert GuardianOracleInvalidBps(d.balanceDropBps);
        if (d.windowBlocks > MAX_WINDOW_BLOCKS || (d.outflowLimitBps != 0 && d.windowBlocks == 0)) {
            revert GuardianOracleInvalidWindowBlocks(d.windowBlocks);
        }
        uint256 n = d.invariants.length;
        if (n > MAX_DETECTION_ENTRIES) revert GuardianOracleTooManyDetectionEntries(n);
        for (uint256 i; i < n; ++i) {
            InvariantCall calldata inv = d.invariants[i];
            if (inv.target == address(0)) revert GuardianOracleInvalidDetectionAddress();
            if (inv.data.length > MAX_INVARIANT_CALLDATA) revert GuardianOracleInvariantCalldataTooLong(inv.data.length);
        }
    }

    function _validateAddresses(address[] calldata list) private pure {
        uint256 n = list.length;
        if (n > MAX_DETECTION_ENTRIES) revert GuardianOracleTooManyDetectionEntries(n);
        for (uint256 i; i < n; ++i) {
            if (list[i] == address(0)) revert GuardianOracleInvalidDetectionAddress();
        }
    }

    function _storeRegistration(Registration storage r, RegistrationParams calldata p) private {
        r.policy = Policy({
            target: p.target,
            allowedActions: p.allowedActions,
            hookKind: p.hookKind,
            pauseSelector: p.pauseSelector,
            maxDuration: uint24(p.maxDuration),
            cooldown: uint24(p.cooldown)
        });
        r.admin = p.admin;
        DetectionParams storage d = r.detection;
        _clearDetection(d);
        d.monitored = p.detection.monitored;
        d.tokens = p.detection.tokens;
        d.outflowLimitBps = p.detection.outflowLimitBps;
        d.windowBlocks = p.detection.windowBlocks;
        d.balanceDropBps = p.detection.balanceDropBps;
        uint256 n = p.detection.invariants.length;
        for (uint256 i; i < n; ++i) {
            InvariantCall storage inv = d.invariants.push();
            inv.target = p.detection.invariants[i].target;
            inv.data = p.detection.invariants[i].data;
        }
    }

    function _clearDetection(DetectionParams storage d) private {
        uint256 n = d.invariants.length;
        for (uint256 i; i < n; ++i) {
            delete d.invariants[i].data;
        }
        delete d.invariants;
        delete d.monitored;
        delete d.tokens;
    }
}
