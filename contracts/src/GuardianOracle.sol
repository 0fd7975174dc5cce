// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardable, MAX_ACTION} from "./IGuardable.sol";
import {BLS} from "./bls/BLS.sol";
import {InvariantCall, DetectionParams, RegistrationParams} from "./OracleTypes.sol";
import {OracleConstants} from "./oracle/OracleConstants.sol";

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
/// @dev The group key (128 bytes, EIP-2537 G1) is kept as the code of a small data contract
/// (the SSTORE2 pattern): reading it costs one cold EXTCODECOPY (~2,700 gas) instead of five cold
/// SLOADs (~10,500 gas), which matters for the 200k gas budget of {authorize}.
contract GuardianOracle {
    // ---------------------------------------------------------------- constants

    /// @notice Domain separator tag of the authorization digest.
    bytes32 public constant DOMAIN_TAG = OracleConstants.DOMAIN_TAG;
    /// @notice RFC 9380 domain separation tag used to hash the digest to G2.
    bytes public constant DST = OracleConstants.DST;
    /// @notice Gas given to every protocol hook call.
    uint256 public constant HOOK_GAS_LIMIT = OracleConstants.HOOK_GAS_LIMIT;
    /// @notice Gas the caller must leave on top of the hook's 63/64-rule share: the cold account
    /// access of the call (2,600) and the few instructions between the check and the call.
    uint256 public constant HOOK_GAS_MARGIN = OracleConstants.HOOK_GAS_MARGIN;
    /// @notice Upper bound for `maxDuration`, `cooldown` and an extended containment.
    uint64 public constant MAX_CONTAINMENT_DURATION = OracleConstants.MAX_CONTAINMENT_DURATION;
    /// @notice Upper bound for `cooldown`.
    uint64 public constant MAX_COOLDOWN = OracleConstants.MAX_COOLDOWN;
    /// @notice Largest guardian set.
    uint16 public constant MAX_GUARDIANS = OracleConstants.MAX_GUARDIANS;
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

    uint256 private constant _PUBLIC_KEY_LENGTH = 128;
    uint256 private constant _SIGNATURE_LENGTH = 256;
    address private constant _G1MSM_PRECOMPILE = address(0x0c);
    uint256 private constant _G1MSM_GAS = 50_000;
    /// @dev Sentinel stored in a fresh containment record's evidence slot so that the first
    /// {authorize} writes a non-zero slot (2,900 gas instead of 20,000); never returned by views.
    bytes32 private constant _EVIDENCE_UNSET = bytes32(uint256(1));
    /// @dev allowedActions may only use bits 1..3.
    uint8 private constant _ACTION_BITS = 0x0e;

    // ---------------------------------------------------------------- storage

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

    /// @dev The part of a registration {authorize} reads: one slot.
    struct Policy {
        address target;
        uint8 allowedActions;
        uint8 hookKind;
        bytes4 pauseSelector;
        uint24 maxDuration; // <= 30 days
        uint24 cooldown; // <= 30 days
    }

    struct Registration {
        Policy policy;
        address admin;
        DetectionParams detection;
    }

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

    /// @notice The protocol's governance: the only party that may rotate the group key.
    address public immutable governance;
    /// @notice Seconds between queueing and executing a key rotation.
    uint64 public immutable rotationDelay;

    KeyState private _key;
    PendingRotation private _pending;
    mapping(bytes32 => Registration) private _registrations;
    mapping(bytes32 => ContainmentRecord) private _containments;
    bytes32[] private _protocolIds;
    mapping(bytes32 => uint256) private _protocolIndex; // position in _protocolIds plus one
    bool private transient _entered;

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

    // ---------------------------------------------------------------- errors

    /// @notice The caller may not perform this operation.
    error Unauthorized(address caller);
    /// @notice A required address is zero.
    error ZeroAddress();
    /// @notice The public key is not a 128-byte EIP-2537 G1 point in the subgroup, or is infinity.
    error InvalidPublicKey();
    /// @notice Not 1 <= threshold <= guardianCount <= MAX_GUARDIANS.
    error InvalidThreshold(uint16 threshold, uint16 guardianCount);
    /// @notice The rotation delay is zero.
    error InvalidRotationDelay();
    /// @notice The key data contract could not be created.
    error KeyStorageFailed();
    /// @notice A key rotation is already queued.
    error RotationAlreadyQueued();
    /// @notice No key rotation is queued.
    error RotationNotQueued();
    /// @notice The queued key rotation cannot be executed before `executableAt`.
    error RotationNotReady(uint64 executableAt);
    /// @notice The target has no code.
    error TargetHasNoCode(address target);
    /// @notice allowedActions is zero or uses bits other than 1..3.
    error InvalidAllowedActions(uint8 allowedActions);
    /// @notice hookKind is not 0 or 1.
    error InvalidHookKind(uint8 hookKind);
    /// @notice pauseSelector is zero for hookKind 1, or non-zero for hookKind 0.
    error InvalidPauseSelector(bytes4 pauseSelector);
    /// @notice maxDuration is zero or above MAX_CONTAINMENT_DURATION.
    error InvalidMaxDuration(uint64 maxDuration);
    /// @notice cooldown is above MAX_COOLDOWN.
    error InvalidCooldown(uint64 cooldown);
    /// @notice More than MAX_DETECTION_ENTRIES monitored contracts, tokens or invariants.
    error TooManyDetectionEntries(uint256 count);
    /// @notice A monitored contract, token or invariant target is the zero address.
    error InvalidDetectionAddress();
    /// @notice An invariant call's calldata is longer than MAX_INVARIANT_CALLDATA.
    error InvariantCalldataTooLong(uint256 length);
    /// @notice A basis-point value is above 10,000.
    error InvalidBps(uint16 bps);
    /// @notice windowBlocks is above MAX_WINDOW_BLOCKS, or zero while the outflow rule is on.
    error InvalidWindowBlocks(uint32 windowBlocks);
    /// @notice updateRegistration may not change the target (the protocol id derives from it).
    error TargetMismatch(address registered, address given);
    /// @notice The protocol is already registered.
    error AlreadyRegistered(bytes32 protocolId);
    /// @notice The protocol is not registered.
    error NotRegistered(bytes32 protocolId);
    /// @notice The protocol does not allow this action (or it is not an action at all).
    error ActionNotAllowed(bytes32 protocolId, uint8 action);
    /// @notice The nonce is not the protocol's next nonce.
    error InvalidNonce(uint64 expected, uint64 given);
    /// @notice The authorization's deadline has passed.
    error DeadlineExpired(uint64 deadline);
    /// @notice A containment is in force until `expiresAt`.
    error ContainmentActive(bytes32 protocolId, uint64 expiresAt);
    /// @notice The protocol's cooldown lasts until `availableAt`.
    error CooldownActive(bytes32 protocolId, uint64 availableAt);
    /// @notice The signature is not 256 bytes (an EIP-2537 G2 point).
    error InvalidSignatureLength(uint256 length);
    /// @notice The signature does not verify under the group key.
    error InvalidSignature();
    /// @notice Too little gas left to give the hook its full HOOK_GAS_LIMIT.
    error InsufficientGasForHook();
    /// @notice No containment is in force for the protocol.
    error NoActiveContainment(bytes32 protocolId);
    /// @notice The new expiry is not later than the current one or too far in the future.
    error InvalidExpiry(uint64 newExpiresAt);
    /// @notice The protocol hook failed while extending a containment.
    error HookFailed(bytes32 protocolId);
    /// @notice Re-entered a guarded function.
    error ReentrantCall();

    // ---------------------------------------------------------------- modifiers

    modifier onlyGovernance() {
        if (msg.sender != governance) revert Unauthorized(msg.sender);
        _;
    }

    modifier nonReentrant() {
        if (_entered) revert ReentrantCall();
        _entered = true;
        _;
        _entered = false;
    }

    // ---------------------------------------------------------------- constructor

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
        if (governance_ == address(0)) revert ZeroAddress();
        if (rotationDelay_ == 0) revert InvalidRotationDelay();
        _validateKey(groupPublicKey_, threshold_, guardianCount_);
        governance = governance_;
        rotationDelay = rotationDelay_;
        _key = KeyState(_storeKey(groupPublicKey_), 1, threshold_, guardianCount_);
        emit KeyRotated(1, groupPublicKey_, threshold_, guardianCount_);
    }

    // ---------------------------------------------------------------- registry

    /// @notice Register a protocol. The caller must be the target itself or the declared admin.
    /// @dev Whoever registers a target first holds its id; the target itself can always evict a
    /// registration through {deregister} and register again.
    /// @param params The registration (validated: see the errors).
    /// @return protocolId `keccak256(abi.encode(params.target))`.
    function register(RegistrationParams calldata params) external returns (bytes32 protocolId) {
        if (msg.sender != params.target && msg.sender != params.admin) revert Unauthorized(msg.sender);
        _validateRegistration(params);
        protocolId = protocolIdOf(params.target);
        Registration storage r = _registrations[protocolId];
        if (r.policy.target != address(0)) revert AlreadyRegistered(protocolId);

        _storeRegistration(r, params);
        _protocolIds.push(protocolId);
        _protocolIndex[protocolId] = _protocolIds.length;
        ContainmentRecord storage rec = _containments[protocolId];
        if (!rec.state.initialized) {
            rec.state.initialized = true;
            rec.evidenceHash = _EVIDENCE_UNSET;
        }
        emit ProtocolRegistered(protocolId, params.target, params.admin);
    }

    /// @notice Replace a protocol's registration (admin, policy and detection rules). The caller
    /// must be the registered admin or the target; the target cannot change.
    /// @dev A containment in force keeps its expiry; the new policy applies from the next one.
    /// @param protocolId The protocol.
    /// @param params The new registration.
    function updateRegistration(bytes32 protocolId, RegistrationParams calldata params) external {
        Registration storage r = _requireRegistered(protocolId);
        address target = r.policy.target;
        if (msg.sender != r.admin && msg.sender != target) revert Unauthorized(msg.sender);
        if (params.target != target) revert TargetMismatch(target, params.target);
        _validateRegistration(params);
        _storeRegistration(r, params);
        emit ProtocolUpdated(protocolId);
    }

    /// @notice Remove a protocol from the registry. The caller must be the admin or the target.
    /// @dev The nonce and the containment record are kept: a containment in force still expires
    /// at its time, and old authorizations cannot be replayed after a new registration.
    /// @param protocolId The protocol.
    function deregister(bytes32 protocolId) external {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin && msg.sender != r.policy.target) revert Unauthorized(msg.sender);

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

    // ---------------------------------------------------------------- containment

    /// @notice Engage a containment authorized by a threshold of guardians. Anyone may submit.
    /// @dev The hook receives exactly HOOK_GAS_LIMIT gas; the call reverts with
    /// InsufficientGasForHook if the submitter did not leave enough, so no submitter can make the
    /// hook fail by starving it. A failing hook is recorded, never a revert. No return data is
    /// copied from the hook.
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
    ) external nonReentrant returns (bool hookSucceeded) {
        Policy memory policy = _registrations[protocolId].policy;
        if (policy.target == address(0)) revert NotRegistered(protocolId);
        if (action == 0 || action > MAX_ACTION || (policy.allowedActions & (uint8(1) << action)) == 0) {
            revert ActionNotAllowed(protocolId, action);
        }
        ContainmentRecord storage rec = _containments[protocolId];
        ContainmentState memory state = rec.state;
        if (nonce != state.nonce) revert InvalidNonce(state.nonce, nonce);
        if (block.timestamp > deadline) revert DeadlineExpired(deadline);
        if (block.timestamp < state.expiresAt) revert ContainmentActive(protocolId, state.expiresAt);
        if (state.engagedAt != 0) {
            uint64 availableAt = state.expiresAt + policy.cooldown; // < 2**64: both are bounded
            if (block.timestamp < availableAt) revert CooldownActive(protocolId, availableAt);
        }
        if (signature.length != _SIGNATURE_LENGTH) revert InvalidSignatureLength(signature.length);
        uint64 epoch = _key.epoch;
        bytes32 digest = _authorizationDigest(epoch, protocolId, action, nonce, deadline, evidenceHash);
        if (!_verifyAuthorization(digest, signature)) revert InvalidSignature();

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

    /// @notice Lift the containment in force before it expires. Only the protocol's admin.
    /// @dev The cooldown starts now. For hookKind 0 the oracle calls
    /// `IGuardable.liftContainment(action)`; its failure is tolerated (governance can lift on the
    /// protocol directly). For hookKind 1 only the oracle's record changes: the protocol's own
    /// governance unpauses it.
    /// @param protocolId The protocol.
    function liftContainment(bytes32 protocolId) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert Unauthorized(msg.sender);
        ContainmentState storage state = _containments[protocolId].state;
        if (block.timestamp >= state.expiresAt) revert NoActiveContainment(protocolId);

        state.expiresAt = uint64(block.timestamp);
        emit ContainmentLifted(protocolId, msg.sender);
        if (r.policy.hookKind == HOOK_KIND_GUARDABLE) {
            _callHook(protocolId, r.policy.target, abi.encodeCall(IGuardable.liftContainment, (state.action)));
        }
    }

    /// @notice Extend the containment in force. Only the protocol's admin (guardians cannot
    /// extend: a new authorization during a containment reverts).
    /// @dev For hookKind 0 the oracle re-engages the hook with the new expiry and reverts with
    /// HookFailed if that fails, so the record and the protocol never disagree.
    /// @param protocolId The protocol.
    /// @param newExpiresAt Later than the current expiry, at most MAX_CONTAINMENT_DURATION from now.
    function extendContainment(bytes32 protocolId, uint64 newExpiresAt) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert Unauthorized(msg.sender);
        ContainmentRecord storage rec = _containments[protocolId];
        uint64 current = rec.state.expiresAt;
        if (block.timestamp >= current) revert NoActiveContainment(protocolId);
        if (newExpiresAt <= current || newExpiresAt > block.timestamp + MAX_CONTAINMENT_DURATION) {
            revert InvalidExpiry(newExpiresAt);
        }

        rec.state.expiresAt = newExpiresAt;
        emit ContainmentExtended(protocolId, newExpiresAt);
        if (r.policy.hookKind == HOOK_KIND_GUARDABLE) {
            bool ok = _callHook(
                protocolId,
                r.policy.target,
                abi.encodeCall(IGuardable.engageContainment, (rec.state.action, newExpiresAt, rec.evidenceHash))
            );
            if (!ok) revert HookFailed(protocolId);
        }
    }

    // ---------------------------------------------------------------- key rotation

    /// @notice Queue a new group key; executable after `rotationDelay`. Only governance.
    /// @param groupPublicKey_ The new key, 128-byte EIP-2537 G1 encoding (checked in the subgroup).
    /// @param threshold_ The new threshold t.
    /// @param guardianCount_ The new guardian count n.
    function queueKeyRotation(bytes calldata groupPublicKey_, uint16 threshold_, uint16 guardianCount_)
        external
        onlyGovernance
    {
        if (_pending.executableAt != 0) revert RotationAlreadyQueued();
        _validateKey(groupPublicKey_, threshold_, guardianCount_);
        uint64 executableAt = uint64(block.timestamp) + rotationDelay;
        _pending = PendingRotation(_storeKey(groupPublicKey_), threshold_, guardianCount_, executableAt);
        emit KeyRotationQueued(_key.epoch + 1, groupPublicKey_, executableAt);
    }

    /// @notice Install the queued key once its delay has passed; the epoch increases by one and
    /// authorizations signed for the previous epoch stop verifying. Only governance.
    function executeKeyRotation() external onlyGovernance {
        PendingRotation memory p = _pending;
        if (p.executableAt == 0) revert RotationNotQueued();
        if (block.timestamp < p.executableAt) revert RotationNotReady(p.executableAt);
        uint64 epoch = _key.epoch + 1;
        _key = KeyState(p.keyData, epoch, p.threshold, p.guardianCount);
        delete _pending;
        emit KeyRotated(epoch, _readKey(p.keyData), p.threshold, p.guardianCount);
    }

    /// @notice Drop the queued key rotation. Only governance.
    function cancelKeyRotation() external onlyGovernance {
        if (_pending.executableAt == 0) revert RotationNotQueued();
        delete _pending;
        emit KeyRotationCancelled(_key.epoch + 1);
    }

    // ---------------------------------------------------------------- views

    /// @notice The epoch of the current group key (starts at 1).
    function keyEpoch() external view returns (uint64) {
        return _key.epoch;
    }

    /// @notice The current group public key, 128-byte EIP-2537 G1 encoding.
    function groupPublicKey() public view returns (bytes memory) {
        return _readKey(_key.keyData);
    }

    /// @notice The current threshold t.
    function threshold() external view returns (uint16) {
        return _key.threshold;
    }

    /// @notice The current guardian count n.
    function guardianCount() external view returns (uint16) {
        return _key.guardianCount;
    }

    /// @notice The queued key rotation; `executableAt == 0` when none is queued.
    function pendingKeyRotation()
        external
        view
        returns (uint64 epoch, bytes memory groupPublicKey_, uint16 threshold_, uint16 guardianCount_, uint64 executableAt)
    {
        PendingRotation memory p = _pending;
        if (p.executableAt == 0) return (0, "", 0, 0, 0);
        return (_key.epoch + 1, _readKey(p.keyData), p.threshold, p.guardianCount, p.executableAt);
    }

    /// @notice The next nonce the guardians must sign for `protocolId`.
    function nonces(bytes32 protocolId) external view returns (uint64) {
        return _containments[protocolId].state.nonce;
    }

    /// @notice Whether `protocolId` is registered.
    function isRegistered(bytes32 protocolId) external view returns (bool) {
        return _registrations[protocolId].policy.target != address(0);
    }

    /// @notice All registered protocol ids (order changes on deregistration).
    function protocolIds() external view returns (bytes32[] memory) {
        return _protocolIds;
    }

    /// @notice The registration of `protocolId`; reverts with NotRegistered if there is none.
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
        returns (uint8 action, uint64 engagedAt, uint64 expiresAt, bytes32 evidenceHash, bool hookSucceeded, bool active)
    {
        ContainmentRecord storage rec = _containments[protocolId];
        ContainmentState memory s = rec.state;
        if (s.engagedAt == 0) return (0, 0, 0, bytes32(0), false, false);
        return (s.action, s.engagedAt, s.expiresAt, rec.evidenceHash, s.hookSucceeded, block.timestamp < s.expiresAt);
    }

    /// @notice The digest the guardians must sign for these values under the current key epoch.
    function authorizationDigest(bytes32 protocolId, uint8 action, uint64 nonce, uint64 deadline, bytes32 evidenceHash)
        external
        view
        returns (bytes32)
    {
        return _authorizationDigest(_key.epoch, protocolId, action, nonce, deadline, evidenceHash);
    }

    /// @notice The protocol id of `target`: `keccak256(abi.encode(target))`.
    function protocolIdOf(address target) public pure returns (bytes32) {
        return keccak256(abi.encode(target));
    }

    // ---------------------------------------------------------------- internals

    /// @dev Whether `signature` is the group's signature over `digest`. Overridden in tests.
    function _verifyAuthorization(bytes32 digest, bytes calldata signature) internal view virtual returns (bool) {
        return BLS.verify(groupPublicKey(), abi.encodePacked(digest), DST, signature);
    }

    function _authorizationDigest(
        uint64 epoch,
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        bytes32 evidenceHash
    ) internal view returns (bytes32) {
        return keccak256(
            abi.encode(
                DOMAIN_TAG, block.chainid, address(this), epoch, protocolId, action, nonce, deadline, evidenceHash
            )
        );
    }

    /// @dev Calls `target` with exactly HOOK_GAS_LIMIT gas and copies no return data (a
    /// returnbomb costs the hook's own gas only). Reverts if less gas is left than the hook needs.
    function _callHook(bytes32 protocolId, address target, bytes memory data) private returns (bool ok) {
        uint256 hookGas = HOOK_GAS_LIMIT;
        if (gasleft() < (hookGas * 64) / 63 + HOOK_GAS_MARGIN) revert InsufficientGasForHook();
        assembly ("memory-safe") {
            ok := call(hookGas, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        // forge-lint: disable-next-line(unsafe-typecast)
        if (!ok) emit HookCallFailed(protocolId, bytes4(data)); // the first 4 bytes: the selector
    }

    function _requireRegistered(bytes32 protocolId) private view returns (Registration storage r) {
        r = _registrations[protocolId];
        if (r.policy.target == address(0)) revert NotRegistered(protocolId);
    }

    function _validateRegistration(RegistrationParams calldata p) private view {
        if (p.target == address(0) || p.admin == address(0)) revert ZeroAddress();
        if (p.target.code.length == 0) revert TargetHasNoCode(p.target);
        if (p.allowedActions == 0 || (p.allowedActions & ~_ACTION_BITS) != 0) {
            revert InvalidAllowedActions(p.allowedActions);
        }
        if (p.hookKind == HOOK_KIND_GUARDABLE) {
            if (p.pauseSelector != bytes4(0)) revert InvalidPauseSelector(p.pauseSelector);
        } else if (p.hookKind == HOOK_KIND_SELECTOR) {
            if (p.pauseSelector == bytes4(0)) revert InvalidPauseSelector(p.pauseSelector);
        } else {
            revert InvalidHookKind(p.hookKind);
        }
        if (p.maxDuration == 0 || p.maxDuration > MAX_CONTAINMENT_DURATION) revert InvalidMaxDuration(p.maxDuration);
        if (p.cooldown > MAX_COOLDOWN) revert InvalidCooldown(p.cooldown);

        DetectionParams calldata d = p.detection;
        _validateAddresses(d.monitored);
        _validateAddresses(d.tokens);
        if (d.outflowLimitBps > OracleConstants.MAX_BPS) revert InvalidBps(d.outflowLimitBps);
        if (d.balanceDropBps > OracleConstants.MAX_BPS) revert InvalidBps(d.balanceDropBps);
        if (d.windowBlocks > MAX_WINDOW_BLOCKS || (d.outflowLimitBps != 0 && d.windowBlocks == 0)) {
            revert InvalidWindowBlocks(d.windowBlocks);
        }
        uint256 n = d.invariants.length;
        if (n > MAX_DETECTION_ENTRIES) revert TooManyDetectionEntries(n);
        for (uint256 i; i < n; ++i) {
            InvariantCall calldata inv = d.invariants[i];
            if (inv.target == address(0)) revert InvalidDetectionAddress();
            if (inv.data.length > MAX_INVARIANT_CALLDATA) revert InvariantCalldataTooLong(inv.data.length);
        }
    }

    function _validateAddresses(address[] calldata list) private pure {
        uint256 n = list.length;
        if (n > MAX_DETECTION_ENTRIES) revert TooManyDetectionEntries(n);
        for (uint256 i; i < n; ++i) {
            if (list[i] == address(0)) revert InvalidDetectionAddress();
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

    /// @dev Length 128, not infinity, and accepted by the G1MSM precompile (which checks the
    /// encoding, the curve equation and subgroup membership).
    function _validateKey(bytes memory pk, uint16 threshold_, uint16 guardianCount_) private view {
        if (threshold_ == 0 || threshold_ > guardianCount_ || guardianCount_ > MAX_GUARDIANS) {
            revert InvalidThreshold(threshold_, guardianCount_);
        }
        if (pk.length != _PUBLIC_KEY_LENGTH) revert InvalidPublicKey();
        if (keccak256(pk) == keccak256(new bytes(_PUBLIC_KEY_LENGTH))) revert InvalidPublicKey();
        // A failing precompile consumes all the gas it is given: bound it (k = 1 costs 12,000).
        (bool ok, bytes memory out) =
            _G1MSM_PRECOMPILE.staticcall{gas: _G1MSM_GAS}(abi.encodePacked(pk, uint256(1)));
        if (!ok || out.length != _PUBLIC_KEY_LENGTH) revert InvalidPublicKey();
    }

    /// @dev Deploys a contract whose code is `0x00 ‖ pk` (STOP first, so it cannot be run).
    function _storeKey(bytes memory pk) private returns (address keyData) {
        bytes memory init = abi.encodePacked(
            hex"63", uint32(pk.length + 1), hex"80600e6000396000f3", hex"00", pk
        );
        assembly ("memory-safe") {
            keyData := create(0, add(init, 0x20), mload(init))
        }
        if (keyData == address(0)) revert KeyStorageFailed();
    }

    function _readKey(address keyData) private view returns (bytes memory pk) {
        pk = new bytes(_PUBLIC_KEY_LENGTH);
        assembly ("memory-safe") {
            extcodecopy(keyData, add(pk, 0x20), 1, 128)
        }
    }
}
