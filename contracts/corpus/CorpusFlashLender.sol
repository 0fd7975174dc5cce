// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DemoToken} from "../examples/DemoToken.sol";

/// @notice The ERC-3156 borrower callback.
interface ICorpusFlashBorrower {
    function onFlashLoan(address initiator, address token, uint256 amount, uint256 fee, bytes calldata data)
        external
        returns (bytes32);
}

/// @title CorpusFlashLender
/// @notice An ERC-3156-style flash lender (fee 0.05%) over whatever tokens it holds: the corpus's
/// source of borrowed capital (price manipulation, borrowed votes, flash deposits).
contract CorpusFlashLender {
    bytes32 public constant CALLBACK_SUCCESS = keccak256("ERC3156FlashBorrower.onFlashLoan");
    uint256 public constant FEE_BPS = 5;

    error CallbackFailed();
    error NotRepaid();

    function maxFlashLoan(address token) external view returns (uint256) {
        return DemoToken(token).balanceOf(address(this));
    }

    function flashFee(address, uint256 amount) public pure returns (uint256) {
        return (amount * FEE_BPS) / 10_000;
    }

    function flashLoan(ICorpusFlashBorrower receiver, address token, uint256 amount, bytes calldata data)
        external
        returns (bool)
    {
        uint256 before = DemoToken(token).balanceOf(address(this));
        uint256 fee = flashFee(token, amount);
        DemoToken(token).transfer(address(receiver), amount);
        if (receiver.onFlashLoan(msg.sender, token, amount, fee, data) != CALLBACK_SUCCESS) revert CallbackFailed();
        DemoToken(token).transferFrom(address(receiver), address(this), amount + fee);
        if (DemoToken(token).balanceOf(address(this)) < before + fee) revert NotRepaid();
        return true;
    }
}
