// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {Guardable} from "../src/Guardable.sol";
import {ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK} from "../src/IGuardable.sol";
import {DemoToken} from "../examples/DemoToken.sol";

/// @notice A vault whose withdrawals go through the breaker's rate limit.
contract RateLimitedVault is Guardable {
    DemoToken public immutable token;
    mapping(address => uint256) public shares;

    constructor(DemoToken token_, address oracle, address governance) Guardable(oracle, governance) {
        token = token_;
    }

    function deposit(uint256 amount) external whenNotGuardianPaused {
        token.transferFrom(msg.sender, address(this), amount);
        shares[msg.sender] += amount;
    }

    function withdraw(uint256 amount) external whenWithdrawalsNotLocked returns (bool paid) {
        shares[msg.sender] -= amount;
        paid = _guardedOutflow(address(token), msg.sender, amount);
    }
}

/// @notice A token that calls back into the vault on every transfer out of it (a hostile
/// ERC-777-like token): it tries to claim the same pending outflow again.
contract ReentrantToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    RateLimitedVault public vault;
    address public victim;
    bool public armed;
    bool public reentered;
    bool public reentrySucceeded;

    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        allowance[from][msg.sender] -= amount;
        balanceOf[from] -= amount;
        balanceOf[to] += amount;
        return true;
    }

    function arm(RateLimitedVault vault_, address victim_) external {
        vault = vault_;
        victim = victim_;
        armed = true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        balanceOf[msg.sender] -= amount;
        balanceOf[to] += amount;
        if (armed && msg.sender == address(vault)) {
            armed = false;
            reentered = true;
            try vault.claimOutflow(victim, address(this)) {
                reentrySucceeded = true;
            } catch {}
        }
        return true;
    }
}

contract GuardableOutflowTest is Test {
    address internal constant ORACLE = address(0x0AC1E); // not a precompile: a governance lift calls it
    address internal constant GOV = address(0x60);
    address internal constant ALICE = address(0xA1);
    address internal constant BOB = address(0xB0);
    address internal constant STRANGER = address(0x5e);

    DemoToken internal token;
    RateLimitedVault internal vault;

    function setUp() public {
        vm.warp(1_000_000);
        token = new DemoToken("USD", "USDd");
        vault = new RateLimitedVault(token, ORACLE, GOV);
        _fund(ALICE, 600e18);
        _fund(BOB, 400e18); // the vault holds 1,000
        vm.prank(GOV);
        vault.setOutflowRateLimit(1_000, 1 hours, 0); // 10% of the balance per hour under the breaker
    }

    function _fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(vault), amount);
        vault.deposit(amount);
        vm.stopPrank();
    }

    function _engage(uint8 action, uint64 duration) internal {
        vm.prank(ORACLE);
        vault.engageContainment(action, uint64(block.timestamp) + duration, keccak256("ev"));
    }

    function _withdraw(address who, uint256 amount) internal returns (bool paid) {
        vm.prank(who);
        paid = vault.withdraw(amount);
    }

    function test_noBreakerPaysEverything() public {
        assertTrue(_withdraw(ALICE, 600e18), "paid");
        assertEq(token.balanceOf(ALICE), 600e18, "all of it");
    }

    function test_belowTheRatePassesUnderTheBreaker() public {
        _engage(ACTION_CIRCUIT_BREAKER, 2 hours);
        assertTrue(_withdraw(ALICE, 60e18), "first part paid");
        assertTrue(_withdraw(BOB, 40e18), "up to exactly the rate paid");
        assertEq(token.balanceOf(ALICE), 60e18, "alice paid");
        assertEq(token.balanceOf(BOB), 40e18, "bob paid");
        assertEq(vault.pendingOutflowTotal(address(token)), 0, "nothing waits");
    }

    function test_aboveTheRateQueuesWithoutRevertAndPaysOnceAfterTheBreaker() public {
        _engage(ACTION_CIRCUIT_BREAKER, 2 hours);
        uint64 until = uint64(block.timestamp + 2 hours);
        assertTrue(_withdraw(BOB, 90e18), "within the rate");
        vm.expectEmit(true, true, false, true, address(vault));
        emit Guardable.OutflowQueued(address(token), ALICE, 500e18, 0);
        assertFalse(_withdraw(ALICE, 500e18), "queued, not paid");
        assertEq(token.balanceOf(ALICE), 0, "nothing paid yet");
        assertEq(vault.shares(ALICE), 100e18, "the protocol's accounting moved");
        (uint256 owed,) = vault.pendingOutflow(ALICE, address(token));
        assertEq(owed, 500e18, "pending");
        assertEq(vault.pendingOutflowTotal(address(token)), 500e18, "owed total");

        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableClaimNotReady.selector, until));
        vault.claimOutflow(ALICE, address(token));

        vm.warp(until); // the breaker ends by itself
        vm.prank(STRANGER); // a keeper pays it out to alice
        assertEq(vault.claimOutflow(ALICE, address(token)), 500e18, "claimed");
        assertEq(token.balanceOf(ALICE), 500e18, "alice paid");
        assertEq(token.balanceOf(STRANGER), 0, "the caller got nothing");
        assertEq(vault.pendingOutflowTotal(address(token)), 0, "nothing owed");
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableNothingToClaim.selector, ALICE, address(token)));
        vault.claimOutflow(ALICE, address(token));
        assertEq(token.balanceOf(ALICE), 500e18, "paid exactly once");
    }

    function test_claimAfterTheGovernanceLiftsTheBreaker() public {
        _engage(ACTION_CIRCUIT_BREAKER, 2 hours);
        assertFalse(_withdraw(ALICE, 200e18), "queued");
        vm.prank(GOV);
        vault.liftContainment(ACTION_CIRCUIT_BREAKER);
        vm.prank(ALICE);
        vault.claimOutflow(ALICE, address(token));
        assertEq(token.balanceOf(ALICE), 200e18, "paid");
    }

    function test_claimDelayPaysUnderTheBreaker() public {
        vm.prank(GOV);
        vault.setOutflowRateLimit(1_000, 1 hours, 30 minutes);
        _engage(ACTION_CIRCUIT_BREAKER, 4 hours);
        uint64 readyAt = uint64(block.timestamp + 30 minutes);
        assertFalse(_withdraw(ALICE, 200e18), "queued");
        (, uint64 shown) = vault.pendingOutflow(ALICE, address(token));
        assertEq(uint256(shown), readyAt, "ready at queue time + delay");
        vm.warp(readyAt - 1);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableClaimNotReady.selector, readyAt));
        vault.claimOutflow(ALICE, address(token));
        vm.warp(readyAt);
        vault.claimOutflow(ALICE, address(token));
        assertEq(token.balanceOf(ALICE), 200e18, "paid under the breaker after the delay");
        assertTrue(vault.isCircuitBroken(), "breaker still on");
    }

    function test_theRateRenewsEachPeriodAndCountsOwedTokensOut() public {
        _engage(ACTION_CIRCUIT_BREAKER, 5 hours);
        assertFalse(_withdraw(ALICE, 500e18), "queued: above 100 of 1,000");
        assertTrue(_withdraw(BOB, 100e18), "the rate is still all there");
        assertFalse(_withdraw(BOB, 1), "the period's rate is used up");
        vm.warp(block.timestamp + 1 hours);
        // New period: balance 900, owed 500 + 1: 10% of 399 may leave.
        assertFalse(_withdraw(BOB, 40e18), "above 39.9");
        assertTrue(_withdraw(BOB, 39e18), "within 39.9");
    }

    function test_aStrangerCannotTakeSomeoneElsesClaim() public {
        _engage(ACTION_CIRCUIT_BREAKER, 1 hours);
        assertFalse(_withdraw(ALICE, 500e18), "queued");
        vm.warp(block.timestamp + 1 hours);
        // The stranger has nothing queued; claiming for alice pays alice.
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableNothingToClaim.selector, STRANGER, address(token)));
        vault.claimOutflow(STRANGER, address(token));
        vm.prank(STRANGER);
        vault.claimOutflow(ALICE, address(token));
        assertEq(token.balanceOf(STRANGER), 0, "stranger got nothing");
        assertEq(token.balanceOf(ALICE), 500e18, "alice got hers");
    }

    function test_pauseBlocksOutflowsAndClaims() public {
        _engage(ACTION_CIRCUIT_BREAKER, 3 hours);
        assertFalse(_withdraw(ALICE, 500e18), "queued");
        _engage(ACTION_PAUSE, 1 hours);
        uint64 until = uint64(block.timestamp + 1 hours);
        vm.prank(BOB);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, until));
        vault.withdraw(1e18);
        vm.prank(GOV);
        vault.liftContainment(ACTION_CIRCUIT_BREAKER); // even with the breaker off
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, until));
        vault.claimOutflow(ALICE, address(token));
        vm.warp(until);
        vault.claimOutflow(ALICE, address(token));
        assertEq(token.balanceOf(ALICE), 500e18, "paid once the pause is over");
    }

    function test_collateralLockHoldsClaims() public {
        _engage(ACTION_CIRCUIT_BREAKER, 1 hours);
        assertFalse(_withdraw(ALICE, 500e18), "queued");
        _engage(ACTION_COLLATERAL_LOCK, 3 hours);
        vm.warp(block.timestamp + 1 hours); // the breaker is over, the lock is not
        vm.expectRevert(
            abi.encodeWithSelector(Guardable.GuardableWithdrawalsLocked.selector, uint64(block.timestamp + 2 hours))
        );
        vault.claimOutflow(ALICE, address(token));
        vm.warp(block.timestamp + 2 hours);
        vault.claimOutflow(ALICE, address(token));
        assertEq(token.balanceOf(ALICE), 500e18, "paid after the lock");
    }

    function test_collateralLockUnchanged() public {
        _engage(ACTION_COLLATERAL_LOCK, 1 hours);
        vm.prank(ALICE);
        vm.expectRevert(
            abi.encodeWithSelector(Guardable.GuardableWithdrawalsLocked.selector, uint64(block.timestamp + 1 hours))
        );
        vault.withdraw(1e18);
    }

    function test_reentrantClaimGetsNothingMore() public {
        ReentrantToken hostile = new ReentrantToken();
        RateLimitedVault v = new RateLimitedVault(DemoToken(address(hostile)), ORACLE, GOV);
        hostile.mint(ALICE, 1_000e18);
        vm.startPrank(ALICE);
        hostile.approve(address(v), 1_000e18);
        v.deposit(1_000e18);
        vm.stopPrank();
        vm.prank(ORACLE);
        v.engageContainment(ACTION_CIRCUIT_BREAKER, uint64(block.timestamp + 1 hours), bytes32(0));
        vm.prank(ALICE);
        assertFalse(v.withdraw(600e18), "queued (rate 0 by default)");
        vm.warp(block.timestamp + 1 hours);
        hostile.arm(v, ALICE);
        v.claimOutflow(ALICE, address(hostile));
        assertTrue(hostile.reentered(), "the token called back");
        assertFalse(hostile.reentrySucceeded(), "the second claim failed");
        assertEq(hostile.balanceOf(ALICE), 600e18, "paid once");
        assertEq(hostile.balanceOf(address(v)), 400e18, "the rest stays");
    }

    function test_onlyGovernanceSetsTheRate() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableUnauthorized.selector, STRANGER));
        vault.setOutflowRateLimit(10_000, 1, 0);
        vm.startPrank(GOV);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableInvalidRateLimit.selector, uint16(10_001), uint32(1)));
        vault.setOutflowRateLimit(10_001, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardableInvalidRateLimit.selector, uint16(100), uint32(0)));
        vault.setOutflowRateLimit(100, 0, 0);
        vm.stopPrank();
        (uint16 bps, uint32 period, uint32 delay) = vault.outflowRateLimit();
        assertEq(uint256(bps) + period + delay, 1_000 + 1 hours, "unchanged");
    }

    /// @dev Whatever the order of withdrawals under the breaker, what leaves in one period never
    /// exceeds the rate, and every withdrawn token is either paid or owed.
    function testFuzz_ratesHold(uint96 a, uint96 b, uint96 c) public {
        _engage(ACTION_CIRCUIT_BREAKER, 1 hours);
        uint256[3] memory amounts = [uint256(a) % 300e18, uint256(b) % 300e18, uint256(c) % 300e18];
        uint256 start = token.balanceOf(address(vault));
        for (uint256 i; i < 3; ++i) {
            _withdraw(i == 1 ? BOB : ALICE, amounts[i]);
        }
        uint256 paid = start - token.balanceOf(address(vault));
        assertLe(paid, start / 10, "at most 10% left");
        assertEq(paid + vault.pendingOutflowTotal(address(token)), amounts[0] + amounts[1] + amounts[2], "paid or owed");
    }
}
