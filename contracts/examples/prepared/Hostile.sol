// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// Contracts that try to stall whoever probes them. Each names its target (an immutable address),
/// so the guardians' filter keeps it and their probes run it: they must stay bounded.

/// @notice Every call loops until it runs out of gas.
contract Looper {
    address public immutable target;
    uint256 public counter;

    constructor(address target_) {
        target = target_;
    }

    function spin(uint256 from) external returns (uint256 n) {
        n = from;
        while (true) {
            n += 1;
        }
    }

    fallback() external payable {
        while (true) {
            counter += 1;
        }
    }
}

/// @notice Every call reverts, with as much revert data as its gas allows.
contract Reverter {
    address public immutable target;

    constructor(address target_) {
        target = target_;
    }

    function fail(uint256 size) external view {
        assembly {
            revert(0, add(size, 0x100000))
        }
    }

    fallback() external payable {
        revert("no");
    }
}

/// @notice Every call returns as much data as it can pay memory for.
contract HugeReturn {
    address public immutable target;

    constructor(address target_) {
        target = target_;
    }

    function blob(uint256 size) external view returns (bytes memory) {
        assembly {
            return(0, add(size, 0x200000))
        }
    }

    fallback() external payable {
        assembly {
            return(0, 0x80000)
        }
    }
}

/// @notice Destroys itself (sending its balance to the caller) when called.
contract SelfDestructor {
    address public immutable target;

    constructor(address target_) {
        target = target_;
    }

    function boom(address to) external {
        selfdestruct(payable(to == address(0) ? msg.sender : to));
    }

    fallback() external payable {
        selfdestruct(payable(msg.sender));
    }
}
