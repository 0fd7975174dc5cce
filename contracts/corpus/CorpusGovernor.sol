// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../src/Guardable.sol";
import {DemoToken} from "../examples/DemoToken.sol";

/// @title CorpusGovernor
/// @notice A DAO treasury for the detection corpus: whoever holds a majority of the vote token may
/// execute any call from the treasury. THE PLANTED BUG: votes are read from the CURRENT balance (no
/// snapshot, no voting delay), so votes borrowed in a flash loan pass a proposal in one transaction.
contract CorpusGovernor is Guardable {
    DemoToken public immutable votes;

    event Executed(address indexed proposer, address indexed target, bytes data);

    error NoMajority(uint256 votes, uint256 supply);
    error CallFailed(bytes reason);

    constructor(DemoToken votes_, address oracle, address governance) Guardable(oracle, governance) {
        votes = votes_;
    }

    function execute(address target, bytes calldata data) external whenNotGuardianPaused returns (bytes memory out) {
        uint256 held = votes.balanceOf(msg.sender);
        uint256 supply = votes.totalSupply();
        if (held * 2 <= supply) revert NoMajority(held, supply);
        bool ok;
        (ok, out) = target.call(data);
        if (!ok) revert CallFailed(out);
        emit Executed(msg.sender, target, data);
    }

    /// @notice Nobody may take out of the treasury without a proposal: every claim is zero.
    function claimOf(address, address) external pure returns (uint256) {
        return 0;
    }
}
