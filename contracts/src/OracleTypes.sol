// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice A view call the guardians evaluate as a protocol invariant; it must return `true`
/// (ABI-encoded bool) while the protocol is healthy. Example: `pool.isSolvent()`.
struct InvariantCall {
    address target;
    bytes data;
}

/// @notice The detection rules every guardian applies to a registered protocol. Keeping them on
/// chain means every guardian applies the same rules.
/// @param monitored Contracts whose token outflows and balances are watched.
/// @param tokens ERC-20 tokens to watch on the monitored contracts.
/// @param outflowLimitBps Largest net outflow (basis points of the balance at the start of the
/// window) tolerated over `windowBlocks` blocks; 0 disables the outflow rule.
/// @param windowBlocks Length of the outflow window in blocks.
/// @param balanceDropBps Largest balance drop (basis points) between two consecutive blocks; 0
/// disables the rule.
/// @param invariants View calls that must keep returning true.
struct DetectionParams {
    address[] monitored;
    address[] tokens;
    uint16 outflowLimitBps;
    uint32 windowBlocks;
    uint16 balanceDropBps;
    InvariantCall[] invariants;
}

/// @notice What a protocol registers with the GuardianOracle.
/// @param target The contract acted upon; `protocolId = keccak256(abi.encode(target))`.
/// @param admin The protocol's governance: may update, deregister, lift and extend.
/// @param allowedActions Bitmask of allowed actions, bit `1 << action` (actions 1..3).
/// @param hookKind 0: call `IGuardable.engageContainment`; 1: call `pauseSelector` with no
/// arguments (an OpenZeppelin `Pausable`-style `pause()` the oracle is allowed to call).
/// @param pauseSelector The selector for hookKind 1; must be zero for hookKind 0.
/// @param maxDuration How long a containment lasts, in seconds (at most 30 days).
/// @param cooldown Seconds after a containment ends before the guardians may engage another
/// (at most 30 days).
/// @param detection The detection rules.
struct RegistrationParams {
    address target;
    address admin;
    uint8 allowedActions;
    uint8 hookKind;
    bytes4 pauseSelector;
    uint64 maxDuration;
    uint64 cooldown;
    DetectionParams detection;
}
