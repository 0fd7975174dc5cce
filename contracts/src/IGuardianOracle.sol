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

    /// @notice A protocol registered: its admin accepted, the registration is in force.
    event ProtocolRegistered(bytes32 indexed protocolId, address indexed target, address admin);
    /// @notice An authority of `target` proposed a registration naming `admin`, with `bond`
    /// (wei); it is in force once `admin` accepts (at once when `admin` is the registrant).
    event ProtocolRegistrationProposed(
        bytes32 indexed protocolId, address indexed target, address admin, address registrant, uint256 bond
    );
    /// @notice A proposed registration was withdrawn, refused, replaced or expired (`by` did it);
    /// its bond went back to its registrant.
    event ProtocolRegistrationCancelled(bytes32 indexed protocolId, address indexed target, address by);
    /// @notice A registration whose target cannot run its hook was evicted by `by`, who receives
    /// its remaining `bond`.
    event ProtocolEvicted(bytes32 indexed protocolId, address indexed target, address by, uint256 bond);
    /// @notice `account` withdrew its returned bonds and failed-hook payments.
    event BondRefundWithdrawn(address indexed account, uint256 amount);
    /// @notice A protocol's registration changed.
    event ProtocolUpdated(bytes32 indexed protocolId, address indexed target, address admin);
    /// @notice A protocol left the registry.
    event ProtocolDeregistered(bytes32 indexed protocolId, address indexed target, address admin);
    /// @notice The protocol's admin offered its role to `newAdmin` (who must accept).
    event ProtocolAdminTransferStarted(bytes32 indexed protocolId, address indexed admin, address indexed newAdmin);
    /// @notice `newAdmin` accepted the protocol's admin role.
    event ProtocolAdminTransferred(bytes32 indexed protocolId, address indexed previousAdmin, address indexed newAdmin);
    /// @notice The guardians engaged a containment (`hookSucceeded` false: they tried, and it is
    /// not a containment). Who sent it is the transaction's sender, and the key epoch it was signed
    /// under is the one in force at this block (`keyEpoch()`, or the latest KeyRotated before it):
    /// neither is repeated here (each data word costs 256 gas on the guardians' path).
    event ContainmentEngaged(
        bytes32 indexed protocolId,
        uint8 action,
        uint64 nonce,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash,
        uint64 expiresAt,
        bool hookSucceeded
    );
    /// @notice The protocol's admin lifted a containment before it expired.
    event ContainmentLifted(bytes32 indexed protocolId, address by);
    /// @notice The protocol's admin extended a containment.
    event ContainmentExtended(bytes32 indexed protocolId, uint64 newExpiresAt);
    /// @notice A protocol hook call reverted or ran out of its gas (the oracle carried on).
    event HookCallFailed(bytes32 indexed protocolId, bytes4 selector);
    /// @notice Governance queued a new group key for `epoch` (t of n).
    event KeyRotationQueued(
        uint64 epoch, bytes groupPublicKey, uint16 threshold, uint16 guardianCount, uint64 executableAt
    );
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
    /// @notice Not guardianCount / 2 < threshold <= guardianCount <= MAX_GUARDIANS.
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
    /// @notice The queued key rotation lapsed at `expiredAt` (queue it again).
    error GuardianOracleRotationExpired(uint64 expiredAt);

    // ---------------------------------------------------------------- errors: registry

    /// @notice The target has no code.
    error GuardianOracleTargetHasNoCode(address target);
    /// @notice allowedActions is zero or uses bits other than 1..3.
    error GuardianOracleInvalidAllowedActions(uint8 allowedActions);
    /// @notice hookKind is not 0 or 1.
    error GuardianOracleInvalidHookKind(uint8 hookKind);
    /// @notice pauseSelector is zero for hookKind 1, or non-zero for hookKind 0.
    error GuardianOracleInvalidPauseSelector(bytes4 pauseSelector);
    /// @notice maxDuration is outside MIN_CONTAINMENT_DURATION..MAX_CONTAINMENT_DURATION.
    error GuardianOracleInvalidMaxDuration(uint64 maxDuration);
    /// @notice cooldown is outside MIN_COOLDOWN..MAX_COOLDOWN.
    error GuardianOracleInvalidCooldown(uint64 cooldown);
    /// @notice The caller is neither the target nor an authority the target names (its
    /// `owner()`, a holder of its `DEFAULT_ADMIN_ROLE`, its `guardianGovernance()`).
    error GuardianOracleNoConsent(address target, address caller);
    /// @notice The registered hook failed when the oracle tried it at registration (wrong
    /// selector, the oracle lacks the role, a Guardable bound to another oracle, or a target
    /// already paused). `data` is the call that failed; nothing was changed.
    error GuardianOracleHookProbeFailed(address target, bytes data);
    /// @notice Internal: the outcome of a hook probe (always the revert of {probeHook}).
    error GuardianOracleHookProbe(bool succeeded);
    /// @notice The registry holds MAX_PROTOCOLS protocols.
    error GuardianOracleRegistryFull();
    /// @notice `admin` already administers MAX_PROTOCOLS_PER_ADMIN protocols.
    error GuardianOracleAdminLimitReached(address admin);
    /// @notice updateRegistration may not change the admin (use the two-step transfer).
    error GuardianOracleAdminMismatch(address registered, address given);
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
    /// @notice The evidence starts at or before the protocol's last release (`releaseBlock`):
    /// it may describe what was already contained.
    error GuardianOracleEvidenceBeforeRelease(uint64 releaseBlock, uint64 evidenceFromBlock);
    /// @notice Too little gas left for the BLS check (at least `required` when it starts).
    error GuardianOracleInsufficientGasForVerification(uint256 required);
    /// @notice A containment is in force until `expiresAt`.
    error GuardianOracleContainmentActive(bytes32 protocolId, uint64 expiresAt);
    /// @notice The protocol's cooldown lasts until `availableAt` (a PAUSE is refused by it only
    /// when the containment that started it was a PAUSE too).
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
    /// @notice The hook failed for `action` at an earlier authorization: the action is refused
    /// until the admin proves the hook again ({updateRegistration}); another allowed action is not.
    error GuardianOracleHookFailedBefore(bytes32 protocolId, uint8 action);
    /// @notice Re-entered a guarded function.
    error GuardianOracleReentrantCall();
    /// @notice The value sent is below the registration bond `required` now (or above 2**96).
    error GuardianOracleBondTooLow(uint256 required, uint256 given);
    /// @notice `protocolId` has no registration waiting for its admin's acceptance.
    error GuardianOracleNotPending(bytes32 protocolId);
    /// @notice `protocolId` may not be evicted: its target runs and its hook works (or its
    /// repair period, or a pending registration's time to be accepted, has not run out).
    error GuardianOracleNotEvictable(bytes32 protocolId);

    // ---------------------------------------------------------------- registry

    /// @notice Propose a protocol's registration, paying at least {registrationBond} (all of it
    /// refundable). Needs the target's consent: the caller is an authority the target names, its
    /// `owner()` (OpenZeppelin `Ownable`), a holder of its `DEFAULT_ADMIN_ROLE` (OpenZeppelin
    /// `AccessControl`) or its `guardianGovernance()` ({Guardable}), and never the target itself
    /// (a generic forwarder on the target would let anyone speak as it). The caller names the
    /// admin, which must accept ({acceptRegistration}) before the registration is in force or
    /// counts against its MAX_PROTOCOLS_PER_ADMIN; when the caller is the admin it is in force
    /// at once. A pending proposal is replaced by a new one from an authority of the target.
    /// @dev The hook is tried at registration inside a call frame that always reverts
    /// ({probeHook}), so nothing stays paused; a hook that fails there is refused with
    /// GuardianOracleHookProbeFailed, a target that runs no code (none, or an EIP-7702
    /// delegation to an address without code) with GuardianOracleTargetHasNoCode. The registry
    /// holds at most MAX_PROTOCOLS entries, pending or in force.
    /// @param params The registration (validated: see the errors).
    /// @return protocolId `keccak256(abi.encode(params.target))`.
    function register(RegistrationParams calldata params) external payable returns (bytes32 protocolId);

    /// @notice Accept the admin role of a proposed registration, which puts it in force. Only
    /// the admin it names.
    function acceptRegistration(bytes32 protocolId) external;

    /// @notice Withdraw a proposed registration (its registrant) or refuse its admin role (the
    /// admin it names); the bond goes back to the registrant.
    function cancelRegistration(bytes32 protocolId) external;

    /// @notice Remove an entry that cannot work. Anyone. A registration in force whose target
    /// runs no code (none, or an EIP-7702 account delegated to an address without code), or
    /// whose hook failed at an authorization HOOK_REPAIR_PERIOD ago or more and was not proven
    /// again since ({updateRegistration}): its remaining bond goes to the caller. A proposal not accepted within
    /// PENDING_REGISTRATION_TTL: its bond goes back to its registrant.
    function evict(bytes32 protocolId) external;

    /// @notice Send the caller its returned bonds and failed-hook payments ({bondRefunds}; zero
    /// sends nothing).
    function withdrawBondRefund() external;

    /// @notice The bond a registration needs now (wei): `baseRegistrationBond * MAX_PROTOCOLS /
    /// (MAX_PROTOCOLS - entries)`, entries being the registrations in force plus the proposals,
    /// rising as the registry fills; type(uint256).max when it is full.
    function registrationBond() external view returns (uint256);

    /// @notice The bond of the first registration in an empty registry (wei), set at deployment.
    function baseRegistrationBond() external view returns (uint256);


    /// @notice Who paid `protocolId`'s bond and what is left of it (failed hooks pay from it).
    function bondOf(bytes32 protocolId) external view returns (address registrant, uint256 bond);

    /// @notice What `account` may withdraw with {withdrawBondRefund}.
    function bondRefunds(address account) external view returns (uint256);


    /// @notice When an authorization's hook last failed for `protocolId` (0: not since the hook
    /// was last proven).
    function hookFailedAt(bytes32 protocolId) external view returns (uint64);

    /// @notice Replace a protocol's policy and detection rules. Only the registered admin; the
    /// target and the admin cannot change here (see {transferProtocolAdmin}).
    /// @dev A containment in force keeps its expiry; the new policy applies from the next one.
    /// The hook is proven again.
    /// @param protocolId The protocol.
    /// @param params The new registration.
    function updateRegistration(bytes32 protocolId, RegistrationParams calldata params) external;

    /// @notice Offer the admin role of a protocol to `newAdmin`; it changes when `newAdmin`
    /// calls {acceptProtocolAdmin}. Only the admin. `address(0)` cancels an offer.
    function transferProtocolAdmin(bytes32 protocolId, address newAdmin) external;

    /// @notice Accept the admin role offered by {transferProtocolAdmin}. Only the offered admin.
    function acceptProtocolAdmin(bytes32 protocolId) external;

    /// @notice The admin offered the role of `protocolId` (by {transferProtocolAdmin}, or named by
    /// a registration proposal waiting for acceptance), or zero.
    function pendingProtocolAdmin(bytes32 protocolId) external view returns (address);

    /// @notice Remove a protocol from the registry. Only the admin; its bond is returned to the
    /// admin ({withdrawBondRefund}).
    /// @dev The nonce and the containment record are kept: a containment in force still expires
    /// at its time, and old authorizations cannot be replayed after a new registration.
    /// @param protocolId The protocol.
    function deregister(bytes32 protocolId) external;

    /// @notice Internal to {register} and {updateRegistration}: calls `target` with `data` and
    /// HOOK_GAS_LIMIT gas, then always reverts with GuardianOracleHookProbe(succeeded) so
    /// that nothing it did stays. Only the oracle itself may call it.
    function probeHook(address target, bytes calldata data) external;

    /// @notice Whether `protocolId` is registered and in force (a proposal waiting for its admin
    /// is not).
    function isRegistered(bytes32 protocolId) external view returns (bool);

    /// @notice How many protocols are registered (at most MAX_PROTOCOLS).
    function protocolCount() external view returns (uint256);

    /// @notice Registered protocol ids `[offset, offset + limit)` (fewer at the end; order
    /// changes on deregistration).
    function protocolIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids);

    /// @notice The registration of `protocolId`, in force ({isRegistered}) or proposed and waiting
    /// for the admin it names (then `admin` is that admin, also {pendingProtocolAdmin}, and
    /// `allowedActions` what it would allow); reverts with GuardianOracleNotRegistered if there
    /// is neither.
    function getRegistration(bytes32 protocolId) external view returns (RegistrationParams memory params);

    /// @notice The protocol id of `target`: `keccak256(abi.encode(target))`.
    function protocolIdOf(address target) external pure returns (bytes32);

    // ---------------------------------------------------------------- containment

    /// @notice Engage a containment authorized by a threshold of guardians. Anyone may submit.
    /// @dev The hook receives exactly HOOK_GAS_LIMIT gas; the call reverts with
    /// GuardianOracleInsufficientGasForHook if the submitter did not leave enough, so no submitter
    /// can make the hook fail by starving it. A failing hook is recorded, never a revert. No
    /// return data is copied from the hook. A failed hook is not a containment: what was in force
    /// stays in force, no cooldown starts, the release block does not move, the nonce is used up,
    /// and the same action is refused (GuardianOracleHookFailedBefore) until the admin proves the
    /// hook again with {updateRegistration}; a different allowed action may be authorized at once.
    /// After a containment ends (lifted or expired) the protocol's cooldown refuses the next one
    /// (GuardianOracleCooldownActive), except a PAUSE after a weaker action (circuit breaker,
    /// collateral lock): a false weak containment, provoked and lifted, must not open a window
    /// for the exploit. A cooldown that a PAUSE started refuses every action, a PAUSE included;
    /// so at most one PAUSE follows each weak containment and the bound on containments holds.
    /// @param target The protocol's registered target: the protocol contained is
    /// `protocolIdOf(target)` (the guardians sign that id; taking the target here spares
    /// {authorize} a storage read, and a wrong target is simply an unregistered protocol).
    /// @param action 1 pause, 2 circuit breaker, 3 collateral lock.
    /// @param nonce Must equal `nonces(protocolId)`.
    /// @param deadline Last timestamp at which the authorization is valid.
    /// @param evidenceFromBlock The evidence's first block; must be after
    /// `lastReleaseBlock(protocolId)`, so a drain already contained cannot be contained again.
    /// @param evidenceHash keccak256 of the canonical evidence the guardians agreed on.
    /// @param signature The group's BLS signature over the digest, 256-byte EIP-2537 G2 encoding.
    /// @return hookSucceeded Whether the protocol hook call succeeded.
    function authorize(
        address target,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash,
        bytes calldata signature
    ) external returns (bool hookSucceeded);

    /// @notice Lift the containment in force before it expires. Only the protocol's admin. After
    /// it expired, the lift only records this block as the release (so one batch, lift then the
    /// target's `unpause()`, works in both cases); before any containment it reverts
    /// GuardianOracleNoActiveContainment.
    /// @dev The cooldown starts now and the release block is this block. For hookKind 0 the
    /// oracle calls `IGuardable.liftContainment(action)` (and for the weaker action a PAUSE
    /// replaced); its failure is tolerated. For hookKind 1 only the oracle's record changes: the
    /// protocol's own governance unpauses it (in the same batch).
    /// @param protocolId The protocol.
    function liftContainment(bytes32 protocolId) external;

    /// @notice Called by a {Guardable} target when its own governance lifts `action` on it
    /// directly, so that the oracle's record ends too (the release block is this block). The
    /// notice is not trusted (a forwarder on the target could send it): the oracle asks the
    /// target (`isContained`) and ends its record only when the action is really off there. When
    /// a PAUSE that replaced a weaker action is lifted while the weaker one is still on the
    /// target, the record goes back to the weaker action. A call from anything else, for a
    /// selector-hook target, or for an action that is not the one in force, changes nothing.
    function containmentLiftedByTarget(uint8 action) external;

    /// @notice Extend the containment in force. Only the protocol's admin (guardians cannot
    /// extend: a new authorization during a containment reverts, except a PAUSE replacing a
    /// weaker action).
    /// @dev For hookKind 0 the oracle re-engages the hook with the new expiry (evidence hash zero:
    /// an extension, not new evidence) and reverts with GuardianOracleHookFailed if that fails, so
    /// the record and the protocol never disagree.
    /// @param protocolId The protocol.
    /// @param newExpiresAt Later than the current expiry, at most MAX_CONTAINMENT_DURATION after
    /// the containment was engaged (a cap on all extensions together).
    function extendContainment(bytes32 protocolId, uint64 newExpiresAt) external;

    /// @notice The next nonce the guardians must sign for `protocolId`.
    function nonces(bytes32 protocolId) external view returns (uint64);

    /// @notice The block after which evidence for `protocolId` must start: the block of the last
    /// lift, or, while a containment runs or after it expired by itself, the block it was engaged
    /// in (the oracle cannot see the block at which its time ran out; the target was contained
    /// in between). Zero before the first containment.
    function lastReleaseBlock(bytes32 protocolId) external view returns (uint64);

    /// @notice The action whose engage hook failed at an earlier authorization of `protocolId`
    /// and that is refused until the hook is proven again (by {updateRegistration}), or 0.
    function failedHookAction(bytes32 protocolId) external view returns (uint8);

    /// @notice The latest containment of `protocolId` (all zero if there was none). Its evidence
    /// hash is in its ContainmentEngaged event (not stored: 5,000 gas per containment). An
    /// authorization whose hook failed is not a containment: it leaves these fields as they were
    /// (except `hookSucceeded`), so `active` is never true because of it.
    /// @return action The action engaged.
    /// @return engagedAt When it was engaged.
    /// @return expiresAt When it ends (or ended; a lift sets it to the lift time).
    /// @return hookSucceeded Whether the latest authorization's hook succeeded.
    /// @return active Whether it is in force now.
    function containment(bytes32 protocolId)
        external
        view
        returns (uint8 action, uint64 engagedAt, uint64 expiresAt, bool hookSucceeded, bool active);

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
    function authorizationDigest(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash
    ) external view returns (bytes32);
}
