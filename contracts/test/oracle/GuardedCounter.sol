// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../../src/Guardable.sol";

/// @notice A minimal Guardable protocol for tests: one counter per guarded modifier.
contract GuardedCounter is Guardable {
    uint256 public deposits;
    uint256 public trades;
    uint256 public withdrawals;
    uint256 public engagedHookRuns;

    constructor(address oracle, address governance) Guardable(oracle, governance) {}

    function deposit() external whenNotGuardianPaused {
        deposits++;
    }

    function trade() external whenNotCircuitBroken {
        trades++;
    }

    function withdraw() external whenWithdrawalsNotLocked {
        withdrawals++;
    }

    function _afterContainmentEngaged(uint8, uint64) internal override {
        engagedHookRuns++;
    }
}

/// @notice The smallest Guardable protocol: what gas measurements use as "a simple pause hook".
contract MinimalGuarded is Guardable {
    uint256 public value;

    constructor(address oracle, address governance) Guardable(oracle, governance) {}

    function set(uint256 v) external whenNotGuardianPaused {
        value = v;
    }
}
