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
///
/// The circuit breaker as a rate limit on outflows (in the spirit of ERC-7265): a payment made
/// through {_guardedOutflow} is paid at once while no CIRCUIT_BREAKER is in force, and also while
/// one is, as long as the outflow of that token in the current period stays within the rate the
/// protocol's governance set ({setOutflowRateLimit}: basis points of the token balance per
/// period). Above the rate the payment neither reverts nor is lost: it is recorded as a pending
/// claim of its recipient, which anyone may pay out to that recipient ({claimOutflow}) once the
/// breaker is off, or after the claim delay. Nothing waits below the rate. A PAUSE blocks the
/// outflow and the claims; a COLLATERAL_LOCK blocks the claims (the outflow itself only where the
/// function has {whenWithdrawalsNotLocked}, as before).
/// {whenNotCircuitBroken} stays for what a protocol wants fully stopped under the breaker
/// (a swap, a new loan against a price that may be wrong): it reverts instead of queueing.
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

    /// @dev The outflow rate limit applied while a CIRCUIT_BREAKER is in force (one slot, set by
    /// the governance; the constructor sets 0 bps per hour and no claim delay: under the breaker
    /// every guarded outflow waits until it is off, none reverts).
    struct OutflowRateLimit {
        uint16 rateBps; // share of the token balance that may leave per period, 0..10,000
        uint32 period; // seconds, > 0
        uint32 claimDelay; // seconds after queueing a claim may be paid under the breaker; 0: never
    }

    /// @dev The current rate-limit period of one token: when it started, what it allows, what
    /// left in it so far.
    struct OutflowWindow {
        uint64 start;
        uint256 allowance;
        uint256 used;
    }

    /// @dev A recipient's pending claim on one token: the amount and when it was last added to.
    struct PendingOutflow {
        uint256 amount;
        uint64 queuedAt;
    }

    OutflowRateLimit private _outflowLimit;
    mapping(address token => OutflowWindow) private _outflowWindow;
    mapping(address to => mapping(address token => PendingOutflow)) private _pendingOutflow;
    /// @notice The total of every pending claim on `token` (tokens the protocol holds but owes).
    mapping(address token => uint256) public pendingOutflowTotal;

    /// @dev `IGuardianOracle.containmentLiftedByTarget(uint8)`.
    bytes4 private constant _CONTAINMENT_LIFTED_BY_TARGET = bytes4(keccak256("containmentLiftedByTarget(uint8)"));

    /// @notice Emitted when the oracle engages (or re-engages with a new expiry) a containment.
    event ContainmentApplied(uint8 indexed action, uint64 expiresAt, bytes32 evidenceHash);
    /// @notice Emitted when a containment is lifted before its expiry.
    event ContainmentReleased(uint8 indexed action, address by);

    /// @notice An outflow above the breaker's rate was recorded as `to`'s pending claim, payable
    /// from `readyAt` (0: once the breaker is off).
    event OutflowQueued(address indexed token, address indexed to, uint256 amount, uint64 readyAt);
    /// @notice A pending claim was paid to its recipient.
    event OutflowClaimed(address indexed token, address indexed to, uint256 amount);
    /// @notice The governance set the outflow rate limit.
    event OutflowRateLimitSet(uint16 rateBps, uint32 period, uint32 claimDelay);

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
    /// @notice The rate is above 10,000 bps or the period is zero.
    error GuardableInvalidRateLimit(uint16 rateBps, uint32 period);
    /// @notice `to` has no pending claim on `token`.
    error GuardableNothingToClaim(address to, address token);
    /// @notice The claim waits for the circuit breaker to end or for its delay: `readyAt` is the
    /// earlier of the two.
    error GuardableClaimNotReady(uint64 readyAt);
    /// @notice The token's transfer failed or returned false.
    error GuardableTransferFailed(address token, address to, uint256 amount);

    /// @param oracle The GuardianOracle address.
    /// @param governance The protocol's governance (timelock) address.
    constructor(address oracle, address governance) {
        if (oracle == address(0) || governance == address(0)) revert GuardableZeroAddress();
        guardianOracle = oracle;
        guardianGovernance = governance;
        _expiresAt[0] = 1;
        _outflowLimit = OutflowRateLimit({rateBps: 0, period: 1 hours, claimDelay: 0});
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

    // ---------------------------------------------------------------- outflow rate limit

    /// @notice Set the outflow rate limit applied while a CIRCUIT_BREAKER is in force: at most
    /// `rateBps` of a token's balance (less what is owed to pending claims, measured at the first
    /// guarded outflow of each period) leaves per `period` seconds; a pending claim may be paid
    /// `claimDelay` seconds after it was queued even under the breaker (0: only once it is off).
    /// Only the governance.
    function setOutflowRateLimit(uint16 rateBps, uint32 period, uint32 claimDelay) external {
        if (msg.sender != guardianGovernance) revert GuardableUnauthorized(msg.sender);
        _setOutflowRateLimit(rateBps, period, claimDelay);
    }

    /// @notice The outflow rate limit: bps per period, the period, the claim delay.
    function outflowRateLimit() external view returns (uint16 rateBps, uint32 period, uint32 claimDelay) {
        OutflowRateLimit memory l = _outflowLimit;
        return (l.rateBps, l.period, l.claimDelay);
    }

    /// @notice `to`'s pending claim on `token` and when it may be paid while the breaker stays
    /// on (0: only once the breaker is off; after that, at once).
    function pendingOutflow(address to, address token) external view returns (uint256 amount, uint64 readyAt) {
        PendingOutflow memory p = _pendingOutflow[to][token];
        return (p.amount, _claimReadyAt(p.queuedAt));
    }

    /// @notice Pay `to`'s pending claim on `token` to `to`. Anyone may call it (a keeper, a
    /// relayer, `to` itself); the tokens only ever go to `to`. Refused while a PAUSE or a
    /// COLLATERAL_LOCK is in force (a claim is a withdrawal, deferred; the guardians engage those
    /// on exploit evidence, and an extractor's queued claim must wait for the team's decision), and
    /// while the CIRCUIT_BREAKER is before the claim's delay.
    function claimOutflow(address to, address token) external returns (uint256 amount) {
        _requireNotContained(ACTION_PAUSE);
        _requireNotContained(ACTION_COLLATERAL_LOCK);
        PendingOutflow memory p = _pendingOutflow[to][token];
        amount = p.amount;
        if (amount == 0) revert GuardableNothingToClaim(to, token);
        if (isContained(ACTION_CIRCUIT_BREAKER)) {
            uint64 readyAt = _claimReadyAt(p.queuedAt);
            if (readyAt == 0 || block.timestamp < readyAt) {
                revert GuardableClaimNotReady(readyAt == 0 || readyAt > _expiresAt[ACTION_CIRCUIT_BREAKER]
                        ? _expiresAt[ACTION_CIRCUIT_BREAKER]
                        : readyAt);
            }
        }
        // Effects before the transfer: a token calling back finds nothing left to claim.
        delete _pendingOutflow[to][token];
        pendingOutflowTotal[token] -= amount;
        emit OutflowClaimed(token, to, amount);
        _transferOut(token, to, amount);
    }

    /// @dev Pay `amount` of `token` to `to` under the guardians' containment: reverts while a
    /// PAUSE is in force; paid at once while no CIRCUIT_BREAKER is, or within the rate while one
    /// is; above the rate it becomes `to`'s pending claim (no revert; the tokens stay here and are
    /// owed: count `pendingOutflowTotal(token)` out of what the protocol may lend or pay). Returns
    /// whether it was paid now. Call it after the protocol's own accounting (checks-effects-
    /// interactions), for ERC-20 tokens the contract holds.
    function _guardedOutflow(address token, address to, uint256 amount) internal returns (bool paid) {
        _requireNotContained(ACTION_PAUSE);
        if (isContained(ACTION_CIRCUIT_BREAKER)) {
            OutflowRateLimit memory l = _outflowLimit;
            OutflowWindow storage w = _outflowWindow[token];
            if (block.timestamp >= uint256(w.start) + l.period) {
                w.start = uint64(block.timestamp);
                w.used = 0;
                uint256 balance = _balanceOf(token);
                uint256 owed = pendingOutflowTotal[token];
                w.allowance = balance > owed ? ((balance - owed) * l.rateBps) / 10_000 : 0;
            }
            uint256 used = w.used + amount;
            if (used > w.allowance) {
                PendingOutflow storage p = _pendingOutflow[to][token];
                p.amount += amount;
                p.queuedAt = uint64(block.timestamp);
                pendingOutflowTotal[token] += amount;
                emit OutflowQueued(token, to, amount, _claimReadyAt(uint64(block.timestamp)));
                return false;
            }
            w.used = used;
        }
        _transferOut(token, to, amount);
        return true;
    }

    /// @dev Set the rate limit (for an inheritor's constructor, or its own governance path).
    function _setOutflowRateLimit(uint16 rateBps, uint32 period, uint32 claimDelay) internal {
        if (rateBps > 10_000 || period == 0) revert GuardableInvalidRateLimit(rateBps, period);
        _outflowLimit = OutflowRateLimit(rateBps, period, claimDelay);
        emit OutflowRateLimitSet(rateBps, period, claimDelay);
    }

    /// @dev When a claim queued at `queuedAt` may be paid under the breaker; 0 without a delay.
    function _claimReadyAt(uint64 queuedAt) private view returns (uint64) {
        uint32 delay = _outflowLimit.claimDelay;
        return delay == 0 || queuedAt == 0 ? 0 : queuedAt + delay;
    }

    function _balanceOf(address token) private view returns (uint256 balance) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSelector(0x70a08231, address(this)));
        if (!ok || data.length < 32) revert GuardableTransferFailed(token, address(this), 0);
        balance = abi.decode(data, (uint256));
    }

    /// @dev ERC-20 `transfer`, accepting tokens that return nothing (as OpenZeppelin's SafeERC20).
    function _transferOut(address token, address to, uint256 amount) private {
        (bool ok, bytes memory data) = token.call(abi.encodeWithSelector(0xa9059cbb, to, amount));
        if (!ok || (data.length != 0 && (data.length < 32 || !abi.decode(data, (bool)))) || token.code.length == 0) {
            revert GuardableTransferFailed(token, to, amount);
        }
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
