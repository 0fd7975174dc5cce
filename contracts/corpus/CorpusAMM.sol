// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DemoAMM} from "../examples/DemoAMM.sol";
import {DemoToken} from "../examples/DemoToken.sol";

/// @title CorpusAMM
/// @notice The demo constant-product AMM with the claims view the detection corpus registers: a
/// liquidity provider may rightfully take out its shares' part of each reserve.
contract CorpusAMM is DemoAMM {
    constructor(DemoToken token0_, DemoToken token1_, address oracle, address governance)
        DemoAMM(token0_, token1_, oracle, governance)
    {}

    /// @notice What `account` may rightfully take out now: its shares' part of `token`'s reserve.
    function claimOf(address account, address token) external view returns (uint256) {
        if (totalShares == 0) return 0;
        if (token == address(token0)) return (shares[account] * reserve0) / totalShares;
        if (token == address(token1)) return (shares[account] * reserve1) / totalShares;
        return 0;
    }
}
