// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {GuardianOracleKeys} from "./oracle/GuardianOracleKeys.sol";
import {GuardianOracleRegistry} from "./oracle/GuardianOracleRegistry.sol";
import {GuardianOracleContainment} from "./oracle/GuardianOracleContainment.sol";

/// @title GuardianOracle
/// @notice The on-chain end of the Guardian Network. It stores the guardians' threshold BLS group
/// public key and a registry of protected protocols; it executes a containment (pause, circuit
/// breaker, collateral lock) when it receives one BLS signature of the group over an authorization
/// digest it recomputes itself, and only within the policy the protocol registered.
///
/// Rules enforced by {authorize}:
/// - the protocol is registered and allows the action (bit `1 << action` of `allowedActions`);
/// - `nonce == nonces(protocolId)` (then incremented), `block.timestamp <= deadline`;
/// - no containment is in force and the protocol's cooldown has elapsed since the last one ended;
/// - the signature verifies under the current group key (the key epoch is part of the digest, so
///   signatures made for an earlier key fail after a rotation).
///
/// A containment lasts the registered `maxDuration` and ends by itself. Only the protocol's admin
/// (its governance) may lift it early or extend it; guardians cannot extend one. The hook is called
/// with exactly {HOOK_GAS_LIMIT} gas: a reverting or gas-burning hook is recorded as failed and
/// never blocks the oracle. The group key changes only through a governance timelock: queue, wait
/// `rotationDelay`, execute (the epoch increases by one).
/// @dev Assembled from three parts, each readable on its own (docs/architecture-contracts.md):
/// - {GuardianOracleKeys}: the group key, its timelocked rotation, the digest and its check;
/// - {GuardianOracleRegistry}: registration, its validation and bounds;
/// - {GuardianOracleContainment}: authorize, lift, extend, and the gas-bounded hook call.
/// Events, errors and the documentation of every external function are in {IGuardianOracle}.
contract GuardianOracle is GuardianOracleContainment {
    /// @param governance_ The governance (timelock) allowed to rotate the group key.
    /// @param groupPublicKey_ The group public key, 128-byte EIP-2537 G1 encoding.
    /// @param threshold_ Signatures needed (t).
    /// @param guardianCount_ Guardians in the set (n).
    /// @param rotationDelay_ Seconds between queueing and executing a key rotation (non-zero).
    /// @param registrationBond_ The bond of the first registration in wei ({registrationBond}).
    constructor(
        address governance_,
        bytes memory groupPublicKey_,
        uint16 threshold_,
        uint16 guardianCount_,
        uint64 rotationDelay_,
        uint256 registrationBond_
    )
        GuardianOracleKeys(governance_, groupPublicKey_, threshold_, guardianCount_, rotationDelay_)
        GuardianOracleRegistry(registrationBond_)
    {}
}
