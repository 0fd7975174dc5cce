// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {GuardianOracle} from "../../src/GuardianOracle.sol";
import {ProtocolStateWord} from "../../src/oracle/ProtocolStateWord.sol";

/// @notice GuardianOracle with a stand-in signature check, so policy tests do not depend on BLS:
/// a "signature" is the 32-byte digest followed by 224 zero bytes.
abstract contract HarnessChecks is GuardianOracle {
    function _verifyAuthorization(address, bytes32 digest, bytes calldata signature)
        internal
        pure
        override
        returns (bool)
    {
        return bytes32(signature[:32]) == digest && keccak256(signature[32:]) == keccak256(new bytes(224));
    }

    /// @dev The digest the oracle computes for any key epoch (the public view uses the current one).
    function digestAt(
        uint64 epoch,
        bytes32 protocolId,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 evidenceFromBlock,
        bytes32 ev
    ) external view returns (bytes32) {
        return _authorizationDigest(epoch, protocolId, action, nonce, deadline, evidenceFromBlock, ev);
    }
}

/// @notice The harness with no registration bond (most policy tests).
contract OracleHarness is HarnessChecks {
    constructor(address governance_, bytes memory pk, uint16 t, uint16 n, uint64 delay)
        GuardianOracle(governance_, pk, t, n, delay, 0)
    {}
}

/// @notice The harness with a registration bond of `bond` wei (the registry's capacity tests).
contract BondedOracleHarness is HarnessChecks {
    constructor(address governance_, bytes memory pk, uint16 t, uint16 n, uint64 delay, uint256 bond)
        GuardianOracle(governance_, pk, t, n, delay, bond)
    {}
}

/// @notice The stand-in signature the harness accepts for `digest`.
function fakeSignature(bytes32 digest) pure returns (bytes memory) {
    return abi.encodePacked(digest, new bytes(224));
}

/// @notice Exposes the protocol state slot both ways: as Solidity's struct and as the word the
/// hot path of {authorize} reads and writes (OracleStateLayoutTest).
contract StateLayoutHarness is OracleHarness {
    constructor(bytes memory pk) OracleHarness(address(0x60), pk, 3, 5, 2 days) {}

    function writeStruct(bytes32 protocolId, ProtocolState calldata s) external {
        // Member by member, as Solidity writes a packed struct (the layout under test).
        ProtocolState storage t = _state(protocolId);
        t.allowedActions = s.allowedActions;
        t.pauseSelector = s.pauseSelector;
        t.maxDuration = s.maxDuration;
        t.cooldown = s.cooldown;
        t.nonce = s.nonce;
        t.action = s.action;
        t.replacedAction = s.replacedAction;
        t.failedAction = s.failedAction;
        t.hookSucceeded = s.hookSucceeded;
        t.engagedAt = s.engagedAt;
        t.heldFor = s.heldFor;
        t.releaseBlock = s.releaseBlock;
    }

    function readStruct(bytes32 protocolId) external view returns (ProtocolState memory) {
        return _state(protocolId);
    }

    function readWord(bytes32 protocolId) external view returns (uint256) {
        return ProtocolStateWord.load(_stateSlot(protocolId));
    }

    function engageSelectorConstant() external pure returns (uint256) {
        return _ENGAGE_CONTAINMENT;
    }

    function writeWord(bytes32 protocolId, uint256 word) external {
        ProtocolStateWord.store(_stateSlot(protocolId), word);
    }
}
