// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DemoAMM} from "../DemoAMM.sol";
import {DemoLendingPool} from "../DemoLendingPool.sol";
import {DemoToken} from "../DemoToken.sol";

/// @title DepositHelper
/// @notice A benign integration: deposits its owner's USDd into the demo pool and withdraws it back.
/// Guardians probe it like any new contract that names the pool; it must never be contained.
contract DepositHelper {
    address public immutable owner;
    DemoLendingPool public immutable pool;
    DemoToken public immutable usd;

    error NotOwner();

    constructor(DemoLendingPool pool_) {
        owner = msg.sender;
        pool = pool_;
        usd = pool_.debtToken();
        usd.approve(address(pool_), type(uint256).max);
    }

    function deposit(uint256 amount) external {
        if (msg.sender != owner) revert NotOwner();
        usd.transferFrom(msg.sender, address(this), amount);
        pool.deposit(amount);
    }

    function withdraw(uint256 amount) external {
        if (msg.sender != owner) revert NotOwner();
        pool.withdraw(amount);
        usd.transfer(owner, amount);
    }
}

/// @title SwapRouter
/// @notice A benign integration: swaps the caller's tokens through the demo AMM's pair with a
/// minimum out (a pair router: it keeps both tokens, USDd among them, as immutables).
contract SwapRouter {
    DemoAMM public immutable amm;
    DemoToken public immutable token0;
    DemoToken public immutable token1;

    constructor(DemoAMM amm_) {
        amm = amm_;
        token0 = amm_.token0();
        token1 = amm_.token1();
        token0.approve(address(amm_), type(uint256).max);
        token1.approve(address(amm_), type(uint256).max);
    }

    function swap(bool zeroForOne, uint256 amountIn, uint256 minOut) external returns (uint256 out) {
        (DemoToken tokenIn, DemoToken tokenOut) = zeroForOne ? (token0, token1) : (token1, token0);
        tokenIn.transferFrom(msg.sender, address(this), amountIn);
        out = amm.swapExactIn(address(tokenIn), amountIn, minOut);
        tokenOut.transfer(msg.sender, out);
    }
}

/// @title PositionKeeper
/// @notice A benign integration in the role of a liquidation bot (the demo pool has no liquidation
/// entry point): repays debt with its owner's USDd and takes back the freed collateral.
contract PositionKeeper {
    address public immutable owner;
    DemoLendingPool public immutable pool;

    error NotOwner();

    constructor(DemoLendingPool pool_) {
        owner = msg.sender;
        pool = pool_;
        pool_.debtToken().approve(address(pool_), type(uint256).max);
    }

    function repayAndRelease(uint256 debt, uint256 collateral) external {
        if (msg.sender != owner) revert NotOwner();
        pool.debtToken().transferFrom(msg.sender, address(this), debt);
        pool.repay(debt);
        pool.withdrawCollateral(collateral);
        pool.collateralToken().transfer(owner, collateral);
    }
}

/// @title WithdrawalHelper
/// @notice A whale's own helper: at creation it deposits what its deployer approved it to take
/// (a large share of the pool), and `withdrawAll` gives the whole deposit back to the deployer.
/// Probed from its deployer, `withdrawAll` drops the pool's balance far beyond the registered
/// limits: a balance rule cannot tell this withdrawal from a theft, so it must engage nothing
/// stronger than the circuit breaker (volatility class), and nothing where that is not allowed.
contract WithdrawalHelper {
    address public immutable owner;
    DemoLendingPool public immutable pool;
    DemoToken public immutable usd;

    error NotOwner();

    constructor(DemoLendingPool pool_) {
        owner = msg.sender;
        pool = pool_;
        usd = pool_.debtToken();
        usd.approve(address(pool_), type(uint256).max);
        uint256 amount = usd.allowance(msg.sender, address(this));
        if (amount > 0) {
            usd.transferFrom(msg.sender, address(this), amount);
            pool_.deposit(amount);
        }
    }

    function withdrawAll() external {
        if (msg.sender != owner) revert NotOwner();
        uint256 amount = pool.deposits(address(this));
        pool.withdraw(amount);
        usd.transfer(owner, amount);
    }
}
