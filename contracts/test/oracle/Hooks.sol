// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardable} from "../../src/IGuardable.sol";

/// @notice Hooks that misbehave in the ways the oracle must survive. The oracle tries every hook
/// at registration, so the misbehaving ones work until a test breaks them.
contract RevertingHook is IGuardable {
    bool public broken;

    function setBroken(bool b) external {
        broken = b;
    }

    function engageContainment(uint8, uint64, bytes32) external view {
        if (broken) revert("no");
    }

    function liftContainment(uint8) external pure {
        revert("no");
    }
}

/// @notice Burns every unit of gas it is given.
contract GasBurnerHook is IGuardable {
    uint256 public sink;
    bool public broken;

    function setBroken(bool b) external {
        broken = b;
    }

    function engageContainment(uint8, uint64, bytes32) external {
        while (broken) {
            sink++;
        }
    }

    function liftContainment(uint8) external {
        while (true) {
            sink++;
        }
    }
}

/// @notice Returns as much data as its gas allows, trying to make the caller copy it.
contract ReturnBombHook is IGuardable {
    function engageContainment(uint8, uint64, bytes32) external pure {
        assembly {
            return(0, 200000)
        }
    }

    function liftContainment(uint8) external pure {
        assembly {
            revert(0, 200000)
        }
    }
}

/// @notice Records the calls it receives (two storage slots, well within the hook gas budget).
contract RecordingHook is IGuardable {
    struct Last {
        uint8 action;
        uint64 expiresAt;
        uint32 engages;
        uint32 lifts;
    }

    Last public last;
    bytes32 public lastEvidence;

    function engageContainment(uint8 action, uint64 expiresAt, bytes32 evidenceHash) external {
        last = Last(action, expiresAt, last.engages + 1, last.lifts);
        lastEvidence = evidenceHash;
    }

    function liftContainment(uint8 action) external {
        last = Last(action, last.expiresAt, last.engages, last.lifts + 1);
    }
}

/// @notice Records how much gas it was given.
contract GasProbeHook is IGuardable {
    uint256 public gasSeen;

    function engageContainment(uint8, uint64, bytes32) external {
        gasSeen = gasleft();
    }

    function liftContainment(uint8) external {}
}

/// @notice Tries to call back into the oracle from the hook and records the revert selector.
contract ReentrantHook is IGuardable {
    address public oracle;
    bytes public callData;
    bytes4 public revertSelector;

    function arm(address oracle_, bytes calldata data) external {
        oracle = oracle_;
        callData = data;
    }

    function engageContainment(uint8, uint64, bytes32) external {
        (bool ok, bytes memory ret) = oracle.call(callData);
        if (!ok && ret.length >= 4) revertSelector = bytes4(ret);
    }

    function liftContainment(uint8) external {}
}

/// @notice An OpenZeppelin Pausable-style target for hookKind 1: `pause()` callable by the oracle.
contract PausableTarget {
    address public immutable pauser;
    bool public paused;

    constructor(address pauser_) {
        pauser = pauser_;
    }

    function pause() external {
        require(msg.sender == pauser, "not pauser");
        paused = true;
    }
}

/// @notice A Guardable protocol with a generic call-forwarding function (as multicall, `execute`
/// or callbacks are): anyone can make it call anything.
contract ForwardingTarget is IGuardable {
    address public immutable guardianGovernance;
    uint64 public pausedUntil;

    constructor(address governance) {
        guardianGovernance = governance;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }

    function engageContainment(uint8, uint64 expiresAt, bytes32) external {
        pausedUntil = expiresAt;
    }

    function liftContainment(uint8) external {
        pausedUntil = 0;
    }
}

/// @notice Fails for one action only (as a target whose pause path lost the oracle's role would).
contract OneActionFailsHook is IGuardable {
    uint8 public failing;

    function setFailing(uint8 action) external {
        failing = action;
    }

    function engageContainment(uint8 action, uint64, bytes32) external view {
        if (action == failing) revert("no");
    }

    function liftContainment(uint8) external {}
}
