// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardable, ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK, MAX_ACTION} from "./IGuardable.sol";

/// @title Guardable
/// @notice Base contract for a protocol protected by the Guardian Network. It keeps one expiry per
/// containment action and offers modifiers that block guarded entry points while a containment is
/// in force:
///
/// - {whenNotGuardianPaused}: blocked by a PAUSE.
/// - {whenNotCircuitBroken}: blocked by a CIRCUIT_BREAKER or a PAUSE.
/// - {whenWithdrawalsNotLocked}: blocked by a COLLATERAL_LOCK or a PAUSE.
///
/// A PAUSE is the strongest containment and therefore also blocks every other guarded function.
/// The names do not collide with OpenZeppelin's `Pausable` (`whenNotPaused`, `paused()`), so a
/// protocol can inherit both and keep its own governance pause beside the guardians' one.
///
/// Rules:
/// - Only the GuardianOracle may engage a containment (it has verified a threshold signature of
///   the guardians and checked the protocol's registered policy).
/// - A containment ends by itself once `block.timestamp >= expiresAt`; nobody has to act.
/// - Only the oracle (on the protocol admin's request) or the protocol's governance may lift a
///   containment early; a lift by the governance here is reported to the oracle.
/// @dev The oracle calls {engageContainment} with 100,000 gas. Overrides of
/// {_afterContainmentEngaged} must stay well within that budget.
abstract contract Guardable is IGuardable {
    /// @notice The GuardianOracle allowed to engage containments.
    address public immutable guardianOracle;
    /// @notice The protocol's governance (typically a timelock), allowed to lift containments.
    address public immutable guardianGovernance;

    /// @dev Expiry timestamp per action (index = action); 0 or a past value means "not engaged".
    /// The four uint64 share one storage slot. Index 0 is no action: the constructor sets it to 1
    /// so the slot is never zero, which makes the oracle's engage call (gas-bounded) a cheap
    /// non-zero to non-zero write (about 2,900 gas) instead of a 20,000 gas zero to non-zero one.
    uint64[MAX_ACTION + 1] private _expiresAt;

    /// @dev `IGuardianOracle.containmentLiftedByTarget(uint8)`.
    bytes4 private constant _CONTAINMENT_LIFTED_BY_TARGET = bytes4(keccak256("containmentLiftedByTarget(uint8)"));

    /// @notice Emitted when the oracle engages (or re-engages with a new expiry) a containment.
    event ContainmentApplied(uint8 indexed action, uint64 expiresAt, bytes32 evidenceHash);
    /// @notice Emitted when a containment is lifted before its expiry.
    event ContainmentReleased(uint8 indexed action, address by);

    /// @notice The caller is neither the oracle nor (where allowed) the governance.
    error GuardableUnauthorized(address caller);
    /// @notice The action is not one of PAUSE, CIRCUIT_BREAKER, COLLATERAL_LOCK.
    error GuardableInvalidAction(uint8 action);
    /// @notice The expiry is not in the future.
    error GuardableInvalidExpiry(uint64 expiresAt);
    /// @notice A constructor address is zero.
    error GuardableZeroAddress();
    /// @notice The protocol is paused until `expiresAt`.
    error GuardablePaused(uint64 expiresAt);
    /// @notice The circuit breaker is engaged until `expiresAt`.
    error GuardableCircuitBroken(uint64 expiresAt);
    /// @notice Withdrawals are locked until `expiresAt`.
    error GuardableWithdrawalsLocked(uint64 expiresAt);

    /// @param oracle The GuardianOracle address.
    /// @param governance The protocol's governance (timelock) address.
    constructor(address oracle, address governance) {
        if (oracle == address(0) || governance == address(0)) revert GuardableZeroAddress();
        guardianOracle = oracle;
        guardianGovernance = governance;
        _expiresAt[0] = 1;
    }

    /// @dev Reverts while the guardians' PAUSE is in force. (Named so that it can sit beside
    /// OpenZeppelin `Pausable`'s `whenNotPaused`, which is the protocol's own pause.)
    modifier whenNotGuardianPaused() {
        _requireNotContained(ACTION_PAUSE);
        _;
    }

    /// @dev Reverts while a CIRCUIT_BREAKER or a PAUSE is in force.
    modifier whenNotCircuitBroken() {
        _requireNotContained(ACTION_PAUSE);
        _requireNotContained(ACTION_CIRCUIT_BREAKER);
        _;
    }

    /// @dev Reverts while a COLLATERAL_LOCK or a PAUSE is in force.
    modifier whenWithdrawalsNotLocked() {
        _requireNotContained(ACTION_PAUSE);
        _requireNotContained(ACTION_COLLATERAL_LOCK);
        _;
    }

    /// @inheritdoc IGuardable
    function engageContainment(uint8 action, uint64 expiresAt, bytes32 evidenceHash) external virtual override {
        if (msg.sender != guardianOracle) revert GuardableUnauthorized(msg.sender);
        _checkAction(action);
        if (expiresAt <= block.timestamp) revert GuardableInvalidExpiry(expiresAt);
        _expiresAt[action] = expiresAt;
        emit ContainmentApplied(action, expiresAt, evidenceHash);
        _afterContainmentEngaged(action, expiresAt);
    }

    /// @inheritdoc IGuardable
    /// @dev When the governance lifts here directly, the oracle is told
    /// (`containmentLiftedByTarget`), so its record ends too and the guardians cannot re-engage on
    /// evidence from before this block: one lift, wherever it is made. The notice cannot block the
    /// lift (its failure is ignored).
    function liftContainment(uint8 action) external virtual override {
        if (msg.sender != guardianOracle && msg.sender != guardianGovernance) {
            revert GuardableUnauthorized(msg.sender);
        }
        _checkAction(action);
        _expiresAt[action] = 0;
        emit ContainmentReleased(action, msg.sender);
        if (msg.sender != guardianOracle) {
            bytes memory data = abi.encodeWithSelector(_CONTAINMENT_LIFTED_BY_TARGET, action);
            address oracle = guardianOracle;
            assembly ("memory-safe") {
                pop(call(gas(), oracle, 0, add(data, 0x20), mload(data), 0, 0))
            }
        }
    }

    /// @notice Whether `action` is in force right now.
    function isContained(uint8 action) public view returns (bool) {
        if (action == 0 || action > MAX_ACTION) return false;
        return block.timestamp < _expiresAt[action];
    }

    /// @notice The timestamp at which `action` ends, or 0 if it is not in force.
    function containmentExpiresAt(uint8 action) public view returns (uint64) {
        return isContained(action) ? _expiresAt[action] : 0;
    }

    /// @notice Whether a PAUSE is in force.
    function isPaused() external view returns (bool) {
        return isContained(ACTION_PAUSE);
    }

    /// @notice Whether a CIRCUIT_BREAKER is in force (a PAUSE blocks the same functions as well).
    function isCircuitBroken() external view returns (bool) {
        return isContained(ACTION_CIRCUIT_BREAKER);
    }

    /// @notice Whether a COLLATERAL_LOCK is in force (a PAUSE blocks the same functions as well).
    function areWithdrawalsLocked() external view returns (bool) {
        return isContained(ACTION_COLLATERAL_LOCK);
    }

    /// @dev Hook for inheritors, run after a containment is engaged. Keep it cheap: the oracle
    /// gives the whole engage call 100,000 gas.
    function _afterContainmentEngaged(uint8 action, uint64 expiresAt) internal virtual {}

    function _requireNotContained(uint8 action) private view {
        uint64 until = _expiresAt[action];
        if (block.timestamp < until) {
            if (action == ACTION_PAUSE) revert GuardablePaused(until);
            if (action == ACTION_CIRCUIT_BREAKER) revert GuardableCircuitBroken(until);
            revert GuardableWithdrawalsLocked(until);
        }
    }

    function _checkAction(uint8 action) private pure {
        if (action == 0 || action > MAX_ACTION) revert GuardableInvalidAction(action);
    }
}
