// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {Guardable} from "../src/Guardable.sol";
import {ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK} from "../src/IGuardable.sol";
import {GuardedCounter} from "./oracle/GuardedCounter.sol";
import {Pausable} from "./utils/Pausable.sol";

/// @notice A protocol with its own OpenZeppelin-style pause beside the guardians' containment.
contract PausableGuardedVault is Guardable, Pausable {
    uint256 public deposits;

    constructor(address oracle, address governance) Guardable(oracle, governance) {}

    function deposit() external whenNotPaused whenNotGuardianPaused {
        deposits++;
    }

    function pause() external {
        require(msg.sender == guardianGovernance, "governance only");
        _pause();
    }

    function unpause() external {
        require(msg.sender == guardianGovernance, "governance only");
        _unpause();
    }
}

contract GuardableTest is Test {
    address internal constant ORACLE = address(0x0A);
    address internal constant GOV = address(0x60);
    GuardedCounter internal c;


    function setUp() public {
        vm.warp(1_000_000);
        c = new GuardedCounter(ORACLE, GOV);
    }

    function _engage(uint8 action, uint64 duration) internal {
        vm.prank(ORACLE);
        c.engageContainment(action, uint64(block.timestamp) + duration, keccak256("ev"));
    }

    function test_constructorRejectsZero() public {
        vm.expectRevert(Guardable.GuardableZeroAddress.selector);
        new GuardedCounter(address(0), GOV);
        vm.expectRevert(Guardable.GuardableZeroAddress.selector);
        new GuardedCounter(ORACLE, address(0));
    }

    function test_nothingContainedInitially() public {
        c.deposit();
        c.trade();
        c.withdraw();
        assertEq(c.deposits() + c.trades() + c.withdrawals(), 3, "all ran");
        assertFalse(c.isPaused(), "paused");
        assertEq(uint256(c.containmentExpiresAt(ACTION_PAUSE)), 0, "expiry");
    }

    function test_pauseBlocksEverything() public {
        _engage(ACTION_PAUSE, 100);
        uint64 until = uint64(block.timestamp + 100);
        assertTrue(c.isPaused(), "paused");
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, until));
        c.deposit();
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, until));
        c.trade();
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, until));
        c.withdraw();
        assertEq(c.engagedHookRuns(), 1, "after-hook ran");
    }

    function test_circuitBreakerBlocksOnlyTrading() public {
        _engage(ACTION_CIRCUIT_BREAKER, 100);
        vm.expectRevert(
            abi.encodeWithSelector(Guardable.GuardableCircuitBroken.selector, uint64(block.timestamp + 100))
        );
        c.trade();
        c.deposit();
        c.withdraw();
        assertTrue(c.isCircuitBroken(), "broken");
        assertFalse(c.isPaused(), "not paused");
    }

    function test_collateralLockBlocksOnlyWithdrawals() public {
        _engage(ACTION_COLLATERAL_LOCK, 100);
        vm.expectRevert(
            abi.encodeWithSelector(Guardable.GuardableWithdrawalsLocked.selector, uint64(block.timestamp + 100))
        );
        c.withdraw();
        c.deposit();
        c.trade();
        assertTrue(c.areWithdrawalsLocked(), "locked");
    }

    function testFuzz_expiresByItself(uint8 rawAction, uint32 duration, uint32 later) public {
        uint8 action = uint8(bound(rawAction, 1, 3));
        vm.assume(duration > 0);
        _engage(action, duration);
        uint256 end = block.timestamp + duration;
        assertTrue(c.isContained(action), "engaged");
        vm.warp(end - 1);
        assertTrue(c.isContained(action), "still engaged one second before");
        vm.warp(end + uint256(later));
        assertFalse(c.isContained(action), "expired");
        assertEq(uint256(c.containmentExpiresAt(action)), 0, "expiry cleared in view");
        c.deposit();
        c.trade();
        c.withdraw();
    }

    function testFuzz_onlyOracleEngages(address caller) public {
        vm.assume(caller != ORACLE);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableUnauthorized.selector, caller));
        c.engageContainment(ACTION_PAUSE, uint64(block.timestamp + 10), bytes32(0));
    }

    function test_engageRejectsBadActionAndPastExpiry() public {
        vm.startPrank(ORACLE);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableInvalidAction.selector, uint8(0)));
        c.engageContainment(0, uint64(block.timestamp + 10), bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableInvalidAction.selector, uint8(4)));
        c.engageContainment(4, uint64(block.timestamp + 10), bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableInvalidExpiry.selector, uint64(block.timestamp)));
        c.engageContainment(ACTION_PAUSE, uint64(block.timestamp), bytes32(0));
        vm.stopPrank();
    }

    function test_engageEmits() public {
        vm.expectEmit(true, false, false, true, address(c));
        emit Guardable.ContainmentApplied(ACTION_PAUSE, uint64(block.timestamp + 5), keccak256("ev"));
        _engage(ACTION_PAUSE, 5);
    }

    function test_governanceAndOracleLift() public {
        _engage(ACTION_PAUSE, 100);
        vm.expectEmit(true, false, false, true, address(c));
        emit Guardable.ContainmentReleased(ACTION_PAUSE, GOV);
        vm.prank(GOV);
        c.liftContainment(ACTION_PAUSE);
        assertFalse(c.isPaused(), "lifted by governance");
        c.deposit();

        _engage(ACTION_PAUSE, 100);
        vm.prank(ORACLE);
        c.liftContainment(ACTION_PAUSE);
        assertFalse(c.isPaused(), "lifted by oracle");
    }

    function testFuzz_othersCannotLift(address caller) public {
        vm.assume(caller != ORACLE && caller != GOV);
        _engage(ACTION_PAUSE, 100);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableUnauthorized.selector, caller));
        c.liftContainment(ACTION_PAUSE);
        assertTrue(c.isPaused(), "still paused");
    }

    function test_reengageReplacesExpiry() public {
        _engage(ACTION_PAUSE, 100);
        _engage(ACTION_PAUSE, 1000);
        assertEq(uint256(c.containmentExpiresAt(ACTION_PAUSE)), block.timestamp + 1000, "extended");
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }

    function test_inheritsBesideOpenZeppelinPausable() public {
        PausableGuardedVault v = new PausableGuardedVault(ORACLE, GOV);
        v.deposit();
        vm.prank(GOV);
        v.pause();
        vm.expectRevert(Pausable.EnforcedPause.selector);
        v.deposit();
        vm.prank(GOV);
        v.unpause();
        vm.prank(ORACLE);
        v.engageContainment(ACTION_PAUSE, uint64(block.timestamp + 100), keccak256("ev"));
        assertTrue(v.isPaused() && !v.paused(), "guardian pause and own pause are separate");
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, uint64(block.timestamp + 100)));
        v.deposit();
        vm.warp(block.timestamp + 100);
        v.deposit();
        assertEq(v.deposits(), 2, "both pauses lifted");
    }
}
