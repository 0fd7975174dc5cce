// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @dev Containment actions, shared by the oracle and the protected protocols. The oracle's
/// registry stores the allowed actions as a bitmask with bit `1 << action` set per action.
uint8 constant ACTION_PAUSE = 1; // stop every guarded entry point
uint8 constant ACTION_CIRCUIT_BREAKER = 2; // suspend matching / borrowing / trading
uint8 constant ACTION_COLLATERAL_LOCK = 3; // suspend withdrawals
uint8 constant MAX_ACTION = 3;

/// @title IGuardable
/// @notice The hook a protocol exposes to the GuardianOracle. The oracle calls
/// {engageContainment} when a threshold of guardians authorizes a containment, and
/// {liftContainment} when the protocol's own governance lifts it early through the oracle.
/// @dev The oracle calls the hook with a bounded amount of gas (HOOK_GAS_LIMIT = 100,000) and
/// tolerates failure, so implementations must be cheap: record the state and emit an event.
interface IGuardable {
    /// @notice Engage the containment `action` until `expiresAt` (unix seconds).
    /// @dev Only the GuardianOracle may call this. Calling it again for an engaged action replaces
    /// the expiry (the oracle uses this to extend a containment at governance's request).
    /// @param action One of ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK.
    /// @param expiresAt The timestamp at which the containment ends by itself.
    /// @param evidenceHash keccak256 of the guardians' canonical evidence, for audit.
    function engageContainment(uint8 action, uint64 expiresAt, bytes32 evidenceHash) external;

    /// @notice Lift the containment `action` before it expires.
    /// @dev Only the GuardianOracle (acting for the protocol's registered admin) or the protocol's
    /// governance may call this.
    function liftContainment(uint8 action) external;
}
