// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "./utils/Test.sol";
import {DemoToken} from "../examples/DemoToken.sol";
import {DemoAMM} from "../examples/DemoAMM.sol";
import {DemoLendingPool} from "../examples/DemoLendingPool.sol";
import {Attacker} from "../examples/Attacker.sol";
import {Guardable} from "../src/Guardable.sol";
import {ACTION_PAUSE, ACTION_CIRCUIT_BREAKER} from "../src/IGuardable.sol";

/// @notice The demo pool under the circuit breaker as a rate limit: a lender's large withdrawal
/// waits instead of reverting, what it is owed cannot be lent out meanwhile, the exploit gets at
/// most the rate out at once, and a PAUSE stops the rest and the claims.
contract DemoLendingPoolBreakerTest is Test {
    address internal constant ORACLE = address(0x0AC1E);
    address internal constant GOV = address(0x60);
    address internal constant LENDER = address(0x1E);
    address internal constant USER = address(0x05);
    address internal constant EVE = address(0xE7E);
    uint256 internal constant POOL_LIQUIDITY = 1_000_000e18;
    uint256 internal constant MAX_BORROW = 100_000e18;

    DemoToken internal usd;
    DemoToken internal weth;
    DemoAMM internal amm;
    DemoLendingPool internal pool;

    function setUp() public {
        vm.warp(1_700_000_000);
        usd = new DemoToken("Demo USD", "USDd");
        weth = new DemoToken("Demo WETH", "WETHd");
        amm = new DemoAMM(weth, usd, ORACLE, GOV);
        weth.mint(address(this), 1_000e18);
        usd.mint(address(this), 2_000_000e18);
        weth.approve(address(amm), type(uint256).max);
        usd.approve(address(amm), type(uint256).max);
        amm.addLiquidity(1_000e18, 2_000_000e18);
        pool = new DemoLendingPool(weth, usd, amm, MAX_BORROW, ORACLE, GOV);
        usd.mint(LENDER, POOL_LIQUIDITY);
        vm.startPrank(LENDER);
        usd.approve(address(pool), type(uint256).max);
        pool.deposit(POOL_LIQUIDITY);
        vm.stopPrank();
        vm.prank(GOV);
        pool.setOutflowRateLimit(1_000, 1 hours, 0); // 10% per hour under the breaker
        vm.prank(ORACLE);
        pool.engageContainment(ACTION_CIRCUIT_BREAKER, uint64(block.timestamp + 2 hours), keccak256("volatility"));
    }

    function test_aLargeWithdrawalWaitsAndItsTokensAreNotLent() public {
        vm.prank(LENDER);
        pool.withdraw(500_000e18); // no revert
        assertEq(usd.balanceOf(LENDER), 0, "waits");
        assertEq(pool.liquidity(), 500_000e18, "owed tokens are not liquidity");
        // A borrower cannot take what the lender is owed.
        weth.mint(USER, 1_000e18);
        vm.startPrank(USER);
        weth.approve(address(pool), type(uint256).max);
        pool.postCollateral(1_000e18);
        vm.stopPrank();
        for (uint256 i; i < 5; ++i) {
            vm.prank(USER);
            pool.borrow(MAX_BORROW);
        }
        vm.prank(USER);
        vm.expectRevert(abi.encodeWithSelector(DemoLendingPool.InsufficientLiquidity.selector, 1, 0));
        pool.borrow(1);
        vm.warp(block.timestamp + 2 hours);
        pool.claimOutflow(LENDER, address(usd));
        assertEq(usd.balanceOf(LENDER), 500_000e18, "paid in full after the breaker");
    }

    function test_theExploitGetsTheRateAtMostThenThePauseHoldsTheRest() public {
        vm.prank(EVE);
        Attacker attacker = new Attacker(pool);
        usd.mint(address(attacker), 2_500_000e18);
        uint256 before = usd.balanceOf(address(pool));
        for (uint256 i; i < 5; ++i) {
            vm.roll(block.number + 1);
            vm.prank(EVE);
            attacker.step(2_000_000e18);
        }
        assertEq(before - usd.balanceOf(address(pool)), MAX_BORROW, "only the rate (10%) left the pool");
        (uint256 owed,) = pool.pendingOutflow(address(attacker), address(usd));
        assertEq(owed, 4 * MAX_BORROW, "the rest waits");
        vm.prank(ORACLE);
        pool.engageContainment(ACTION_PAUSE, uint64(block.timestamp + 3 hours), keccak256("exploit"));
        uint64 pausedUntil = uint64(block.timestamp + 3 hours);
        vm.warp(block.timestamp + 2 hours); // the breaker ends; the PAUSE is still on
        assertFalse(pool.isCircuitBroken(), "breaker over");
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, pausedUntil));
        pool.claimOutflow(address(attacker), address(usd));
        vm.prank(EVE);
        vm.expectRevert(abi.encodeWithSelector(Guardable.GuardablePaused.selector, pausedUntil));
        attacker.step(2_000_000e18);
    }
}
