// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DemoLendingPool} from "../../examples/DemoLendingPool.sol";
import {DemoAMM} from "../../examples/DemoAMM.sol";
import {DemoToken} from "../../examples/DemoToken.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";

/// @notice The demo pool whose governance can break its PAUSE hook after registration (as an
/// upgrade or a role change would), while its other containments keep working. Storage: the
/// pool's, then one flag, so its runtime code can replace a deployed DemoLendingPool's in tests.
contract FlakyPausePool is DemoLendingPool {
    bool public pauseBroken;

    error PauseHookBroken();

    constructor(
        DemoToken collateralToken_,
        DemoToken debtToken_,
        DemoAMM amm_,
        uint256 maxBorrowPerTx_,
        address oracle,
        address governance
    ) DemoLendingPool(collateralToken_, debtToken_, amm_, maxBorrowPerTx_, oracle, governance) {}

    function breakPause() external {
        if (msg.sender != guardianGovernance) revert GuardableUnauthorized(msg.sender);
        pauseBroken = true;
    }

    function _afterContainmentEngaged(uint8 action, uint64) internal view override {
        if (pauseBroken && action == ACTION_PAUSE) revert PauseHookBroken();
    }
}
