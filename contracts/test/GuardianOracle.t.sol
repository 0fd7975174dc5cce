// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {GuardianOracle} from "../src/GuardianOracle.sol";
import {IGuardianOracle} from "../src/IGuardianOracle.sol";
import {RegistrationParams} from "../src/OracleTypes.sol";
import {IGuardable, ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK} from "../src/IGuardable.sol";
import {Guardable} from "../src/Guardable.sol";
import {OracleTestBase} from "./oracle/OracleTestBase.sol";
import {fakeSignature} from "./oracle/OracleHarness.sol";
import {MinimalGuarded} from "./oracle/GuardedCounter.sol";
import {
    RevertingHook,
    GasBurnerHook,
    ReturnBombHook,
    RecordingHook,
    GasProbeHook,
    ReentrantHook,
    PausableTarget,
    OneActionFailsHook
} from "./oracle/Hooks.sol";

/// @notice The authorization policy: every rule of {GuardianOracle.authorize} and its error.
contract OraclePolicyTest is OracleTestBase {
    function test_authorizeEngagesAndRecords() public {
        uint64 deadline = uint64(block.timestamp + 60);
        bytes memory sig = sigFor(id, ACTION_PAUSE, 0, deadline, EVIDENCE);
        uint64 expected = uint64(block.timestamp) + MAX_DURATION;
        vm.expectEmit(true, false, false, true, address(oracle));
        emit IGuardianOracle.ContainmentEngaged(id, ACTION_PAUSE, 0, FROM, EVIDENCE, expected, true);
        vm.prank(SUBMITTER);
        assertTrue(oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig), "hook succeeded");

        assertEq(uint256(oracle.nonces(id)), 1, "nonce incremented");
        (uint8 action, uint64 engagedAt, uint64 expiresAt, bool ok, bool active) = oracle.containment(id);
        assertEq(uint256(action), ACTION_PAUSE, "action");
        assertEq(uint256(engagedAt), block.timestamp, "engagedAt");
        assertEq(uint256(expiresAt), expected, "expiresAt = now + maxDuration");
        assertTrue(ok && active, "hook ok and active");
        assertTrue(protocol.isPaused(), "protocol paused");
        assertEq(uint256(protocol.containmentExpiresAt(ACTION_PAUSE)), expected, "protocol expiry matches");
    }

    function test_eachAllowedActionReachesTheProtocol() public {
        engage(id, ACTION_CIRCUIT_BREAKER);
        assertTrue(protocol.isCircuitBroken() && !protocol.isPaused(), "circuit breaker only");
        vm.warp(block.timestamp + MAX_DURATION + COOLDOWN);
        engage(id, ACTION_COLLATERAL_LOCK);
        assertTrue(protocol.areWithdrawalsLocked() && !protocol.isCircuitBroken(), "lock only");
    }

    function test_digestMatchesSpec() public view {
        bytes32 ev = keccak256("x");
        assertEq(
            oracle.authorizationDigest(id, 2, 7, 99, FROM, ev), digestFor(1, id, 2, 7, 99, ev), "authorizationDigest view"
        );
    }

    function test_unregisteredReverts() public {
        bytes32 unknown = keccak256(abi.encode(address(0xdead)));
        bytes memory sig = sigFor(unknown, ACTION_PAUSE, 0, uint64(block.timestamp), EVIDENCE);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotRegistered.selector, unknown));
        oracle.authorize(address(0xdead), ACTION_PAUSE, 0, uint64(block.timestamp), FROM, EVIDENCE, sig);
    }

    function testFuzz_actionMustBeAllowed(uint8 allowedBits, uint8 action) public {
        uint8 allowed = uint8(bound(allowedBits, 1, 7)) << 1; // a non-empty subset of bits 1..3
        RegistrationParams memory rp = params(address(protocol));
        rp.allowedActions = allowed;
        vm.prank(ADMIN);
        oracle.updateRegistration(id, rp);
        uint64 deadline = uint64(block.timestamp);
        bytes memory sig = sigFor(id, action, 0, deadline, EVIDENCE);
        bool permitted = action >= 1 && action <= 3 && (allowed & (uint8(1) << action)) != 0;
        if (!permitted) {
            vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleActionNotAllowed.selector, id, action));
        }
        oracle.authorize(targetOf(id), action, 0, deadline, FROM, EVIDENCE, sig);
        assertEq(uint256(oracle.nonces(id)), permitted ? 1 : 0, "nonce moves only on success");
    }

    function testFuzz_nonceMustBeCurrent(uint64 nonce) public {
        vm.assume(nonce != 0);
        uint64 deadline = uint64(block.timestamp);
        bytes memory sig = sigFor(id, ACTION_PAUSE, nonce, deadline, EVIDENCE);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidNonce.selector, uint64(0), nonce));
        oracle.authorize(targetOf(id), ACTION_PAUSE, nonce, deadline, FROM, EVIDENCE, sig);
    }

    function test_nonceCannotBeReused() public {
        uint64 deadline = uint64(block.timestamp + 2 days);
        bytes memory sig = sigFor(id, ACTION_PAUSE, 0, deadline, EVIDENCE);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig);
        vm.warp(block.timestamp + MAX_DURATION + COOLDOWN); // every other rule would pass now
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidNonce.selector, uint64(1), uint64(0)));
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig);
        // The next nonce works.
        oracle.authorize(targetOf(id), ACTION_PAUSE, 1, deadline, FROM, EVIDENCE, sigFor(id, ACTION_PAUSE, 1, deadline, EVIDENCE));
        assertEq(uint256(oracle.nonces(id)), 2, "nonce 2");
    }

    function testFuzz_deadline(uint64 deadline, uint32 elapsed) public {
        vm.assume(deadline >= block.timestamp);
        bytes memory sig = sigFor(id, ACTION_PAUSE, 0, deadline, EVIDENCE);
        uint256 t = block.timestamp + elapsed;
        vm.warp(t);
        if (t > deadline) vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleDeadlineExpired.selector, deadline));
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig);
    }

    function test_deadlineIsInclusive() public {
        uint64 deadline = uint64(block.timestamp);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sigFor(id, ACTION_PAUSE, 0, deadline, EVIDENCE));
        assertTrue(isActive(id), "engaged at the deadline itself");
    }

    function test_activeContainmentBlocksGuardians() public {
        engagePause();
        uint64 expiresAt = expiresAtOf(id);
        vm.warp(expiresAt - 1);
        uint64 deadline = uint64(block.timestamp);
        bytes memory sig = sigFor(id, ACTION_CIRCUIT_BREAKER, 1, deadline, EVIDENCE);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleContainmentActive.selector, id, expiresAt));
        oracle.authorize(targetOf(id), ACTION_CIRCUIT_BREAKER, 1, deadline, FROM, EVIDENCE, sig);
    }

    function testFuzz_cooldown(uint32 afterExpiry) public {
        engagePause();
        uint64 expiresAt = expiresAtOf(id);
        uint256 t = uint256(expiresAt) + bound(afterExpiry, 0, 2 * COOLDOWN);
        vm.warp(t);
        uint64 deadline = uint64(t);
        bytes memory sig = sigFor(id, ACTION_PAUSE, 1, deadline, EVIDENCE);
        if (t < expiresAt + COOLDOWN) {
            vm.expectRevert(
                abi.encodeWithSelector(IGuardianOracle.GuardianOracleCooldownActive.selector, id, uint64(expiresAt + COOLDOWN))
            );
        }
        oracle.authorize(targetOf(id), ACTION_PAUSE, 1, deadline, FROM, EVIDENCE, sig);
    }

    function test_signatureBindsEveryField() public {
        uint64 deadline = uint64(block.timestamp + 60);
        bytes32 other = keccak256("other");
        bytes[6] memory wrong = [
            sigFor(id, ACTION_PAUSE, 0, deadline, other), // other evidence
            sigFor(id, ACTION_CIRCUIT_BREAKER, 0, deadline, EVIDENCE), // other action
            sigFor(id, ACTION_PAUSE, 0, deadline + 1, EVIDENCE), // other deadline
            sigFor(other, ACTION_PAUSE, 0, deadline, EVIDENCE), // other protocol
            fakeSignature(digestFor(2, id, ACTION_PAUSE, 0, deadline, EVIDENCE)), // other epoch
            fakeSignature(bytes32(0))
        ];
        for (uint256 i; i < wrong.length; ++i) {
            vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
            oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, wrong[i]);
        }
        // Another chain id changes the digest too.
        bytes memory good = sigFor(id, ACTION_PAUSE, 0, deadline, EVIDENCE);
        vm.chainId(999);
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, good);
        vm.chainId(31337);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, good);
    }

    function test_signatureLengthChecked() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidSignatureLength.selector, uint256(96)));
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, uint64(block.timestamp), FROM, EVIDENCE, new bytes(96));
    }

    function test_anotherOracleDeploymentRejectsTheSignature() public {
        // Same registration on a second oracle: the oracle address is in the digest.
        uint64 deadline = uint64(block.timestamp + 60);
        RecordingHook target = new RecordingHook(); // accepts engage calls from any oracle
        bytes32 pid = registerHook(address(target));
        bytes memory sig = sigFor(pid, ACTION_PAUSE, 0, deadline, EVIDENCE);
        GuardianOracle second = GuardianOracle(address(new RecordingOracleFactory().make(g1Generator())));
        vm.prank(ADMIN);
        second.register(params(address(target)));
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        second.authorize(targetOf(pid), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig);
    }
}

import {OracleHarness} from "./oracle/OracleHarness.sol";

contract RecordingOracleFactory {
    function make(bytes memory pk) external returns (address) {
        return address(new OracleHarness(address(0x60), pk, 3, 5, 2 days));
    }
}

/// @notice Expiry, lifting and extension of a containment.
contract OracleLifecycleTest is OracleTestBase {
    function test_expiresByItself() public {
        engagePause();
        uint64 expiresAt = expiresAtOf(id);
        vm.warp(expiresAt - 1);
        assertTrue(isActive(id) && protocol.isPaused(), "active one second before");
        vm.warp(expiresAt);
        assertFalse(isActive(id), "oracle record expired");
        assertFalse(protocol.isPaused(), "protocol unpaused without anyone acting");
        protocol.deposit();
    }

    function test_adminLifts() public {
        engagePause();
        vm.warp(block.timestamp + 100);
        vm.expectEmit(true, false, false, true, address(oracle));
        emit IGuardianOracle.ContainmentLifted(id, ADMIN);
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        assertFalse(isActive(id), "record lifted");
        assertEq(uint256(expiresAtOf(id)), block.timestamp, "ended now");
        assertFalse(protocol.isPaused(), "protocol lifted through the hook");

        // The cooldown runs from the lift.
        uint64 deadline = uint64(block.timestamp + COOLDOWN);
        bytes memory sig = sigFor(id, ACTION_PAUSE, 1, deadline, EVIDENCE);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleCooldownActive.selector, id, uint64(block.timestamp + COOLDOWN))
        );
        oracle.authorize(targetOf(id), ACTION_PAUSE, 1, deadline, FROM, EVIDENCE, sig);
        vm.warp(block.timestamp + COOLDOWN);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 1, deadline, FROM, EVIDENCE, sig);
        assertTrue(isActive(id), "engaged again after the cooldown");
    }

    function testFuzz_onlyAdminLifts(address caller) public {
        vm.assume(caller != ADMIN);
        engagePause();
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, caller));
        oracle.liftContainment(id);
        assertTrue(isActive(id), "still active");
    }

    function test_liftWithoutContainmentReverts() public {
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoActiveContainment.selector, id));
        oracle.liftContainment(id);
        engagePause();
        uint64 expired = expiresAtOf(id);
        vm.warp(expired);
        vm.roll(block.number + 7);
        // Issue 21 item 12: after expiry the lift records the release only (so a Safe batch of
        // lift + unpause() works before and after expiry); on f797509 it reverted.
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        assertEq(uint256(oracle.lastReleaseBlock(id)), block.number, "release recorded");
        assertEq(uint256(expiresAtOf(id)), expired, "the containment's times unchanged");
        assertFalse(isActive(id), "nothing in force");
    }

    function test_liftToleratesAFailingHook() public {
        RevertingHook hook = new RevertingHook();
        bytes32 pid = registerHook(address(hook));
        engage(pid, ACTION_PAUSE);
        vm.expectEmit(true, false, false, true, address(oracle));
        emit IGuardianOracle.HookCallFailed(pid, IGuardable.liftContainment.selector);
        vm.prank(ADMIN);
        oracle.liftContainment(pid);
        assertFalse(isActive(pid), "record lifted anyway");
    }

    function test_adminExtends() public {
        engagePause();
        uint64 newExpiry = expiresAtOf(id) + 1 days;
        vm.expectEmit(true, false, false, true, address(oracle));
        emit IGuardianOracle.ContainmentExtended(id, newExpiry);
        vm.prank(ADMIN);
        oracle.extendContainment(id, newExpiry);
        assertEq(uint256(expiresAtOf(id)), newExpiry, "record extended");
        assertEq(uint256(protocol.containmentExpiresAt(ACTION_PAUSE)), newExpiry, "protocol extended");
        vm.warp(newExpiry - 1);
        assertTrue(isActive(id) && protocol.isPaused(), "still active before the new expiry");
        vm.warp(newExpiry);
        assertFalse(isActive(id) || protocol.isPaused(), "ends at the new expiry");
    }

    function testFuzz_onlyAdminExtends(address caller) public {
        vm.assume(caller != ADMIN);
        engagePause();
        uint64 before = expiresAtOf(id);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, caller));
        oracle.extendContainment(id, before + 1);
        assertEq(uint256(expiresAtOf(id)), before, "unchanged");
    }

    function test_extendBounds() public {
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoActiveContainment.selector, id));
        oracle.extendContainment(id, uint64(block.timestamp + 1 days));

        engagePause();
        uint64 current = expiresAtOf(id);
        vm.startPrank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidExpiry.selector, current));
        oracle.extendContainment(id, current);
        uint64 tooFar = uint64(block.timestamp + 30 days + 1);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidExpiry.selector, tooFar));
        oracle.extendContainment(id, tooFar);
        oracle.extendContainment(id, tooFar - 1);
        vm.stopPrank();
        assertEq(uint256(expiresAtOf(id)), tooFar - 1, "30 days is the limit");
    }

    function test_extendRevertsIfHookFails() public {
        RevertingHook hook = new RevertingHook();
        bytes32 pid = registerHook(address(hook));
        engage(pid, ACTION_PAUSE);
        hook.setBroken(true);
        uint64 current = expiresAtOf(pid);
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleHookFailed.selector, pid));
        oracle.extendContainment(pid, current + 1);
        assertEq(uint256(expiresAtOf(pid)), current, "record unchanged");
    }

    function test_deregisteredContainmentStillExpires() public {
        engagePause();
        uint64 expiresAt = expiresAtOf(id);
        vm.prank(ADMIN);
        oracle.deregister(id);
        assertTrue(isActive(id), "record kept");
        vm.warp(expiresAt);
        assertFalse(isActive(id), "expired");
    }

    function test_selectorHookPausesAndLiftOnlyChangesTheRecord() public {
        PausableTarget target = new PausableTarget(address(oracle));
        RegistrationParams memory rp = params(address(target));
        rp.hookKind = 1;
        rp.pauseSelector = PausableTarget.pause.selector;
        ownedBy(address(target), ADMIN);
        vm.prank(ADMIN);
        bytes32 pid = oracle.register(rp);
        assertTrue(engage(pid, ACTION_PAUSE), "pause() succeeded");
        assertTrue(target.paused(), "target paused");
        // Extension is record-only: no hook is called (PausableTarget has no engageContainment).
        uint64 newExpiry = expiresAtOf(pid) + 1 hours;
        vm.prank(ADMIN);
        oracle.extendContainment(pid, newExpiry);
        assertEq(uint256(expiresAtOf(pid)), newExpiry, "record extended");
        vm.prank(ADMIN);
        oracle.liftContainment(pid);
        assertFalse(isActive(pid), "record lifted");
        assertTrue(target.paused(), "the target's own governance unpauses it");
    }
}

/// @notice Hooks that revert, burn gas, return bombs or re-enter never brick the oracle, and no
/// submitter can starve a hook.
contract OracleHookSafetyTest is OracleTestBase {
    function _assertRecoverable(bytes32 pid) internal {
        assertEq(uint256(oracle.nonces(pid)), 1, "nonce consumed");
        assertFalse(isActive(pid), "a failed hook is not a containment");
        engage(pid, ACTION_CIRCUIT_BREAKER); // at once: no containment in force, no cooldown
        assertEq(uint256(oracle.nonces(pid)), 2, "oracle still usable");
        engagePause(); // and other protocols are unaffected
        assertTrue(protocol.isPaused(), "other protocol contained");
    }

    function test_revertingHook() public {
        RevertingHook hook = new RevertingHook();
        bytes32 pid = registerHook(address(hook));
        hook.setBroken(true);
        vm.expectEmit(true, false, false, true, address(oracle));
        emit IGuardianOracle.HookCallFailed(pid, IGuardable.engageContainment.selector);
        assertFalse(engage(pid, ACTION_PAUSE), "reported as failed");
        assertFalse(hookOk(pid), "recorded as failed");
        _assertRecoverable(pid);
    }

    function test_gasBurningHook() public {
        GasBurnerHook hook = new GasBurnerHook();
        bytes32 pid = registerHook(address(hook));
        hook.setBroken(true);
        uint64 nonce = 0;
        uint64 deadline = uint64(block.timestamp);
        bytes memory sig = sigFor(pid, ACTION_PAUSE, nonce, deadline, EVIDENCE);
        uint256 before = gasleft();
        bool ok = oracle.authorize(targetOf(pid), ACTION_PAUSE, nonce, deadline, FROM, EVIDENCE, sig);
        uint256 used = before - gasleft();
        assertFalse(ok, "reported as failed");
        assertFalse(hookOk(pid), "recorded as failed");
        assertLe(used, 100_000 + 80_000, "the hook burned at most its allowance");
        _assertRecoverable(pid);
    }

    function test_returnBombHook() public {
        bytes32 pid = registerHook(address(new ReturnBombHook()));
        uint64 deadline = uint64(block.timestamp);
        bytes memory sig = sigFor(pid, ACTION_PAUSE, 0, deadline, EVIDENCE);
        uint256 before = gasleft();
        bool ok = oracle.authorize(targetOf(pid), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig);
        uint256 used = before - gasleft();
        assertTrue(ok, "the hook returned normally");
        assertLe(used, 100_000 + 80_000, "no return data was copied");
        // Its lift reverts with the same bomb: tolerated.
        vm.prank(ADMIN);
        oracle.liftContainment(pid);
        assertFalse(isActive(pid), "lifted");
    }

    function test_reentrantHookCannotReenter() public {
        ReentrantHook hook = new ReentrantHook();
        bytes32 pid = registerHook(address(hook));
        uint64 deadline = uint64(block.timestamp);
        hook.arm(
            address(oracle),
            abi.encodeCall(
                IGuardianOracle.authorize,
                (targetOf(pid), ACTION_PAUSE, 1, deadline, 2, EVIDENCE, fakeSignature(digestFor(1, pid, ACTION_PAUSE, 1, deadline, 2, EVIDENCE)))
            )
        );
        assertTrue(engage(pid, ACTION_PAUSE), "hook itself succeeded");
        assertEq(bytes32(hook.revertSelector()), bytes32(IGuardianOracle.GuardianOracleReentrantCall.selector), "re-entry refused");
        assertEq(uint256(oracle.nonces(pid)), 1, "only one authorization");
    }

    /// @dev A selector hook the oracle may not call is refused at registration (it used to be
    /// accepted, and every containment then failed).
    function test_hookKindOneWithoutPermissionIsRefused() public {
        PausableTarget target = new PausableTarget(address(0x1)); // the oracle is not the pauser
        RegistrationParams memory rp = params(address(target));
        rp.hookKind = 1;
        rp.pauseSelector = PausableTarget.pause.selector;
        ownedBy(address(target), ADMIN);
        vm.prank(ADMIN);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianOracle.GuardianOracleHookProbeFailed.selector,
                address(target),
                abi.encodePacked(PausableTarget.pause.selector)
            )
        );
        oracle.register(rp);
        assertFalse(target.paused(), "not paused");
    }

    function test_starvingTheHookReverts() public {
        GasProbeHook hook = new GasProbeHook();
        bytes32 pid = registerHook(address(hook));
        uint64 deadline = uint64(block.timestamp);
        bytes memory sig = sigFor(pid, ACTION_PAUSE, 0, deadline, EVIDENCE);
        vm.expectRevert(IGuardianOracle.GuardianOracleInsufficientGasForHook.selector);
        oracle.authorize{gas: 110_000}(targetOf(pid), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig);
        assertEq(uint256(oracle.nonces(pid)), 0, "nothing consumed");
    }

    /// @dev Whatever gas the submitter sends, either the whole call reverts or the hook got its
    /// full allowance (less the few hundred gas of its own dispatch before `gasleft()`).
    function testFuzz_hookNeverStarved(uint256 gasLimit) public {
        GasProbeHook hook = new GasProbeHook();
        bytes32 pid = registerHook(address(hook));
        uint64 deadline = uint64(block.timestamp);
        bytes memory sig = sigFor(pid, ACTION_PAUSE, 0, deadline, EVIDENCE);
        gasLimit = bound(gasLimit, 60_000, 260_000);
        try oracle.authorize{gas: gasLimit}(targetOf(pid), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig) returns (bool ok) {
            assertTrue(ok, "hook succeeded whenever authorize succeeded");
            assertGe(hook.gasSeen(), 99_000, "hook received its allowance");
        } catch {
            assertEq(uint256(oracle.nonces(pid)), 0, "reverted as a whole");
            assertEq(hook.gasSeen(), 0, "hook state rolled back");
        }
    }
}

/// @notice The group key changes only through governance's timelock.
contract OracleKeyRotationTest is OracleTestBase {
    function _queue() internal returns (bytes memory pk) {
        pk = g1Double();
        vm.prank(GOV);
        oracle.queueKeyRotation(pk, 67, 100);
    }

    function test_queueWaitExecute() public {
        bytes memory pk = g1Double();
        uint64 executableAt = uint64(block.timestamp + DELAY);
        vm.expectEmit(false, false, false, true, address(oracle));
        emit IGuardianOracle.KeyRotationQueued(2, pk, 67, 100, executableAt);
        vm.prank(GOV);
        oracle.queueKeyRotation(pk, 67, 100);
        (uint64 epoch, bytes memory qpk, uint16 t, uint16 n, uint64 when) = oracle.pendingKeyRotation();
        assertEq(uint256(epoch), 2, "pending epoch");
        assertEq(qpk, pk, "pending key");
        assertEq(uint256(t) * 1000 + n, 67_100, "pending t/n");
        assertEq(uint256(when), executableAt, "executableAt");
        assertEq(uint256(oracle.keyEpoch()), 1, "nothing changed yet");

        vm.warp(executableAt - 1);
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleRotationNotReady.selector, executableAt));
        oracle.executeKeyRotation();

        vm.warp(executableAt);
        vm.expectEmit(false, false, false, true, address(oracle));
        emit IGuardianOracle.KeyRotated(2, pk, 67, 100);
        vm.prank(GOV);
        oracle.executeKeyRotation();
        assertEq(uint256(oracle.keyEpoch()), 2, "epoch + 1");
        assertEq(oracle.groupPublicKey(), pk, "new key");
        assertEq(uint256(oracle.threshold()), 67, "t");
        assertEq(uint256(oracle.guardianCount()), 100, "n");
        (,,,, when) = oracle.pendingKeyRotation();
        assertEq(uint256(when), 0, "nothing pending");
    }

    function testFuzz_onlyGovernanceRotates(address caller) public {
        vm.assume(caller != GOV);
        bytes memory pk = g1Double();
        vm.startPrank(caller);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, caller));
        oracle.queueKeyRotation(pk, 2, 3);
        vm.stopPrank();
        _queue();
        vm.warp(block.timestamp + DELAY);
        vm.startPrank(caller);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, caller));
        oracle.executeKeyRotation();
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, caller));
        oracle.cancelKeyRotation();
        vm.stopPrank();
        assertEq(uint256(oracle.keyEpoch()), 1, "unchanged");
    }

    function test_cancel() public {
        _queue();
        vm.expectEmit(false, false, false, true, address(oracle));
        emit IGuardianOracle.KeyRotationCancelled(2);
        vm.prank(GOV);
        oracle.cancelKeyRotation();
        vm.warp(block.timestamp + DELAY);
        vm.startPrank(GOV);
        vm.expectRevert(IGuardianOracle.GuardianOracleRotationNotQueued.selector);
        oracle.executeKeyRotation();
        vm.expectRevert(IGuardianOracle.GuardianOracleRotationNotQueued.selector);
        oracle.cancelKeyRotation();
        vm.stopPrank();
        assertEq(uint256(oracle.keyEpoch()), 1, "unchanged");
        assertEq(oracle.groupPublicKey(), g1Generator(), "old key kept");
    }

    function test_oneRotationAtATimeAndValidated() public {
        _queue();
        vm.startPrank(GOV);
        vm.expectRevert(IGuardianOracle.GuardianOracleRotationAlreadyQueued.selector);
        oracle.queueKeyRotation(g1Generator(), 1, 1);
        oracle.cancelKeyRotation();
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidPublicKey.selector);
        oracle.queueKeyRotation(new bytes(128), 1, 1);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidThreshold.selector, uint16(2), uint16(1)));
        oracle.queueKeyRotation(g1Generator(), 2, 1);
        vm.stopPrank();
    }

    function test_oldEpochSignaturesFailAfterRotation() public {
        uint64 deadline = uint64(block.timestamp + 3 days);
        bytes memory oldSig = sigFor(id, ACTION_PAUSE, 0, deadline, EVIDENCE); // epoch 1
        _queue();
        vm.warp(block.timestamp + DELAY);
        vm.prank(GOV);
        oracle.executeKeyRotation();
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, oldSig);
        bytes memory newSig = fakeSignature(digestFor(2, id, ACTION_PAUSE, 0, deadline, EVIDENCE));
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, newSig);
        assertTrue(isActive(id), "epoch-2 signature accepted");
    }
}

/// @notice Gas of authorize plus a minimal Guardable pause hook, with the stand-in signature
/// check. Each measurement runs in its own test so that storage and accounts start cold, as in a
/// real transaction (the numbers exclude the 21,000 base cost and calldata).
abstract contract OracleGasBase is OracleTestBase {
    bytes32 internal minimalId;

    function setUp() public virtual override {
        super.setUp();
        minimalId = registerHook(address(new MinimalGuarded(address(oracle), ADMIN)));
    }

    function _measure(uint64 nonce) internal returns (uint256 used) {
        uint64 deadline = uint64(block.timestamp + 60);
        bytes memory sig = sigFor(minimalId, ACTION_PAUSE, nonce, deadline, EVIDENCE);
        uint256 before = gasleft();
        oracle.authorize(targetOf(minimalId), ACTION_PAUSE, nonce, deadline, FROM, EVIDENCE, sig);
        used = before - gasleft();
        assertTrue(hookOk(minimalId), "hook ran");
    }
}

contract OracleGasTest is OracleGasBase {
    function test_gas_firstContainment() public {
        uint256 used = _measure(0);
        emit log_named_uint("authorize + Guardable pause hook, first containment (stand-in sig)", used);
        assertLe(used, 45_000, "oracle + hook overhead without BLS");
    }
}

contract OracleGasLaterTest is OracleGasBase {
    function setUp() public override {
        super.setUp();
        _measure(0);
        vm.warp(block.timestamp + MAX_DURATION + COOLDOWN);
    }

    function test_gas_laterContainment() public {
        uint256 used = _measure(1);
        emit log_named_uint("authorize + Guardable pause hook, later containment (stand-in sig)", used);
        assertLe(used, 45_000, "oracle + hook overhead without BLS");
    }
}

/// @notice A failed hook is not a containment: it blocks nothing, starts no cooldown, and its
/// action is refused until the hook is proven again; a successful containment still blocks.
contract OracleFailedHookTest is OracleTestBase {
    OneActionFailsHook internal hook;
    bytes32 internal pid;

    function setUp() public override {
        super.setUp();
        hook = new OneActionFailsHook();
        pid = registerHook(address(hook));
        hook.setFailing(ACTION_PAUSE); // e.g. the oracle lost the role its pause path needs
    }

    function test_failedHookIsNotActive() public {
        assertFalse(engage(pid, ACTION_PAUSE), "hook failed");
        (uint8 action, uint64 engagedAt,, bool ok, bool active) = oracle.containment(pid);
        assertFalse(active, "not in force");
        assertFalse(ok, "failure reported");
        assertEq(uint256(action) + engagedAt, 0, "no containment recorded");
        assertEq(uint256(oracle.failedHookAction(pid)), ACTION_PAUSE, "failed action noted");
        assertEq(uint256(oracle.nonces(pid)), 1, "nonce used up");
        assertEq(uint256(oracle.lastReleaseBlock(pid)), 0, "release block unchanged");
    }

    function test_otherActionAcceptedAtOnceAfterFailedHook() public {
        assertFalse(engage(pid, ACTION_PAUSE), "hook failed");
        // Same block, same evidence, nonce + 1: no cooldown, no containment in force.
        assertTrue(engage(pid, ACTION_CIRCUIT_BREAKER), "circuit breaker engaged");
        (uint8 action,,, bool ok, bool active) = oracle.containment(pid);
        assertTrue(active && ok, "in force");
        assertEq(uint256(action), ACTION_CIRCUIT_BREAKER, "the breaker");
        assertEq(uint256(oracle.nonces(pid)), 2, "nonce");
    }

    function test_sameActionRefusedAfterFailedHook() public {
        assertFalse(engage(pid, ACTION_PAUSE), "hook failed");
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        bytes memory sig = sigFor(pid, ACTION_PAUSE, 1, deadline, EVIDENCE);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleHookFailedBefore.selector, pid, ACTION_PAUSE)
        );
        oracle.authorize(targetOf(pid), ACTION_PAUSE, 1, deadline, FROM, EVIDENCE, sig);
        vm.warp(block.timestamp + 40 days);
        sig = sigFor(pid, ACTION_PAUSE, 1, uint64(block.timestamp), EVIDENCE);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleHookFailedBefore.selector, pid, ACTION_PAUSE)
        );
        oracle.authorize(targetOf(pid), ACTION_PAUSE, 1, uint64(block.timestamp), FROM, EVIDENCE, sig);
    }

    function test_updateProvesHookAgainAndClearsFailedAction() public {
        assertFalse(engage(pid, ACTION_PAUSE), "hook failed");
        hook.setFailing(0); // fixed
        vm.prank(ADMIN);
        oracle.updateRegistration(pid, params(address(hook)));
        assertEq(uint256(oracle.failedHookAction(pid)), 0, "cleared");
        assertTrue(engage(pid, ACTION_PAUSE), "pause engaged");
        assertTrue(isActive(pid), "in force");
    }

    function test_failedEscalationLeavesContainmentInForce() public {
        assertTrue(engage(pid, ACTION_CIRCUIT_BREAKER), "breaker engaged");
        uint64 expiresAt = expiresAtOf(pid);
        assertFalse(engage(pid, ACTION_PAUSE), "pause hook failed");
        (uint8 action,,,, bool active) = oracle.containment(pid);
        assertTrue(active, "the breaker is still in force");
        assertEq(uint256(action), ACTION_CIRCUIT_BREAKER, "the breaker");
        assertEq(uint256(expiresAtOf(pid)), expiresAt, "expiry unchanged");
        vm.prank(ADMIN);
        oracle.liftContainment(pid); // governance lifts what is in force, as before
        assertFalse(isActive(pid), "lifted");
    }

    function test_liftOrExtendWithOnlyAFailedHookHasNothingToDo() public {
        assertFalse(engage(pid, ACTION_PAUSE), "hook failed");
        vm.startPrank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoActiveContainment.selector, pid));
        oracle.liftContainment(pid);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoActiveContainment.selector, pid));
        oracle.extendContainment(pid, uint64(block.timestamp + 1 hours));
        vm.stopPrank();
    }

    function test_successfulContainmentStillBlocks() public {
        assertTrue(engage(pid, ACTION_CIRCUIT_BREAKER), "breaker engaged");
        uint64 expiresAt = expiresAtOf(pid);
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        bytes memory sig = sigFor(pid, ACTION_COLLATERAL_LOCK, 1, deadline, EVIDENCE);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleContainmentActive.selector, pid, expiresAt)
        );
        oracle.authorize(targetOf(pid), ACTION_COLLATERAL_LOCK, 1, deadline, FROM, EVIDENCE, sig);
    }
}
