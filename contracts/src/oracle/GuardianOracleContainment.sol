// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../IGuardianOracle.sol";
import {IGuardable, ACTION_PAUSE} from "../IGuardable.sol";
import {GuardianOracleKeys} from "./GuardianOracleKeys.sol";
import {GuardianOracleRegistry} from "./GuardianOracleRegistry.sol";
import {ProtocolStateWord} from "./ProtocolStateWord.sol";

/// @title GuardianOracleContainment
/// @notice Containments: {authorize} engages one when the group key's signature and the
/// protocol's registered policy allow it, on evidence that starts after the protocol's last
/// release; the protocol's admin lifts or extends it (a {Guardable} target's governance may also
/// lift it on the target, which tells the oracle); it ends by itself after the registered
/// duration. Each engage, lift and extension calls the protocol's hook with a fixed gas
/// allowance, and a failing hook never blocks the oracle.
abstract contract GuardianOracleContainment is GuardianOracleKeys, GuardianOracleRegistry {
    using ProtocolStateWord for uint256;

    uint256 private constant _SIGNATURE_LENGTH = 256;
    /// @dev `IGuardable.engageContainment.selector` as a number, for assembly (a test checks it).
    uint256 internal constant _ENGAGE_CONTAINMENT = 0x3aa713e5;
    bytes4 private constant _PAUSED = bytes4(keccak256("paused()"));
    bytes4 private constant _IS_CONTAINED = bytes4(keccak256("isContained(uint8)"));

    // ---------------------------------------------------------------- engage, lift, extend

    /// @inheritdoc IGuardianOracle
    function authorize(
        address target,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash,
        bytes calldata signature
    ) external nonReentrantInline returns (bool hookSucceeded) {
        bytes32 protocolId;
        assembly ("memory-safe") {
            mstore(0x00, target) // protocolIdOf(target) in scratch space, no allocation
            protocolId := keccak256(0x00, 0x20)
        }
        uint256 word = ProtocolStateWord.load(_stateSlot(protocolId)); // the protocol's one cold slot
        // The policy: the common case (every rule met, no containment in force nor cooling down)
        // is one test in assembly, here (an internal call with six arguments cost about 70 gas);
        // anything else goes through {_checkPolicyRules}, which applies the rules in order with
        // their errors, so a refusal is exactly what it was. The fast test only ever accepts what
        // the rules accept: it requires the cooldown to be over counted from the end of the last
        // containment even when none was engaged yet (stricter than the rules; such a case simply
        // takes the slow path). It returns the weaker action a PAUSE replaces (0: none in force).
        uint8 replaced;
        {
            bool fast;
            // Fields at the offsets of ProtocolStateWord (OracleStateLayoutTest checks them); values
            // narrower than a word may carry dirty high bits in assembly: each is masked.
            assembly ("memory-safe") {
                fast := and(
                    and(
                        // allowedActions (bits 1..MAX_ACTION) has `action`'s bit: not 0, not above MAX_ACTION
                        iszero(iszero(and(and(word, 0xff), shl(and(action, 0xff), 1)))),
                        eq(and(nonce, 0xffffffffffffffff), and(shr(88, word), 0xffffffff))
                    ),
                    and(
                        and(
                            iszero(gt(timestamp(), and(deadline, 0xffffffffffffffff))),
                            gt(and(evidenceFromBlock, 0xffffffffffffffff), and(shr(216, word), 0xffffffffff))
                        ),
                        and(
                            iszero(eq(and(action, 0xff), and(shr(136, word), 0xff))),
                            // engagedAt + heldFor + cooldown
                            iszero(
                                lt(
                                    timestamp(),
                                    add(
                                        add(and(shr(152, word), 0xffffffffff), and(shr(192, word), 0xffffff)),
                                        and(shr(64, word), 0xffffff)
                                    )
                                )
                            )
                        )
                    )
                )
            }
            if (!fast) replaced = _checkPolicyRules(protocolId, word, action, nonce, deadline, evidenceFromBlock);
        }
        _checkSignature(protocolId, action, nonce, deadline, evidenceFromBlock, evidenceHash, signature);

        hookSucceeded = _engage(protocolId, target, word, action, replaced, nonce, evidenceFromBlock, evidenceHash);
    }

    /// @dev Record the containment, call the hook, emit `ContainmentEngaged(protocolId, action,
    /// nonce, evidenceFromBlock, evidenceHash, expiresAt, hookSucceeded)`. It is recorded as
    /// engaged before the hook runs (one write when the hook succeeds). A failed hook is not a
    /// containment: what was in force stays so, no cooldown starts, the release block does not
    /// move (the evidence still stands for another action); the nonce is used up and this action
    /// is refused until the hook is proven again (HookCallFailed, before ContainmentEngaged).
    /// The hook gets exactly HOOK_GAS_LIMIT gas (the check is the last thing before the call),
    /// its calldata built in scratch memory past the free memory pointer (not allocated; no return
    /// data copied): the registered selector with no arguments, or
    /// `IGuardable.engageContainment(action, expiresAt, evidenceHash)` when the selector is zero.
    /// The event is encoded in the same scratch memory (the compiler's encoder allocates and
    /// copies; a test checks the event with vm.expectEmit). One function, not three: each
    /// internal call with this many arguments cost about 80 gas of stack shuffling.
    function _engage(
        bytes32 protocolId,
        address target,
        uint256 word,
        uint8 action,
        uint8 replaced,
        uint64 nonce,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash
    ) private returns (bool ok) {
        ProtocolStateWord.store(_stateSlot(protocolId), ProtocolStateWord.engaged(word, action, replaced));
        uint64 expiresAt;
        unchecked {
            expiresAt = uint64(block.timestamp) + uint24(word >> ProtocolStateWord.MAX_DURATION);
            // constants: folded when unchecked (checked, this expression cost about 220 gas)
            if (gasleft() < (HOOK_GAS_LIMIT * 64) / 63 + HOOK_GAS_MARGIN) {
                revert GuardianOracleInsufficientGasForHook();
            }
        }
        // Values narrower than a word may carry dirty high bits in assembly: each is masked.
        uint256 hookGas = HOOK_GAS_LIMIT;
        assembly ("memory-safe") {
            let callee := target // near the top of the stack: the call's arguments go above it
            let m := mload(0x40)
            let selector := and(shr(8, word), 0xffffffff) // pauseSelector (bytes4 at bit 8)
            mstore(m, shl(224, selector))
            let size := 4
            if iszero(selector) {
                mstore(m, shl(224, _ENGAGE_CONTAINMENT))
                mstore(add(m, 4), and(action, 0xff))
                mstore(add(m, 36), and(expiresAt, 0xffffffffffffffff))
                mstore(add(m, 68), evidenceHash)
                size := 100
            }
            ok := call(hookGas, callee, 0, m, size, 0, 0)
        }
        if (!ok) ok = _hookFailed(protocolId, target, word, action);
        bytes32 topic = ContainmentEngaged.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, and(action, 0xff))
            mstore(add(m, 0x20), and(nonce, 0xffffffffffffffff))
            mstore(add(m, 0x40), and(evidenceFromBlock, 0xffffffffffffffff))
            mstore(add(m, 0x60), evidenceHash)
            mstore(add(m, 0x80), and(expiresAt, 0xffffffffffffffff))
            mstore(add(m, 0xa0), ok)
            log2(m, 0xc0, topic, protocolId)
        }
    }

    /// @dev The engage hook failed (off {authorize}'s success path). A selector-hook target that
    /// reports `paused()` true is already contained (OpenZeppelin's `pause()` reverts
    /// `EnforcedPause` when the team paused first): that is a containment, not a broken hook.
    /// Otherwise the failure is recorded (the action is refused until the hook is proven again)
    /// and the registrant's bond pays the submitter for it ({_chargeFailedHook}).
    function _hookFailed(bytes32 protocolId, address target, uint256 word, uint8 action) private returns (bool) {
        bytes4 selector = bytes4(uint32(word >> ProtocolStateWord.PAUSE_SELECTOR));
        if (selector != bytes4(0) && _answersTrue(target, _PAUSED, 0)) return true;
        ProtocolStateWord.store(_stateSlot(protocolId), ProtocolStateWord.hookFailed(word, action));
        emit HookCallFailed(protocolId, selector == bytes4(0) ? IGuardable.engageContainment.selector : selector);
        _chargeFailedHook(protocolId);
        return false;
    }

    /// @dev Whether `target` answers `query(arg)` with true (`paused()` ignores the extra word;
    /// `isContained(uint8)` reads it), read with bounded gas; false when it cannot answer.
    function _answersTrue(address target, bytes4 query, uint256 arg) private view returns (bool yes) {
        assembly ("memory-safe") {
            mstore(0x00, query) // scratch space: the selector, then the argument word
            mstore(0x04, arg)
            let ok := staticcall(30000, target, 0x00, 0x24, 0x00, 0x20)
            yes := and(and(ok, iszero(lt(returndatasize(), 32))), eq(mload(0x00), 1))
        }
    }

    /// @dev The group key's signature over the digest of these arguments, or a revert.
    function _checkSignature(
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 evidenceHash,
        bytes calldata signature
    ) private view {
        if (signature.length != _SIGNATURE_LENGTH) {
            revert GuardianOracleInvalidSignatureLength(signature.length);
        }
        (address keyData, bytes32 digest) =
            _currentKeyAndDigest(protocolId, action, nonce, deadline, evidenceFromBlock, evidenceHash);
        if (!_verifyAuthorization(keyData, digest, signature)) revert GuardianOracleInvalidSignature();
    }

    /// @dev The policy rules of {authorize}, in order, on the protocol's state word, each with its
    /// error; returns the weaker action a PAUSE replaces (0 when no containment is in force).
    /// Fields are read inline (shift and truncate): the legacy code generator does not inline the
    /// library's getters.
    function _checkPolicyRules(
        bytes32 protocolId,
        uint256 word,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock
    ) private view returns (uint8 replaced) {
        uint8 allowed = uint8(word >> ProtocolStateWord.ALLOWED_ACTIONS);
        if (allowed == 0) revert GuardianOracleNotRegistered(protocolId);
        // allowedActions uses bits 1..MAX_ACTION only (validated), and `1 << action` is 0 in uint8
        // for action >= 8: this one test refuses 0 and every action above MAX_ACTION too.
        if ((allowed & (uint8(1) << action)) == 0) revert GuardianOracleActionNotAllowed(protocolId, action);
        uint32 expected = uint32(word >> ProtocolStateWord.NONCE);
        if (nonce != expected) revert GuardianOracleInvalidNonce(expected, nonce);
        if (block.timestamp > deadline) revert GuardianOracleDeadlineExpired(deadline);
        uint40 releaseBlock = uint40(word >> ProtocolStateWord.RELEASE_BLOCK);
        if (evidenceFromBlock <= releaseBlock) {
            revert GuardianOracleEvidenceBeforeRelease(releaseBlock, evidenceFromBlock);
        }
        if (action == uint8(word >> ProtocolStateWord.FAILED_ACTION)) {
            revert GuardianOracleHookFailedBefore(protocolId, action);
        }
        uint40 engagedAt = uint40(word >> ProtocolStateWord.ENGAGED_AT);
        // uint40 + uint24 + uint24: no overflow in uint64, unchecked.
        unchecked {
            uint64 expiresAt = uint64(engagedAt) + uint24(word >> ProtocolStateWord.HELD_FOR);
            if (block.timestamp < expiresAt) {
                // Only escalation: a PAUSE may replace a weaker action in force.
                uint8 inForce = uint8(word >> ProtocolStateWord.ACTION);
                if (action != ACTION_PAUSE || inForce == ACTION_PAUSE) {
                    revert GuardianOracleContainmentActive(protocolId, expiresAt);
                }
                replaced = inForce;
            } else if (engagedAt != 0) {
                // The last containment's action stays in the word after it ended (a lift or its
                // expiry changes only heldFor and the release block). A cooldown a weaker action
                // started never refuses a PAUSE: a provoked false circuit breaker, lifted, must
                // not open a window for the exploit. A PAUSE's own cooldown refuses everything.
                uint64 availableAt = expiresAt + uint24(word >> ProtocolStateWord.COOLDOWN);
                if (
                    block.timestamp < availableAt
                        && (action != ACTION_PAUSE || uint8(word >> ProtocolStateWord.ACTION) == ACTION_PAUSE)
                ) revert GuardianOracleCooldownActive(protocolId, availableAt);
            }
        }
    }

    /// @inheritdoc IGuardianOracle
    function liftContainment(bytes32 protocolId) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert GuardianOracleUnauthorized(msg.sender);
        ProtocolState storage state = _state(protocolId);
        if (state.engagedAt == 0) revert GuardianOracleNoActiveContainment(protocolId);
        emit ContainmentLifted(protocolId, msg.sender);
        if (block.timestamp >= _expiresAt(state)) {
            // Expired already: the lift only records the release at this block (the same Safe
            // batch, lift then unpause(), works before and after expiry); no hook, no cooldown.
            state.releaseBlock = uint40(block.number);
            return;
        }
        _release(state);
        if (state.pauseSelector == bytes4(0)) {
            address target = r.target;
            _callHook(protocolId, target, abi.encodeCall(IGuardable.liftContainment, (state.action)));
            uint8 replaced = state.replacedAction;
            if (replaced != 0) _callHook(protocolId, target, abi.encodeCall(IGuardable.liftContainment, (replaced)));
        }
    }

    /// @inheritdoc IGuardianOracle
    function containmentLiftedByTarget(uint8 action) external nonReentrant {
        bytes32 protocolId = protocolIdOf(msg.sender);
        address target = msg.sender;
        if (_registration(protocolId).admin == address(0)) return; // not registered (or pending)
        ProtocolState storage state = _state(protocolId);
        // Only a Guardable target has a lift of its own to report.
        if (state.pauseSelector != bytes4(0)) return;
        if (block.timestamp >= _expiresAt(state) || state.action != action) return;
        // The notice is not trusted: anyone reaching a forwarder on the target can send it. The
        // target's own state is: the action must really be off there.
        if (_answersTrue(target, _IS_CONTAINED, action)) return;
        uint8 replaced = state.replacedAction;
        if (replaced != 0 && _answersTrue(target, _IS_CONTAINED, replaced)) {
            // A PAUSE that replaced a weaker action was lifted; the weaker one is still on the
            // target, so the record goes back to it (no release, no cooldown yet).
            state.action = replaced;
            state.replacedAction = 0;
            emit ContainmentLifted(protocolId, target);
            return;
        }
        _release(state);
        emit ContainmentLifted(protocolId, target);
    }

    /// @inheritdoc IGuardianOracle
    function extendContainment(bytes32 protocolId, uint64 newExpiresAt) external nonReentrant {
        Registration storage r = _requireRegistered(protocolId);
        if (msg.sender != r.admin) revert GuardianOracleUnauthorized(msg.sender);
        ProtocolState storage state = _state(protocolId);
        uint64 current = _expiresAt(state);
        if (block.timestamp >= current) revert GuardianOracleNoActiveContainment(protocolId);
        uint64 engagedAt = state.engagedAt;
        // The cap is on the whole containment, measured from its engagement.
        if (newExpiresAt <= current || newExpiresAt > engagedAt + MAX_CONTAINMENT_DURATION) {
            revert GuardianOracleInvalidExpiry(newExpiresAt);
        }

        state.heldFor = uint24(newExpiresAt - engagedAt); // at most MAX_CONTAINMENT_DURATION
        emit ContainmentExtended(protocolId, newExpiresAt);
        if (state.pauseSelector == bytes4(0)) {
            bool ok = _callHook(
                protocolId,
                r.target,
                abi.encodeCall(IGuardable.engageContainment, (state.action, newExpiresAt, bytes32(0)))
            );
            if (!ok) revert GuardianOracleHookFailed(protocolId);
        }
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IGuardianOracle
    function nonces(bytes32 protocolId) external view returns (uint64) {
        return _state(protocolId).nonce;
    }

    /// @inheritdoc IGuardianOracle
    function lastReleaseBlock(bytes32 protocolId) external view returns (uint64) {
        return _state(protocolId).releaseBlock;
    }

    /// @inheritdoc IGuardianOracle
    function containment(bytes32 protocolId)
        external
        view
        returns (uint8 action, uint64 engagedAt, uint64 expiresAt, bool hookSucceeded, bool active)
    {
        ProtocolState memory s = _state(protocolId);
        if (s.engagedAt == 0) return (0, 0, 0, false, false);
        expiresAt = uint64(s.engagedAt) + s.heldFor;
        return (s.action, s.engagedAt, expiresAt, s.hookSucceeded, block.timestamp < expiresAt);
    }

    /// @inheritdoc IGuardianOracle
    function failedHookAction(bytes32 protocolId) external view returns (uint8) {
        return _state(protocolId).failedAction;
    }

    // ---------------------------------------------------------------- internals

    /// @dev When the latest containment ends (or ended); 0 before the first.
    function _expiresAt(ProtocolState storage state) private view returns (uint64) {
        return uint64(state.engagedAt) + state.heldFor;
    }

    /// @dev End the containment in force now; evidence must start after this block.
    function _release(ProtocolState storage state) private {
        state.heldFor = uint24(block.timestamp - state.engagedAt); // a containment in force: >= 0
        state.releaseBlock = uint40(block.number);
    }

    /// @dev {_callWithHookGas}, and a HookCallFailed event when the hook fails.
    function _callHook(bytes32 protocolId, address target, bytes memory data) private returns (bool ok) {
        ok = _callWithHookGas(target, data);
        // forge-lint: disable-next-line(unsafe-typecast)
        if (!ok) emit HookCallFailed(protocolId, bytes4(data)); // the first 4 bytes: the selector
    }
}
