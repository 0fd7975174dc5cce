// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {RegistrationParams} from "../../src/OracleTypes.sol";
import {ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK} from "../../src/IGuardable.sol";
import {OracleTestBase} from "./OracleTestBase.sol";
import {OracleHarness, fakeSignature} from "./OracleHarness.sol";
import {GuardedCounter} from "./GuardedCounter.sol";
import {ReentrantHook, GasProbeHook, ForwardingTarget} from "./Hooks.sol";

/// @notice The containment lifecycle after the first pause (issue 12): evidence after the last
/// release, one lift path, escalation, bounded authority, and the registry's bounds.
contract OracleBoundsTest is OracleTestBase {
    /// @dev Authorize `action` on `pid` with evidence starting at `from`.
    function engageFrom(bytes32 pid, uint8 action, uint64 from) internal returns (bool) {
        uint64 nonce = oracle.nonces(pid);
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        bytes memory sig = fakeSignature(digestFor(oracle.keyEpoch(), pid, action, nonce, deadline, from, EVIDENCE));
        return oracle.authorize(targetOf(pid), action, nonce, deadline, from, EVIDENCE, sig);
    }

    function expectEngageReverts(bytes32 pid, uint8 action, uint64 from, bytes memory err) internal {
        uint64 nonce = oracle.nonces(pid);
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        bytes memory sig = fakeSignature(digestFor(oracle.keyEpoch(), pid, action, nonce, deadline, from, EVIDENCE));
        vm.expectRevert(err);
        oracle.authorize(targetOf(pid), action, nonce, deadline, from, EVIDENCE, sig);
    }

    function _before(uint64 releaseBlock, uint64 from) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(IGuardianOracle.GuardianOracleEvidenceBeforeRelease.selector, releaseBlock, from);
    }

    // ------------------------------------------------------------ evidence after the last release

    /// @dev Defect 2: governance lifts early; the old drain (evidence from before the lift) can no
    /// longer re-pause; a new attack after the lift is contained under the next nonce.
    function test_liftSticks_oldEvidenceRefused_newAttackContained() public {
        vm.roll(100);
        assertTrue(engageFrom(id, ACTION_PAUSE, 80), "first containment");
        assertEq(uint256(oracle.lastReleaseBlock(id)), 100, "release bound = engagement block");
        vm.roll(110);
        vm.warp(block.timestamp + 5 minutes);
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        assertEq(uint256(oracle.lastReleaseBlock(id)), 110, "release = lift block");
        vm.roll(200);
        vm.warp(block.timestamp + COOLDOWN);
        expectEngageReverts(id, ACTION_PAUSE, 95, _before(110, 95)); // the drain already contained
        expectEngageReverts(id, ACTION_PAUSE, 110, _before(110, 110));
        assertTrue(engageFrom(id, ACTION_PAUSE, 111), "a new attack after the lift");
        assertEq(uint256(oracle.nonces(id)), 2, "next nonce");
    }

    function test_expiryThenNewAttackContained() public {
        vm.roll(100);
        engageFrom(id, ACTION_PAUSE, 90);
        vm.warp(expiresAtOf(id) + COOLDOWN);
        vm.roll(500);
        expectEngageReverts(id, ACTION_PAUSE, 100, _before(100, 100));
        assertTrue(engageFrom(id, ACTION_PAUSE, 101), "evidence after the contained block");
    }

    function test_digestBindsTheEvidenceFirstBlock() public {
        vm.roll(100);
        uint64 deadline = uint64(block.timestamp + 60);
        bytes memory sig = fakeSignature(digestFor(oracle.keyEpoch(), id, ACTION_PAUSE, 0, deadline, 50, EVIDENCE));
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, 51, EVIDENCE, sig);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, 50, EVIDENCE, sig);
    }

    // ------------------------------------------------------------ defect 11: grief loop

    function test_minimumDurationAndCooldown() public {
        GuardedCounter p = new GuardedCounter(address(oracle), ADMIN);
        RegistrationParams memory rp = params(address(p));
        rp.maxDuration = 1;
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidMaxDuration.selector, uint64(1)));
        oracle.register(rp);
        rp.maxDuration = oracle.MIN_CONTAINMENT_DURATION();
        rp.cooldown = 0;
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidCooldown.selector, uint64(0)));
        oracle.register(rp);
    }

    // ------------------------------------------------------------ defect 12: one lift path

    function test_governanceLiftOnTheTargetEndsTheOracleRecord() public {
        vm.roll(100);
        engageFrom(id, ACTION_PAUSE, 90);
        vm.roll(120);
        vm.warp(block.timestamp + 5 minutes);
        vm.expectEmit(true, false, false, true, address(oracle));
        emit IGuardianOracle.ContainmentLifted(id, address(protocol));
        vm.prank(ADMIN); // the protocol's own governance, on the protocol
        protocol.liftContainment(ACTION_PAUSE);
        assertFalse(protocol.isPaused(), "target lifted");
        assertFalse(isActive(id), "oracle record ended too");
        assertEq(uint256(oracle.lastReleaseBlock(id)), 120, "release block");
        // The admin cannot re-engage the pause by extending a containment that ended.
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoActiveContainment.selector, id));
        oracle.extendContainment(id, uint64(block.timestamp + 1 hours));
        // After the cooldown the guardians contain a new attack at once.
        vm.warp(block.timestamp + COOLDOWN);
        assertTrue(engageFrom(id, ACTION_PAUSE, 121), "contained again");
    }

    function test_onlyTheTargetEndsItsRecord() public {
        engagePause();
        vm.prank(address(0xBAD));
        oracle.containmentLiftedByTarget(ACTION_PAUSE);
        assertTrue(isActive(id), "a stranger's notice changes nothing");
        vm.prank(address(protocol));
        oracle.containmentLiftedByTarget(ACTION_CIRCUIT_BREAKER);
        assertTrue(isActive(id), "a notice for another action changes nothing");
    }

    // ------------------------------------------------------------ defect 13: escalation

    function test_pauseReplacesAWeakerActionInForce() public {
        vm.roll(100);
        engageFrom(id, ACTION_CIRCUIT_BREAKER, 90);
        vm.roll(105);
        expectEngageReverts(id, ACTION_PAUSE, 100, _before(100, 100)); // same evidence: no
        assertTrue(engageFrom(id, ACTION_PAUSE, 101), "the drain goes on: pause replaces the breaker");
        assertTrue(protocol.isPaused(), "paused");
        (uint8 action,,,,) = oracle.containment(id);
        assertEq(uint256(action), ACTION_PAUSE, "record holds the pause");
        // Nothing replaces a pause, and no weaker action replaces another.
        vm.roll(110);
        expectEngageReverts(
            id,
            ACTION_COLLATERAL_LOCK,
            106,
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleContainmentActive.selector, id, expiresAtOf(id))
        );
        // One lift ends both on the target.
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        assertFalse(protocol.isPaused() || protocol.isCircuitBroken(), "pause and breaker lifted");
    }

    // ------------------------------------------------------------ defect 14: forwarded calls

    function test_targetForwardedCallsCannotTakeOver() public {
        ForwardingTarget t = new ForwardingTarget(ADMIN);
        bytes32 pid = registerHook(address(t));
        RegistrationParams memory rp = params(address(t));
        rp.admin = address(0xBAD);
        vm.startPrank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, address(t)));
        t.execute(address(oracle), abi.encodeCall(IGuardianOracle.updateRegistration, (pid, rp)));
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, address(t)));
        t.execute(address(oracle), abi.encodeCall(IGuardianOracle.transferProtocolAdmin, (pid, address(0xBAD))));
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, address(t)));
        t.execute(address(oracle), abi.encodeCall(IGuardianOracle.deregister, (pid)));
        vm.stopPrank();
        assertEq(oracle.getRegistration(pid).admin, ADMIN, "admin unchanged");
    }

    // ------------------------------------------------------------ defect 15: extension cap

    function test_extensionsAreCappedFromEngagement() public {
        engagePause();
        (, uint64 engagedAt,,,) = oracle.containment(id);
        uint64 cap = engagedAt + oracle.MAX_CONTAINMENT_DURATION();
        vm.startPrank(ADMIN);
        for (uint256 i; i < 4; ++i) {
            uint64 next = expiresAtOf(id) + 10 days;
            if (next > cap) next = cap;
            if (next > expiresAtOf(id)) oracle.extendContainment(id, next);
            vm.warp(block.timestamp + 5 days); // each extension is within 30 days of now
        }
        assertEq(uint256(expiresAtOf(id)), cap, "extended up to the cap");
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidExpiry.selector, cap + 1));
        oracle.extendContainment(id, cap + 1);
        vm.stopPrank();
    }

    // ------------------------------------------------------------ defect 16: re-entry

    function test_hookCannotDeregisterDuringAuthorize() public {
        ReentrantHook hook = new ReentrantHook();
        RegistrationParams memory rp = params(address(hook));
        rp.admin = address(hook); // the hook is its own admin: only the guard stops it
        ownedBy(address(hook), ADMIN); // consent from its owner, naming the hook as admin
        vm.prank(ADMIN);
        bytes32 pid = oracle.register(rp);
        vm.prank(address(hook));
        oracle.acceptRegistration(pid);
        hook.arm(address(oracle), abi.encodeCall(IGuardianOracle.deregister, (pid)));
        assertTrue(engage(pid, ACTION_PAUSE), "hook ran");
        assertEq(bytes32(hook.revertSelector()), bytes32(IGuardianOracle.GuardianOracleReentrantCall.selector), "refused");
        assertTrue(oracle.isRegistered(pid), "still registered");
        hook.arm(address(oracle), abi.encodeCall(IGuardianOracle.register, (params(address(hook)))));
        vm.warp(expiresAtOf(pid) + COOLDOWN);
        engage(pid, ACTION_PAUSE);
        assertEq(bytes32(hook.revertSelector()), bytes32(IGuardianOracle.GuardianOracleReentrantCall.selector), "register refused");
    }

    // ------------------------------------------------------------ defect 18 and the registry bounds

    function test_registryIsPaginatedAndCapped() public {
        uint256 max = oracle.MAX_PROTOCOLS();
        uint256 perAdmin = oracle.MAX_PROTOCOLS_PER_ADMIN();
        for (uint256 i = 1; i < max; ++i) {
            address admin = address(uint160(0x10000 + i / perAdmin));
            GuardedCounter p = new GuardedCounter(address(oracle), admin);
            RegistrationParams memory rp = params(address(p));
            rp.admin = admin;
            vm.prank(admin);
            oracle.register(rp);
        }
        assertEq(oracle.protocolCount(), max, "full");
        assertEq(oracle.protocolIds(0, 100).length, 100, "a page");
        assertEq(oracle.protocolIds(max - 10, 100).length, 10, "the last page is short");
        assertEq(oracle.protocolIds(max, 100).length, 0, "past the end");
        assertEq(oracle.protocolIds(0, 1)[0], id, "order");
        GuardedCounter extra = new GuardedCounter(address(oracle), address(0xE));
        RegistrationParams memory rp2 = params(address(extra));
        rp2.admin = address(0xE);
        vm.prank(address(0xE));
        vm.expectRevert(IGuardianOracle.GuardianOracleRegistryFull.selector);
        oracle.register(rp2);
    }

    function test_perAdminLimit() public {
        uint256 perAdmin = oracle.MAX_PROTOCOLS_PER_ADMIN();
        for (uint256 i = 1; i < perAdmin; ++i) {
            registerHook(address(new GuardedCounter(address(oracle), ADMIN)));
        }
        address p = address(new GuardedCounter(address(oracle), ADMIN));
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleAdminLimitReached.selector, ADMIN));
        oracle.register(params(p));
    }

    // ------------------------------------------------------------ group key

    function test_thresholdMustBeAMajority() public {
        bytes memory g = g1Generator();
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidThreshold.selector, uint16(2), uint16(4)));
        new OracleHarness(GOV, g, 2, 4, DELAY);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidThreshold.selector, uint16(1), uint16(2)));
        new OracleHarness(GOV, g, 1, 2, DELAY);
        new OracleHarness(GOV, g, 1, 1, DELAY); // majorities are fine
        new OracleHarness(GOV, g, 3, 4, DELAY);
        bytes memory pk = g1Double();
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidThreshold.selector, uint16(50), uint16(100)));
        oracle.queueKeyRotation(pk, 50, 100);
    }

    function test_queuedRotationLapses() public {
        bytes memory pk = g1Double();
        vm.prank(GOV);
        oracle.queueKeyRotation(pk, 67, 100);
        (,,,, uint64 executableAt) = oracle.pendingKeyRotation();
        uint64 lapse = executableAt + oracle.KEY_ROTATION_EXPIRY();
        vm.warp(lapse + 1);
        vm.prank(GOV);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleRotationExpired.selector, lapse));
        oracle.executeKeyRotation();
        vm.prank(GOV); // a lapsed rotation does not block a new one
        oracle.queueKeyRotation(pk, 67, 100);
    }
}

/// @notice Defect 17: a target that is an EIP-7702 delegated account costs a second cold account
/// access (its delegate) when the oracle calls it; the hook must still get its whole allowance
/// whenever authorize succeeds. Registered in setUp so that the test's call finds both cold.
contract OracleDelegatedTargetTest is OracleTestBase {
    address internal constant EOA = address(0x7702);
    bytes32 internal pid;
    bytes internal sig;
    uint64 internal deadline;

    function setUp() public override {
        super.setUp();
        GasProbeHook impl = new GasProbeHook();
        vm.etch(EOA, abi.encodePacked(hex"ef0100", address(impl)));
        ownedBy(EOA, ADMIN);
        vm.prank(ADMIN);
        pid = oracle.register(params(EOA));
        deadline = uint64(block.timestamp + 1 hours);
        sig = sigFor(pid, ACTION_PAUSE, 0, deadline, EVIDENCE);
    }

    function testFuzz_delegatedTargetGetsItsHookGas(uint256 gasLimit) public {
        gasLimit = bound(gasLimit, 120_000, 150_000); // around the smallest gas that passes
        try oracle.authorize{gas: gasLimit}(targetOf(pid), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig) returns (bool ok) {
            assertTrue(ok, "hook succeeded whenever authorize succeeded");
            // the full allowance less the probe's own dispatch (~340); a starved hook sees less
            assertGe(GasProbeHook(EOA).gasSeen(), 99_600, "hook received its allowance");
        } catch {
            assertEq(uint256(oracle.nonces(pid)), 0, "reverted as a whole");
        }
    }
}

