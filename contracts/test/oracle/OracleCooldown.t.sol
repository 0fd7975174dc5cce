// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK} from "../../src/IGuardable.sol";
import {OracleTestBase} from "./OracleTestBase.sol";
import {fakeSignature} from "./OracleHarness.sol";

/// @notice The cooldown after a weak containment (issue 24: a false positive must not open a
/// window for the real exploit). An attacker provokes a circuit breaker on volatility evidence,
/// the team judges it false and lifts it, the attacker strikes inside the cooldown: the PAUSE on
/// exploit evidence is accepted. A cooldown a PAUSE started still refuses the next PAUSE, and a
/// weak action is still refused by any cooldown, so the number of containments stays bounded.
contract OracleCooldownTest is OracleTestBase {
    /// @dev Authorize `action` on the test protocol, with evidence from the block after this one
    /// (so after any release made so far); with `availableAt` != 0, expect the cooldown's refusal.
    function _strike(uint8 action, uint64 availableAt) internal returns (bool) {
        uint64 nonce = oracle.nonces(id);
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        uint64 from = uint64(block.number + 1);
        bytes memory sig = fakeSignature(digestFor(oracle.keyEpoch(), id, action, nonce, deadline, from, EVIDENCE));
        if (availableAt != 0) {
            vm.expectRevert(
                abi.encodeWithSelector(IGuardianOracle.GuardianOracleCooldownActive.selector, id, availableAt)
            );
        }
        vm.prank(SUBMITTER);
        return oracle.authorize(address(protocol), action, nonce, deadline, from, EVIDENCE, sig);
    }

    function strike(uint8 action) internal returns (bool) {
        return _strike(action, 0);
    }

    function refused(uint8 action, uint64 availableAt) internal {
        _strike(action, availableAt);
    }

    /// @dev Move a few blocks and `secs` seconds on.
    function later(uint256 secs) internal {
        vm.roll(block.number + 3);
        vm.warp(block.timestamp + secs);
    }

    function actionOf() internal view returns (uint8 action) {
        (action,,,,) = oracle.containment(id);
    }

    function test_provokeLiftStrike_pauseAcceptedInsideTheBreakersCooldown() public {
        later(10);
        assertTrue(strike(ACTION_CIRCUIT_BREAKER), "the provoked breaker engages");
        later(300);
        vm.prank(ADMIN);
        oracle.liftContainment(id); // the team judges it false
        uint64 availableAt = uint64(block.timestamp + COOLDOWN);
        assertFalse(protocol.isCircuitBroken(), "lifted on the target");

        later(60); // the strike, well inside the cooldown
        refused(ACTION_CIRCUIT_BREAKER, availableAt); // a weak action is still refused
        refused(ACTION_COLLATERAL_LOCK, availableAt);
        assertTrue(strike(ACTION_PAUSE), "the exploit's PAUSE is not refused");
        assertTrue(protocol.isPaused() && isActive(id), "paused");
        assertEq(uint256(actionOf()), ACTION_PAUSE, "the record is the PAUSE");
        assertEq(uint256(expiresAtOf(id)), block.timestamp + MAX_DURATION, "for the full duration");
    }

    function test_pauseAfterALiftedPauseInsideTheCooldownIsRefused() public {
        later(10);
        strike(ACTION_PAUSE);
        later(300);
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        uint64 availableAt = uint64(block.timestamp + COOLDOWN);
        later(COOLDOWN - 1);
        refused(ACTION_PAUSE, availableAt);
        later(1);
        assertTrue(strike(ACTION_PAUSE), "after the cooldown");
    }

    function test_pauseAcceptedInsideTheCooldownOfAnExpiredBreaker() public {
        later(10);
        strike(ACTION_CIRCUIT_BREAKER);
        uint64 expired = expiresAtOf(id);
        vm.roll(block.number + 3);
        vm.warp(expired + 1);
        refused(ACTION_CIRCUIT_BREAKER, expired + COOLDOWN);
        assertTrue(strike(ACTION_PAUSE), "PAUSE inside an expired breaker's cooldown");
        assertTrue(protocol.isPaused(), "paused");
    }

    function test_pauseAcceptedInsideTheCooldownOfAnExpiredLock() public {
        later(10);
        strike(ACTION_COLLATERAL_LOCK);
        uint64 expired = expiresAtOf(id);
        vm.roll(block.number + 3);
        vm.warp(expired + COOLDOWN - 1);
        assertTrue(strike(ACTION_PAUSE), "PAUSE inside an expired lock's cooldown");
    }

    function test_pauseRefusedInsideTheCooldownOfAnExpiredPause() public {
        later(10);
        strike(ACTION_PAUSE);
        uint64 expired = expiresAtOf(id);
        vm.roll(block.number + 3);
        vm.warp(expired + 1);
        refused(ACTION_PAUSE, expired + COOLDOWN);
    }

    /// @dev The PAUSE let through a weak action's cooldown starts its own: the attacker cannot
    /// chain false containments past the bound.
    function test_thePauseLetThroughStartsItsOwnCooldown() public {
        later(10);
        strike(ACTION_CIRCUIT_BREAKER);
        later(100);
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        later(60);
        strike(ACTION_PAUSE);
        later(100);
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        uint64 availableAt = uint64(block.timestamp + COOLDOWN);
        later(60);
        refused(ACTION_PAUSE, availableAt);
        refused(ACTION_CIRCUIT_BREAKER, availableAt);
    }

    /// @dev A PAUSE that replaced a breaker in force is a PAUSE: its lift starts a PAUSE's cooldown.
    function test_anEscalatedPauseLiftedStartsAPauseCooldown() public {
        later(10);
        strike(ACTION_CIRCUIT_BREAKER);
        later(60);
        strike(ACTION_PAUSE); // escalation while the breaker is in force
        later(60);
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        uint64 availableAt = uint64(block.timestamp + COOLDOWN);
        later(60);
        refused(ACTION_PAUSE, availableAt);
    }

    /// @dev The governance lifting the breaker on the target itself (containmentLiftedByTarget)
    /// is the same lift.
    function test_breakerLiftedOnTheTargetThenPause() public {
        later(10);
        strike(ACTION_CIRCUIT_BREAKER);
        later(60);
        vm.prank(ADMIN); // the GuardedCounter's governance is ADMIN in the fixture
        protocol.liftContainment(ACTION_CIRCUIT_BREAKER);
        assertFalse(isActive(id), "the oracle's record ended with the target's lift");
        later(60);
        refused(ACTION_COLLATERAL_LOCK, uint64(block.timestamp - 60 + COOLDOWN));
        assertTrue(strike(ACTION_PAUSE), "PAUSE accepted");
    }

    /// @dev Evidence from before the lift is still refused: the exemption is only the cooldown's.
    function test_theExemptionKeepsTheReleaseBlockRule() public {
        later(10);
        strike(ACTION_CIRCUIT_BREAKER);
        later(60);
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        uint64 release = uint64(block.number);
        later(60);
        uint64 nonce = oracle.nonces(id);
        uint64 deadline = uint64(block.timestamp + 60);
        bytes memory sig =
            fakeSignature(digestFor(oracle.keyEpoch(), id, ACTION_PAUSE, nonce, deadline, release, EVIDENCE));
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleEvidenceBeforeRelease.selector, release, release)
        );
        oracle.authorize(address(protocol), ACTION_PAUSE, nonce, deadline, release, EVIDENCE, sig);
    }

    /// @dev Every pair (last action, next action) at any time inside the cooldown: accepted iff
    /// the next is a PAUSE and the last was not.
    function testFuzz_onlyAPauseAfterAWeakActionSkipsTheCooldown(uint8 lastRaw, uint8 nextRaw, uint32 into, bool lift)
        public
    {
        uint8 last = uint8(bound(lastRaw, 1, 3));
        uint8 next = uint8(bound(nextRaw, 1, 3));
        later(10);
        strike(last);
        uint64 end;
        if (lift) {
            later(30);
            vm.prank(ADMIN);
            oracle.liftContainment(id);
            end = uint64(block.timestamp);
        } else {
            end = expiresAtOf(id);
        }
        vm.roll(block.number + 2);
        vm.warp(end + bound(into, 0, COOLDOWN - 1));
        if (next == ACTION_PAUSE && last != ACTION_PAUSE) {
            assertTrue(strike(next), "PAUSE after a weak action");
            assertEq(uint256(actionOf()), ACTION_PAUSE, "in force");
        } else {
            refused(next, end + COOLDOWN);
        }
    }
}
