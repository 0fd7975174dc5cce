// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {RegistrationParams} from "./OracleTypes.sol";

/// @title IGuardianOracle
/// @notice The GuardianOracle's external interface: its events, its errors and every external
/// function with its documentation. The guardians' threshold BLS signature over an authorization
/// digest engages a containment (pause, circuit breaker, collateral lock) within the policy a
/// protocol registered; the protocol's own governance lifts or extends it; the group key changes
/// only through a governance timelock. See {GuardianOracle} for the rules in one place.
/// @dev Error names carry the contract's name (`GuardianOracle...`), as OpenZeppelin's do
/// (`ERC20InsufficientBalance`), so a revert decoded anywhere says where it came from.
interface IGuardianOracle {
    // ---------------------------------------------------------------- events

    /// @notice A protocol registered.
    event ProtocolRegistered(bytes32 indexed protocolId, address indexed target, address admin);
    /// @notice A protocol's registration changed.
    event ProtocolUpdated(bytes32 indexed protocolId);
    /// @notice A protocol left the registry.
    event ProtocolDeregistered(bytes32 indexed protocolId);
    /// @notice The guardians engaged a containment.
    event ContainmentEngaged(
        bytes32 indexed protocolId,
        uint8 action,
        uint64 nonce,
        uint64 keyEpoch,
        bytes32 evidenceHash,
        uint64 expiresAt,
        bool hookSucceeded,
        address submitter
    );
    /// @notice The protocol's admin lifted a containment before it expired.
    event ContainmentLifted(bytes32 indexed protocolId, address by);
    /// @notice The protocol's admin extended a containment.
    event ContainmentExtended(bytes32 indexed protocolId, uint64 newExpiresAt);
    /// @notice A protocol hook call reverted or ran out of its gas (the oracle carried on).
    event HookCallFailed(bytes32 indexed protocolId, bytes4 selector);
    /// @notice Governance queued a new group key for `epoch`.
    event KeyRotationQueued(uint64 epoch, bytes groupPublicKey, uint64 executableAt);
    /// @notice Governance cancelled the queued rotation to `epoch`.
    event KeyRotationCancelled(uint64 epoch);
    /// @notice The group key changed.
    event KeyRotated(uint64 epoch, bytes groupPublicKey, uint16 threshold, uint16 guardianCount);

    // ---------------------------------------------------------------- errors: keys

    /// @notice The caller may not perform this operation.
    error GuardianOracleUnauthorized(address caller);
    /// @notice A required address is zero.
    error GuardianOracleZeroAddress();
    /// @notice The public key is not a 128-byte EIP-2537 G1 point in the subgroup, or is infinity.
    error GuardianOracleInvalidPublicKey();
    /// @notice Not 1 <= threshold <= guardianCount <= MAX_GUARDIANS.
    error GuardianOracleInvalidThreshold(uint16 threshold, uint16 guardianCount);
    /// @notice The rotation delay is zero.
    error GuardianOracleInvalidRotationDelay();
    /// @notice The key data contract could not be created.
    error GuardianOracleKeyStorageFailed();
    /// @notice A key rotation is already queued.
    error GuardianOracleRotationAlreadyQueued();
    /// @notice No key rotation is queued.
    error GuardianOracleRotationNotQueued();
    /// @notice The queued key rotation cannot be executed before `executableAt`.
    error GuardianOracleRotationNotReady(uint64 executableAt);

    // ---------------------------------------------------------------- errors: registry

    /// @notice The target has no code.
    error GuardianOracleTargetHasNoCode(address target);
    /// @notice allowedActions is zero or uses bits other than 1..3.
    error GuardianOracleInvalidAllowedActions(uint8 allowedActions);
    /// @notice hookKind is not 0 or 1.
    error GuardianOracleInvalidHookKind(uint8 hookKind);
    /// @notice pauseSelector is zero for hookKind 1, or non-zero for hookKind 0.
    error GuardianOracleInvalidPauseSelector(bytes4 pauseSelector);
    /// @notice maxDuration is zero or above MAX_CONTAINMENT_DURATION.
    error GuardianOracleInvalidMaxDuration(uint64 maxDuration);
    /// @notice cooldown is above MAX_COOLDOWN.
    error GuardianOracleInvalidCooldown(uint64 cooldown);
    /// @notice More than MAX_DETECTION_ENTRIES monitored contracts, tokens or invariants.
    error GuardianOracleTooManyDetectionEntries(uint256 count);
    /// @notice A monitored contract, token or invariant target is the zero address.
    error GuardianOracleInvalidDetectionAddress();
    /// @notice An invariant call's calldata is longer than MAX_INVARIANT_CALLDATA.
    error GuardianOracleInvariantCalldataTooLong(uint256 length);
    /// @notice A basis-point value is above 10,000.
    error GuardianOracleInvalidBps(uint16 bps);
    /// @notice windowBlocks is above MAX_WINDOW_BLOCKS, or zero while the outflow rule is on.
    error GuardianOracleInvalidWindowBlocks(uint32 windowBlocks);
    /// @notice updateRegistration may not change the target (the protocol id derives from it).
    error GuardianOracleTargetMismatch(address registered, address given);
    /// @notice The protocol is already registered.
    error GuardianOracleAlreadyRegistered(bytes32 protocolId);
    /// @notice The protocol is not registered.
    error GuardianOracleNotRegistered(bytes32 protocolId);

    // ---------------------------------------------------------------- errors: containment

    /// @notice The protocol does not allow this action (or it is not an action at all).
    error GuardianOracleActionNotAllowed(bytes32 protocolId, uint8 action);
    /// @notice The nonce is not the protocol's next nonce.
    error GuardianOracleInvalidNonce(uint64 expected, uint64 given);
    /// @notice The authorization's deadline has passed.
    error GuardianOracleDeadlineExpired(uint64 deadline);
    /// @notice A containment is in force until `expiresAt`.
    error GuardianOracleContainmentActive(bytes32 protocolId, uint64 expiresAt);
    /// @notice The protocol's cooldown lasts until `availableAt`.
    error GuardianOracleCooldownActive(bytes32 protocolId, uint64 availableAt);
    /// @notice The signature is not 256 bytes (an EIP-2537 G2 point).
    error GuardianOracleInvalidSignatureLength(uint256 length);
    /// @notice The signature does not verify under the group key.
    error GuardianOracleInvalidSignature();
    /// @notice Too little gas left to give the hook its full HOOK_GAS_LIMIT.
    error GuardianOracleInsufficientGasForHook();
    /// @notice No containment is in force for the protocol.
    error GuardianOracleNoActiveContainment(bytes32 protocolId);
    /// @notice The new expiry is not later than the current one or too far in the future.
    error GuardianOracleInvalidExpiry(uint64 newExpiresAt);
    /// @notice The protocol hook failed while extending a containment.
    error GuardianOracleHookFailed(bytes32 protocolId);
    /// @notice Re-entered a guarded function.
    error GuardianOracleReentrantCall();

    // ---------------------------------------------------------------- registry

    /// @notice Register a protocol. The caller must be the target itself or the declared admin.
    /// @dev Whoever registers a target first holds its id; the target itself can always evict a
    /// registration through {deregister} and register again.
    /// @param params The registration (validated: see the errors).
    /// @return protocolId `keccak256(abi.encode(params.target))`.
    function register(RegistrationParams calldata params) external returns (bytes32 protocolId);

    /// @notice Replace a protocol's registration (admin, policy and detection rules). The caller
    /// must be the registered admin or the target; the target cannot change.
    /// @dev A containment in force keeps its expiry; the new policy applies from the next one.
    /// @param protocolId The protocol.
    /// @param params The new registration.
    function updateRegistration(bytes32 protocolId, RegistrationParams calldata params) external;

    /// @notice Remove a protocol from the registry. The caller must be the admin or the target.
    /// @dev The nonce and the containment record are kept: a containment in force still expires
    /// at its time, and old authorizations cannot be replayed after a new registration.
    /// @param protocolId The protocol.
    function deregister(bytes32 protocolId) external;

    /// @notice Whether `protocolId` is registered.
    function isRegistered(bytes32 protocolId) external view returns (bool);

    /// @notice All registered protocol ids (order changes on deregistration).
    function protocolIds() external view returns (bytes32[] memory);

    /// @notice The registration of `protocolId`; reverts with GuardianOracleNotRegistered if
    /// there is none.
    function getRegistration(bytes32 protocolId) external view returns (RegistrationParams memory params);

    /// @notice The protocol id of `target`: `keccak256(abi.encode(target))`.
    function protocolIdOf(address target) external pure returns (bytes32);

    // ---------------------------------------------------------------- containment

    /// @notice Engage a containment authorized by a threshold of guardians. Anyone may submit.
    /// @dev The hook receives exactly HOOK_GAS_LIMIT gas; the call reverts with
    /// GuardianOracleInsufficientGasForHook if the submitter did not leave enough, so no submitter
    /// can make the hook fail by starving it. A failing hook is recorded, never a revert. No
    /// return data is copied from the hook.
    /// @param protocolId The protocol to contain.
    /// @param action 1 pause, 2 circuit breaker, 3 collateral lock.
    /// @param nonce Must equal `nonces(protocolId)`.
    /// @param deadline Last timestamp at which the authorization is valid.
    /// @param evidenceHash keccak256 of the canonical evidence the guardians agreed on.
    /// @param signature The group's BLS signature over the digest, 256-byte EIP-2537 G2 encoding.
    /// @return hookSucceeded Whether the protocol hook call succeeded.
    function authorize(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        bytes32 evidenceHash,
        bytes calldata signature
    ) external returns (bool hookSucceeded);

    /// @notice Lift the containment in force before it expires. Only the protocol's admin.
    /// @dev The cooldown starts now. For hookKind 0 the oracle calls
    /// `IGuardable.liftContainment(action)`; its failure is tolerated (governance can lift on the
    /// protocol directly). For hookKind 1 only the oracle's record changes: the protocol's own
    /// governance unpauses it.
    /// @param protocolId The protocol.
    function liftContainment(bytes32 protocolId) external;

    /// @notice Extend the containment in force. Only the protocol's admin (guardians cannot
    /// extend: a new authorization during a containment reverts).
    /// @dev For hookKind 0 the oracle re-engages the hook with the new expiry and reverts with
    /// GuardianOracleHookFailed if that fails, so the record and the protocol never disagree.
    /// @param protocolId The protocol.
    /// @param newExpiresAt Later than the current expiry, at most MAX_CONTAINMENT_DURATION from now.
    function extendContainment(bytes32 protocolId, uint64 newExpiresAt) external;

    /// @notice The next nonce the guardians must sign for `protocolId`.
    function nonces(bytes32 protocolId) external view returns (uint64);

    /// @notice The latest containment of `protocolId` (all zero if there was none).
    /// @return action The action engaged.
    /// @return engagedAt When it was engaged.
    /// @return expiresAt When it ends (or ended; a lift sets it to the lift time).
    /// @return evidenceHash The evidence hash of the authorization.
    /// @return hookSucceeded Whether the engage hook call succeeded.
    /// @return active Whether it is in force now.
    function containment(bytes32 protocolId)
        external
        view
        returns (uint8 action, uint64 engagedAt, uint64 expiresAt, bytes32 evidenceHash, bool hookSucceeded, bool active);

    // ---------------------------------------------------------------- group key

    /// @notice Queue a new group key; executable after `rotationDelay`. Only governance.
    /// @param groupPublicKey_ The new key, 128-byte EIP-2537 G1 encoding (checked in the subgroup).
    /// @param threshold_ The new threshold t.
    /// @param guardianCount_ The new guardian count n.
    function queueKeyRotation(bytes calldata groupPublicKey_, uint16 threshold_, uint16 guardianCount_) external;

    /// @notice Install the queued key once its delay has passed; the epoch increases by one and
    /// authorizations signed for the previous epoch stop verifying. Only governance.
    function executeKeyRotation() external;

    /// @notice Drop the queued key rotation. Only governance.
    function cancelKeyRotation() external;

    /// @notice The protocol's governance: the only party that may rotate the group key.
    function governance() external view returns (address);

    /// @notice Seconds between queueing and executing a key rotation.
    function rotationDelay() external view returns (uint64);

    /// @notice The epoch of the current group key (starts at 1).
    function keyEpoch() external view returns (uint64);

    /// @notice The current group public key, 128-byte EIP-2537 G1 encoding.
    function groupPublicKey() external view returns (bytes memory);

    /// @notice The current threshold t.
    function threshold() external view returns (uint16);

    /// @notice The current guardian count n.
    function guardianCount() external view returns (uint16);

    /// @notice The queued key rotation; `executableAt == 0` when none is queued.
    function pendingKeyRotation()
        external
        view
        returns (uint64 epoch, bytes memory groupPublicKey_, uint16 threshold_, uint16 guardianCount_, uint64 executableAt);

    /// @notice The digest the guardians must sign for these values under the current key epoch.
    function authorizationDigest(bytes32 protocolId, uint8 action, uint64 nonce, uint64 deadline, bytes32 evidenceHash)
        external
        view
        returns (bytes32);
}
