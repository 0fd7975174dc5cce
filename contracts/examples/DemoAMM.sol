// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../src/Guardable.sol";
import {DemoToken} from "./DemoToken.sol";

/// @title DemoAMM
/// @notice A constant-product pool of WETHd (token0) and USDd (token1) with a 0.3% fee. Its order
/// matching (swaps) is what a circuit breaker suspends; liquidity can always be withdrawn unless
/// withdrawals are locked.
contract DemoAMM is Guardable {
    uint256 public constant FEE_BPS = 30;
    DemoToken public immutable token0;
    DemoToken public immutable token1;
    uint256 public reserve0;
    uint256 public reserve1;
    uint256 public totalShares;
    mapping(address => uint256) public shares;

    event LiquidityAdded(address indexed provider, uint256 amount0, uint256 amount1, uint256 minted);
    event LiquidityRemoved(address indexed provider, uint256 amount0, uint256 amount1, uint256 burned);
    event Swap(address indexed trader, address indexed tokenIn, uint256 amountIn, uint256 amountOut);

    error InvalidToken(address token);
    error InsufficientOutput(uint256 out, uint256 minOut);
    error ZeroAmount();

    constructor(DemoToken token0_, DemoToken token1_, address oracle, address governance)
        Guardable(oracle, governance)
    {
        token0 = token0_;
        token1 = token1_;
    }

    /// @notice Deposit both tokens at the current ratio (any ratio for the first deposit).
    function addLiquidity(uint256 amount0, uint256 amount1) external whenNotGuardianPaused returns (uint256 minted) {
        if (amount0 == 0 || amount1 == 0) revert ZeroAmount();
        minted = totalShares == 0 ? amount0 : (amount0 * totalShares) / reserve0;
        token0.transferFrom(msg.sender, address(this), amount0);
        token1.transferFrom(msg.sender, address(this), amount1);
        reserve0 += amount0;
        reserve1 += amount1;
        totalShares += minted;
        shares[msg.sender] += minted;
        emit LiquidityAdded(msg.sender, amount0, amount1, minted);
    }

    /// @notice Burn `burned` shares for the proportional reserves.
    function removeLiquidity(uint256 burned) external whenWithdrawalsNotLocked {
        uint256 amount0 = (burned * reserve0) / totalShares;
        uint256 amount1 = (burned * reserve1) / totalShares;
        shares[msg.sender] -= burned;
        totalShares -= burned;
        reserve0 -= amount0;
        reserve1 -= amount1;
        token0.transfer(msg.sender, amount0);
        token1.transfer(msg.sender, amount1);
        emit LiquidityRemoved(msg.sender, amount0, amount1, burned);
    }

    /// @notice Output for an exact input, fee included.
    function quote(address tokenIn, uint256 amountIn) public view returns (uint256) {
        (uint256 rIn, uint256 rOut) = tokenIn == address(token0) ? (reserve0, reserve1) : (reserve1, reserve0);
        uint256 inWithFee = amountIn * (10_000 - FEE_BPS);
        return (inWithFee * rOut) / (rIn * 10_000 + inWithFee);
    }

    /// @notice Swap an exact amount of `tokenIn` for the other token (suspended by a circuit breaker).
    function swapExactIn(address tokenIn, uint256 amountIn, uint256 minOut)
        external
        whenNotCircuitBroken
        returns (uint256 out)
    {
        if (tokenIn != address(token0) && tokenIn != address(token1)) revert InvalidToken(tokenIn);
        if (amountIn == 0) revert ZeroAmount();
        out = quote(tokenIn, amountIn);
        if (out < minOut) revert InsufficientOutput(out, minOut);
        bool zeroIn = tokenIn == address(token0);
        DemoToken(tokenIn).transferFrom(msg.sender, address(this), amountIn);
        if (zeroIn) {
            reserve0 += amountIn;
            reserve1 -= out;
            token1.transfer(msg.sender, out);
        } else {
            reserve1 += amountIn;
            reserve0 -= out;
            token0.transfer(msg.sender, out);
        }
        emit Swap(msg.sender, tokenIn, amountIn, out);
    }

    /// @notice The instantaneous price of token0 in token1, 18 decimals. Trivially manipulable
    /// within one transaction: never use it as an oracle (the lending pool does: that is its bug).
    function spotPrice() external view returns (uint256) {
        return (reserve1 * 1e18) / reserve0;
    }
}
