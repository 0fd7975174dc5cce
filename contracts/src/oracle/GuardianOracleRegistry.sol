// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../IGuardianOracle.sol";
import {IGuardable, MAX_ACTION} from "../IGuardable.sol";
import {InvariantCall, DetectionParams, RegistrationParams} from "../OracleTypes.sol";
import {OracleConstants} from "./OracleConstants.sol";

/// @title GuardianOracleRegistry
/// @notice The registry of protected protocols: who may register, update and deregister one, and
/// what a registration may contain (policy and detection rules, each bounded).
/// @dev Registration consent (docs/architecture-contracts.md, "Registration consent"): the caller
/// of {register} must be an authority the target itself names in its own access control, and
/// never the target itself (a target with a generic forwarder, `multicall` or `execute`, would
/// let anyone speak as it): `owner()` (OpenZeppelin Ownable), a holder of `DEFAULT_ADMIN_ROLE`
/// (OpenZeppelin AccessControl) or `guardianGovernance()` ({Guardable}). The hook is then tried
/// in a call frame that always reverts ({probeHook}). The named admin accepts before the
/// registration is in force or counts against it (two steps, unless the admin registers itself);
/// after that only the admin acts, and the admin changes in two steps. Every entry, pending or in
/// force, holds a refundable bond whose price rises with the registry's occupancy
/// ({registrationBond}), up to MAX_PROTOCOLS entries (derived from what one guardian can watch per
/// head); an entry whose target lost its code or whose hook stays broken can be evicted by anyone,
/// who receives its bond; a failed hook pays its submitter from the bond. What
/// {authorize} reads (the policy, with the containment record) fits in one storage slot. Every
/// state-changing function here and in the containment part shares one re-entrancy guard.
abstract contract GuardianOracleRegistry is IGuardianOracle {
    /// @notice Lower bound for `maxDuration`.
    uint64 public constant MIN_CONTAINMENT_DURATION = OracleConstants.MIN_CONTAINMENT_DURATION;
    /// @notice Upper bound for `maxDuration`, and for a containment with all its extensions.
    uint64 public constant MAX_CONTAINMENT_DURATION = OracleConstants.MAX_CONTAINMENT_DURATION;
    /// @notice Lower bound for `cooldown`.
    uint64 public constant MIN_COOLDOWN = OracleConstants.MIN_COOLDOWN;
    /// @notice Upper bound for `cooldown`.
    uint64 public constant MAX_COOLDOWN = OracleConstants.MAX_COOLDOWN;
    /// @notice Largest number of registered protocols (bounds every guardian's per-head work).
    uint256 public constant MAX_PROTOCOLS = OracleConstants.MAX_PROTOCOLS;
    /// @notice Largest number of protocols one admin may hold.
    uint256 public constant MAX_PROTOCOLS_PER_ADMIN = OracleConstants.MAX_PROTOCOLS_PER_ADMIN;
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
    /// @notice Gas given to every protocol hook call.
    uint256 public constant HOOK_GAS_LIMIT = OracleConstants.HOOK_GAS_LIMIT;
    /// @notice Gas the caller must leave on top of the hook's 63/64-rule share: the cold account
    /// access of the call (2,600), a second one when the target is an EIP-7702 delegated account
    /// (2,600), and the few instructions between the check and the call.
    uint256 public constant HOOK_GAS_MARGIN = OracleConstants.HOOK_GAS_MARGIN;

    /// @notice Seconds after which a registration its admin never accepted may be evicted (its bond
    /// goes back to the registrant).
    uint64 public constant PENDING_REGISTRATION_TTL = OracleConstants.PENDING_REGISTRATION_TTL;
    /// @notice Seconds an admin has to prove again ({updateRegistration}) a hook that failed at an
    /// authorization before anyone may evict the registration.
    uint64 public constant HOOK_REPAIR_PERIOD = OracleConstants.HOOK_REPAIR_PERIOD;
    /// @notice Gas a failed hook costs the guardians' submitter (an authorization whose hook
    /// failed, measured); the registrant's bond pays it at the transaction's gas price.
    uint256 public constant FAILED_HOOK_CHARGE_GAS = OracleConstants.FAILED_HOOK_CHARGE_GAS;
    /// @notice The bond of the first registration; the price rises as the registry fills
    /// ({registrationBond}). Set at deployment, in the chain's native token (wei).
    uint256 public immutable baseRegistrationBond;

    /// @dev allowedActions may only use bits 1..3.
    uint8 private constant _ACTION_BITS = 0x0e;
    /// @dev Gas for each consent query (owner(), hasRole(), guardianGovernance()).
    uint256 private constant _CONSENT_QUERY_GAS = 30_000;
    bytes4 private constant _OWNER = bytes4(keccak256("owner()"));
    bytes4 private constant _HAS_ROLE = bytes4(keccak256("hasRole(bytes32,address)"));
    bytes4 private constant _GUARDIAN_GOVERNANCE = bytes4(keccak256("guardianGovernance()"));

    /// @dev Everything {authorize} reads and writes for a protocol, in one slot (one cold read,
    /// one write): the policy, set by {register} and {updateRegistration} and cleared by
    /// {deregister}, and the containment record, kept across deregistration so that nonces never
    /// repeat. The target is not here: {authorize} takes it in calldata (the protocol id is its
    /// hash, so a wrong target finds no registration).
    struct ProtocolState {
        // policy
        uint8 allowedActions; // bit `1 << action`; 0: not registered
        bytes4 pauseSelector; // the selector hook's selector; 0: the Guardable hook
        uint24 maxDuration; // <= MAX_CONTAINMENT_DURATION (a test keeps it below 2**24)
        uint24 cooldown; // <= MAX_COOLDOWN
        // containment record
        uint32 nonce; // next expected nonce
        uint8 action;
        uint8 replacedAction; // the weaker action a PAUSE replaced while it was in force, or 0
        uint8 failedAction; // an action whose hook failed, refused until the hook is proven again, or 0
        bool hookSucceeded; // whether the latest authorization's hook succeeded
        uint40 engagedAt; // 0: never engaged
        uint24 heldFor; // expiresAt - engagedAt (<= MAX_CONTAINMENT_DURATION); a lift shortens it
        uint40 releaseBlock; // evidence must start after this block
    }

    /// @dev The rest of a registration (read by views, updates and lifts, not by {authorize}).
    /// Pending (proposed, not yet accepted): `target` set, `admin` zero, `pendingAdmin` the named
    /// admin, the policy's actions in `pendingActions` (the state word's allowedActions stays 0,
    /// so {authorize} refuses it).
    struct Registration {
        address target;
        uint64 proposedAt; // when a pending registration was proposed
        uint8 pendingActions; // allowedActions to put in force on acceptance
        address admin; // zero while pending
        uint64 hookFailedAt; // when an authorization's hook last failed; 0 after a new proof
        address pendingAdmin;
        address registrant; // who paid the bond
        uint96 bond; // what is left of it (wei)
        DetectionParams detection;
    }

    mapping(bytes32 => Registration) private _registrations;
    /// @dev Where a protocol's {ProtocolState} lives: `protocolId ^ _STATE_NAMESPACE` (no mapping:
    /// the id is already a hash, so this saves hashing it again on every access; the namespace,
    /// itself a hash, keeps these slots apart from the compiler's, as ERC-7201 does).
    bytes32 private constant _STATE_NAMESPACE = keccak256("GuardianNetwork.GuardianOracle.ProtocolState");
    bytes32[] private _protocolIds;
    mapping(bytes32 => uint256) private _protocolIndex; // position in _protocolIds plus one
    mapping(address => uint256) private _adminProtocols;
    /// @dev Entries holding a bond: registrations in force plus pending ones (<= MAX_PROTOCOLS).
    uint256 private _reserved;
    /// @dev Bonds returned or forfeited, and failed-hook charges, waiting for {withdrawBondRefund}.
    mapping(address => uint256) private _refunds;
    /// @dev A full word, so that setting it is one TSTORE (a transient bool is read, masked and
    /// written).
    uint256 private transient _entered;

    /// @dev One guard for the registry and the containment functions: a hook cannot re-enter any
    /// of them (OpenZeppelin ReentrancyGuardTransient's shape, with this contract's error).
    modifier nonReentrant() {
        _enter();
        _;
        _entered = 0;
    }

    /// @dev The same guard written inline, for {authorize} only (its hot path saves the jump;
    /// every other function shares {_enter}, which keeps the contract under EIP-170's size cap).
    modifier nonReentrantInline() {
        if (_entered != 0) revert GuardianOracleReentrantCall();
        _entered = 1;
        _;
        _entered = 0;
    }

    function _enter() private {
        if (_entered != 0) revert GuardianOracleReentrantCall();
        _entered = 1;
    }

    /// @param registrationBond_ {baseRegistrationBond}: the bond of the first registration (wei).
    constructor(uint256 registrationBond_) {
        if (registrationBond_ > type(uint96).max / MAX_PROTOCOLS) revert GuardianOracleBondTooLow(0, registrationBond_);
        baseRegistrationBond = registrationBond_;
    }

    // ---------------------------------------------------------------- register, update, leave

    /// @inheritdoc IGuardianOracle
    function register(RegistrationParams calldata params) external payable nonReentrant returns (bytes32 protocolId) {
        _validateRegistration(params);
        if (!_hasConsent(params.target, msg.sender)) revert GuardianOracleNoConsent(params.target, msg.sender);
        protocolId = protocolIdOf(params.target);
        Registration storage r = _registrations[protocolId];
        if (r.admin != address(0)) revert GuardianOracleAlreadyRegistered(protocolId);
        // A pending proposal gives way to a new one from an authority of the target (a typo in
        // the admin is corrected by proposing again); its bond goes back to its registrant.
        if (r.target != address(0)) _dropPending(protocolId, r, r.registrant);
        if (_reserved >= MAX_PROTOCOLS) revert GuardianOracleRegistryFull();
        uint256 bond = registrationBond();
        if (msg.value < bond) revert GuardianOracleBondTooLow(bond, msg.value);
        _proveHook(params);

        if (msg.value > type(uint96).max) revert GuardianOracleBondTooLow(bond, msg.value);
        _reserved++;
        r.target = params.target;
        r.registrant = msg.sender;
        r.bond = uint96(msg.value); // all of it is refundable
        _storeRegistration(protocolId, r, params);
        ProtocolState storage state = _state(protocolId);
        state.allowedActions = 0; // not in force until the admin accepts
        r.pendingActions = params.allowedActions;
        emit ProtocolRegistrationProposed(protocolId, params.target, params.admin, msg.sender, msg.value);
        if (msg.sender == params.admin) {
            _activate(protocolId, r, params.admin); // the admin itself registers: accepted
        } else {
            r.pendingAdmin = params.admin;
            r.proposedAt = uint64(block.timestamp);
        }
    }

    /// @inheritdoc IGuardianOracle
    function acceptRegistration(bytes32 protocolId) external nonReentrant {
        Registration storage r = _registrations[protocolId];
        if (r.target == address(0) || r.admin != address(0)) revert GuardianOracleNotPending(protocolId);
        if (msg.sender != r.pendingAdmin) revert GuardianOracleUnauthorized(msg.sender);
        _activate(protocolId, r, msg.sender);
    }

    /// @inheritdoc IGuardianOracle
    function cancelRegistration(bytes32 protocolId) external nonReentrant {
        Registration storage r = _registrations[protocolId];
        if (r.target == address(0) || r.admin != address(0)) revert GuardianOracleNotPending(protocolId);
        address registrant = r.registrant;
        // The registrant withdraws its proposal, or the named admin refuses the role.
        if (msg.sender != registrant && msg.sender != r.pendingAdmin) revert GuardianOracleUnauthorized(msg.sender);
        _dropPending(protocolId, r, registrant);
    }

    /// @inheritdoc IGuardianOracle
    function evict(bytes32 protocolId) external nonReentrant {
        Registration storage r = _registrations[protocolId];
        address target = r.target;
        if (target == address(0)) revert GuardianOracleNotRegistered(protocolId);
        if (r.admin == address(0)) {
            // Never accepted: no fault of the registrant's, its bond goes back to it.
            if (block.timestamp < uint256(r.proposedAt) + PENDING_REGISTRATION_TTL) {
                revert GuardianOracleNotEvictable(protocolId);
            }
            _dropPending(protocolId, r, r.registrant);
            return;
        }
        // A target that runs no code, or a hook that failed at an authorization and was not
        // proven again ({updateRegistration}) within HOOK_REPAIR_PERIOD.
        uint64 failedAt = r.hookFailedAt;
        bool broken = (failedAt != 0 && block.timestamp >= uint256(failedAt) + HOOK_REPAIR_PERIOD)
            || !_targetCanRun(target);
        if (!broken) revert GuardianOracleNotEvictable(protocolId);
        // Forfeited by rule: the bond goes to whoever cleaned the registry up.
        _refunds[msg.sender] += r.bond;
        emit ProtocolEvicted(protocolId, target, msg.sender, r.bond);
        _remove(protocolId, r, address(0));
    }

    /// @inheritdoc IGuardianOracle
    function withdrawBondRefund() external nonReentrant {
        uint256 amount = _refunds[msg.sender];
        _refunds[msg.sender] = 0;
        emit BondRefundWithdrawn(msg.sender, amount);
        // A caller that cannot receive the value reverts its own withdrawal (the credit stays).
        assembly ("memory-safe") {
            if iszero(call(gas(), caller(), amount, 0, 0, 0, 0)) { revert(0, 0) }
        }
    }

    /// @inheritdoc IGuardianOracle
    function updateRegistration(bytes32 protocolId, RegistrationParams calldata params) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        address target = r.target;
        address admin = r.admin;
        if (msg.sender != admin) revert GuardianOracleUnauthorized(msg.sender);
        if (params.target != target) revert GuardianOracleTargetMismatch(target, params.target);
        if (params.admin != admin) revert GuardianOracleAdminMismatch(admin, params.admin);
        _validateRegistration(params);
        _proveHook(params);
        _storeRegistration(protocolId, r, params);
        r.hookFailedAt = 0;
        emit ProtocolUpdated(protocolId, target, admin);
    }

    /// @inheritdoc IGuardianOracle
    function transferProtocolAdmin(bytes32 protocolId, address newAdmin) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert GuardianOracleUnauthorized(msg.sender);
        r.pendingAdmin = newAdmin;
        emit ProtocolAdminTransferStarted(protocolId, msg.sender, newAdmin);
    }

    /// @inheritdoc IGuardianOracle
    function acceptProtocolAdmin(bytes32 protocolId) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.pendingAdmin) revert GuardianOracleUnauthorized(msg.sender);
        address previous = r.admin;
        _countAdmin(msg.sender);
        _adminProtocols[previous]--;
        r.admin = msg.sender;
        r.pendingAdmin = address(0);
        emit ProtocolAdminTransferred(protocolId, previous, msg.sender);
    }

    /// @inheritdoc IGuardianOracle
    function deregister(bytes32 protocolId) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        address admin = r.admin;
        if (msg.sender != admin) revert GuardianOracleUnauthorized(msg.sender);
        _remove(protocolId, r, admin);
    }

    /// @dev Take a registration in force out of the registry; its bond goes to `refundTo` (zero:
    /// already paid out by the caller).
    function _remove(bytes32 protocolId, Registration storage r, address refundTo) private {
        address admin = r.admin;
        address target = r.target;
        if (refundTo != address(0)) _refunds[refundTo] += r.bond;
        _reserved--;
        uint256 index = _protocolIndex[protocolId] - 1;
        uint256 last = _protocolIds.length - 1;
        if (index != last) {
            bytes32 moved = _protocolIds[last];
            _protocolIds[index] = moved;
            _protocolIndex[moved] = index + 1;
        }
        _protocolIds.pop();
        delete _protocolIndex[protocolId];
        _adminProtocols[admin]--;
        _clearDetection(r.detection);
        delete _registrations[protocolId];
        // The policy goes, the containment record stays (nonces never repeat).
        ProtocolState storage state = _state(protocolId);
        state.allowedActions = 0;
        state.pauseSelector = bytes4(0);
        state.maxDuration = 0;
        state.cooldown = 0;
        emit ProtocolDeregistered(protocolId, target, admin);
    }

    /// @dev Put a proposed registration in force: the admin's quota is charged now, not before.
    function _activate(bytes32 protocolId, Registration storage r, address admin) private {
        _countAdmin(admin);
        r.admin = admin;
        r.pendingAdmin = address(0);
        r.proposedAt = 0;
        _state(protocolId).allowedActions = r.pendingActions;
        r.pendingActions = 0;
        _protocolIds.push(protocolId);
        _protocolIndex[protocolId] = _protocolIds.length;
        emit ProtocolRegistered(protocolId, r.target, admin);
    }

    /// @dev Drop a pending registration; its bond goes back to `refundTo`.
    function _dropPending(bytes32 protocolId, Registration storage r, address refundTo) private {
        _refunds[refundTo] += r.bond;
        _reserved--;
        emit ProtocolRegistrationCancelled(protocolId, r.target, msg.sender);
        _clearDetection(r.detection);
        delete _registrations[protocolId];
        ProtocolState storage state = _state(protocolId);
        state.pauseSelector = bytes4(0);
        state.maxDuration = 0;
        state.cooldown = 0;
    }

    /// @inheritdoc IGuardianOracle
    function probeHook(address target, bytes calldata data) external {
        if (msg.sender != address(this)) revert GuardianOracleUnauthorized(msg.sender);
        revert GuardianOracleHookProbe(_callWithHookGas(target, data));
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGuardianOracle
    function isRegistered(bytes32 protocolId) external view returns (bool) {
        return _registrations[protocolId].admin != address(0);
    }

    /// @inheritdoc IGuardianOracle
    function registrationBond() public view returns (uint256) {
        uint256 reserved = _reserved;
        if (reserved >= MAX_PROTOCOLS) return type(uint256).max;
        // base * capacity / free entries: the base when empty, capacity times the base for the
        // last entry; filling the registry costs about base * capacity * ln(capacity).
        return (baseRegistrationBond * MAX_PROTOCOLS) / (MAX_PROTOCOLS - reserved);
    }


    /// @inheritdoc IGuardianOracle
    function bondOf(bytes32 protocolId) external view returns (address registrant, uint256 bond) {
        Registration storage r = _registrations[protocolId];
        return (r.registrant, r.bond);
    }

    /// @inheritdoc IGuardianOracle
    function bondRefunds(address account) external view returns (uint256) {
        return _refunds[account];
    }


    /// @inheritdoc IGuardianOracle
    function hookFailedAt(bytes32 protocolId) external view returns (uint64) {
        return _registrations[protocolId].hookFailedAt;
    }

    /// @inheritdoc IGuardianOracle
    function protocolCount() external view returns (uint256) {
        return _protocolIds.length;
    }

    /// @inheritdoc IGuardianOracle
    function protocolIds(uint256 offset, uint256 limit) external view returns (bytes32[] memory ids) {
        uint256 total = _protocolIds.length;
        if (offset >= total) return ids;
        uint256 n = total - offset;
        if (limit < n) n = limit;
        ids = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            ids[i] = _protocolIds[offset + i];
        }
    }

    /// @inheritdoc IGuardianOracle
    function pendingProtocolAdmin(bytes32 protocolId) external view returns (address) {
        return _registrations[protocolId].pendingAdmin;
    }

    /// @inheritdoc IGuardianOracle
    function getRegistration(bytes32 protocolId) external view returns (RegistrationParams memory params) {
        Registration storage r = _registrations[protocolId];
        if (r.target == address(0)) revert GuardianOracleNotRegistered(protocolId);
        ProtocolState memory state = _state(protocolId);
        params.target = r.target;
        bool inForce = r.admin != address(0);
        // A proposal: the admin it names and the actions it would allow.
        params.admin = inForce ? r.admin : r.pendingAdmin;
        params.allowedActions = inForce ? state.allowedActions : r.pendingActions;
        params.hookKind = state.pauseSelector == bytes4(0) ? HOOK_KIND_GUARDABLE : HOOK_KIND_SELECTOR;
        params.pauseSelector = state.pauseSelector;
        params.maxDuration = state.maxDuration;
        params.cooldown = state.cooldown;
        params.detection = r.detection;
    }

    /// @inheritdoc IGuardianOracle
    function protocolIdOf(address target) public pure returns (bytes32) {
        return keccak256(abi.encode(target));
    }

    // ---------------------------------------------------------------- internals

    /// @dev The storage slot of `protocolId`'s {ProtocolState} (read and written as one word by
    /// {authorize}: ProtocolStateWord).
    function _stateSlot(bytes32 protocolId) internal pure returns (bytes32) {
        return protocolId ^ _STATE_NAMESPACE;
    }

    /// @dev `protocolId`'s {ProtocolState}.
    function _state(bytes32 protocolId) internal pure returns (ProtocolState storage state) {
        bytes32 slot = _stateSlot(protocolId);
        assembly ("memory-safe") {
            state.slot := slot
        }
    }

    /// @dev The registration of `protocolId` (all zero when it is not registered).
    function _registration(bytes32 protocolId) internal view returns (Registration storage) {
        return _registrations[protocolId];
    }

    /// @dev The registration in force of `protocolId`; reverts with GuardianOracleNotRegistered if
    /// none (a pending one is not in force).
    function _requireRegistered(bytes32 protocolId) internal view returns (Registration storage r) {
        r = _registrations[protocolId];
        if (r.admin == address(0)) revert GuardianOracleNotRegistered(protocolId);
    }

    /// @dev After an authorization whose hook failed (not {authorize}'s success path): the
    /// registrant's bond pays the submitter what the failed call cost it (FAILED_HOOK_CHARGE_GAS
    /// at this transaction's gas price, at most what is left of the bond), and the failure time
    /// starts HOOK_REPAIR_PERIOD. Re-proving the hook ({updateRegistration}) re-arms the action,
    /// but every further failure is paid again: griefing the guardians costs the registrant.
    function _chargeFailedHook(bytes32 protocolId) internal returns (uint256 charged) {
        Registration storage r = _registrations[protocolId];
        r.hookFailedAt = uint64(block.timestamp);
        uint256 bond = r.bond;
        charged = FAILED_HOOK_CHARGE_GAS * tx.gasprice;
        if (charged > bond) charged = bond;
        if (charged != 0) {
            r.bond = uint96(bond - charged);
            _refunds[msg.sender] += charged;
        }
    }

    /// @dev Whether calling `target` runs code: it has code, and if that code is an EIP-7702
    /// delegation (0xef0100 || address), the delegate has code and is not itself a delegation
    /// (a call to a code-less delegate succeeds and does nothing).
    function _targetCanRun(address target) internal view returns (bool ok) {
        assembly ("memory-safe") {
            ok := iszero(iszero(extcodesize(target)))
            if and(ok, eq(extcodesize(target), 23)) {
                extcodecopy(target, 0x00, 0, 23) // scratch space: 0xef0100 || delegate
                if eq(shr(232, mload(0x00)), 0xef0100) {
                    let delegate := shr(96, mload(0x03))
                    ok := iszero(iszero(extcodesize(delegate)))
                    if and(ok, eq(extcodesize(delegate), 23)) {
                        extcodecopy(delegate, 0x00, 0, 3)
                        ok := iszero(eq(shr(232, mload(0x00)), 0xef0100))
                    }
                }
            }
        }
    }

    /// @dev Calls `target` with exactly HOOK_GAS_LIMIT gas and copies no return data (a
    /// returnbomb costs the hook's own gas only). Reverts if less gas is left than the hook needs.
    function _callWithHookGas(address target, bytes memory data) internal returns (bool ok) {
        uint256 hookGas = HOOK_GAS_LIMIT;
        if (gasleft() < (hookGas * 64) / 63 + HOOK_GAS_MARGIN) revert GuardianOracleInsufficientGasForHook();
        assembly ("memory-safe") {
            ok := call(hookGas, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }

    /// @dev The target consents when it calls, or when the caller is an authority the target
    /// itself names: `owner()`, a `DEFAULT_ADMIN_ROLE` holder, `guardianGovernance()`.
    function _hasConsent(address target, address caller) private view returns (bool) {
        // Never the target itself: whatever forwards calls for it (multicall, execute, a
        // callback) would let anyone consent in its name.
        if (caller == target) return false;
        if (_queryWord(target, abi.encodeWithSelector(_OWNER)) == uint256(uint160(caller))) return true;
        if (_queryWord(target, abi.encodeWithSelector(_GUARDIAN_GOVERNANCE)) == uint256(uint160(caller))) return true;
        return _queryWord(target, abi.encodeWithSelector(_HAS_ROLE, bytes32(0), caller)) == 1;
    }

    /// @dev The first return word of a bounded static call, or type(uint256).max when it fails
    /// or returns fewer than 32 bytes (never a valid address nor `true`).
    function _queryWord(address target, bytes memory data) private view returns (uint256 word) {
        bool ok;
        uint256 size;
        assembly ("memory-safe") {
            ok := staticcall(_CONSENT_QUERY_GAS, target, add(data, 0x20), mload(data), 0, 0x20)
            size := returndatasize()
            word := mload(0)
        }
        if (!ok || size < 32) return type(uint256).max;
    }

    /// @dev Try the hook as {authorize} would call it, in a frame that always reverts: every
    /// allowed action for a Guardable hook, the selector for a selector hook. The evidence hash
    /// is not zero (a hook cannot tell the proof from a real call by it).
    function _proveHook(RegistrationParams calldata p) private {
        if (!_targetCanRun(p.target)) revert GuardianOracleTargetHasNoCode(p.target);
        if (p.hookKind == HOOK_KIND_SELECTOR) {
            _probe(p.target, abi.encodePacked(p.pauseSelector));
            return;
        }
        uint64 expiresAt = uint64(block.timestamp) + p.maxDuration;
        for (uint8 action = 1; action <= MAX_ACTION; ++action) {
            if (p.allowedActions & (uint8(1) << action) != 0) {
                _probe(p.target, abi.encodeCall(IGuardable.engageContainment, (action, expiresAt, _probeEvidence())));
            }
        }
    }

    /// @dev An evidence hash for a proof that a hook cannot tell from a real one.
    function _probeEvidence() private view returns (bytes32 evidence) {
        assembly ("memory-safe") {
            mstore(0x00, prevrandao())
            mstore(0x20, gas())
            evidence := keccak256(0x00, 0x40)
        }
    }

    function _probe(address target, bytes memory data) private {
        if (!_probeOk(target, data)) revert GuardianOracleHookProbeFailed(target, data);
    }

    /// @dev Whether the hook call succeeds, in a frame that always reverts. Anything but the
    /// probe's own outcome (GuardianOracleInsufficientGasForHook, out of gas) is passed on.
    function _probeOk(address target, bytes memory data) private returns (bool succeeded) {
        (bool returned, bytes memory ret) = address(this).call(abi.encodeCall(this.probeHook, (target, data)));
        if (!returned && ret.length == 36 && bytes4(ret) == GuardianOracleHookProbe.selector) {
            assembly ("memory-safe") {
                succeeded := mload(add(ret, 36))
            }
            return succeeded;
        }
        assembly ("memory-safe") {
            revert(add(ret, 0x20), mload(ret))
        }
    }

    function _countAdmin(address admin) private {
        if (_adminProtocols[admin] >= MAX_PROTOCOLS_PER_ADMIN) revert GuardianOracleAdminLimitReached(admin);
        _adminProtocols[admin]++;
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
        if (p.maxDuration < MIN_CONTAINMENT_DURATION || p.maxDuration > MAX_CONTAINMENT_DURATION) {
            revert GuardianOracleInvalidMaxDuration(p.maxDuration);
        }
        if (p.cooldown < MIN_COOLDOWN || p.cooldown > MAX_COOLDOWN) revert GuardianOracleInvalidCooldown(p.cooldown);

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

    /// @dev The policy into the protocol's state (the hook was just proven: an action whose hook
    /// failed may be authorized again), the detection rules into its registration.
    function _storeRegistration(bytes32 protocolId, Registration storage r, RegistrationParams calldata p) private {
        ProtocolState storage state = _state(protocolId);
        state.allowedActions = p.allowedActions;
        state.pauseSelector = p.pauseSelector; // zero for the Guardable hook (validated)
        state.maxDuration = uint24(p.maxDuration);
        state.cooldown = uint24(p.cooldown);
        state.failedAction = 0;
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
