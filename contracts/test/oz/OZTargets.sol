// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @notice A stock OpenZeppelin 5 vault: `pause()` behind PAUSER_ROLE, `unpause()` behind the
/// DEFAULT_ADMIN_ROLE (the team's governance). What a protocol team registers with the selector
/// hook after granting PAUSER_ROLE to the oracle.
contract OZAccessControlVault is AccessControl, Pausable {
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    uint256 public deposits;

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    function deposit() external whenNotPaused {
        deposits++;
    }
}

/// @notice A stock OpenZeppelin 5 Ownable + Pausable contract whose owner names a pauser.
contract OZOwnablePausable is Ownable, Pausable {
    address public pauser;

    error NotPauser(address caller);

    constructor(address owner_) Ownable(owner_) {}

    function setPauser(address pauser_) external onlyOwner {
        pauser = pauser_;
    }

    function pause() external {
        if (msg.sender != pauser && msg.sender != owner()) revert NotPauser(msg.sender);
        _pause();
    }

    function unpause() external onlyOwner {
        _unpause();
    }
}
