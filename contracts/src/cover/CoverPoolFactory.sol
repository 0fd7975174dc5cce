// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IGuardianOracle} from "../IGuardianOracle.sol";
import {CoverPool} from "./CoverPool.sol";
import {CoverTerms} from "./ICoverPool.sol";

/// @title CoverPoolFactory
/// @notice Creates cover pools for protocols registered with one GuardianOracle. Only a
/// protocol's registered admin (its governance) may create cover for it, so the terms users see
/// are the protocol team's.
contract CoverPoolFactory {
    /// @notice The oracle whose registry and group key every pool of this factory uses.
    IGuardianOracle public immutable oracle;

    /// @notice A pool was created.
    event CoverPoolCreated(bytes32 indexed protocolId, address indexed pool, address indexed asset, CoverTerms terms);

    /// @notice Only the protocol's registered admin may create its cover.
    error CoverNotProtocolAdmin(address caller, address admin);

    constructor(IGuardianOracle oracle_) {
        oracle = oracle_;
    }

    /// @notice Create a cover pool of `asset` for `terms.protocolId`. Only the protocol's admin.
    /// @return pool The new pool (its shares are named "Guardian Cover <symbol>").
    function createPool(IERC20 asset, CoverTerms calldata terms, string calldata symbol) external returns (address pool) {
        address admin = oracle.getRegistration(terms.protocolId).admin;
        if (msg.sender != admin) revert CoverNotProtocolAdmin(msg.sender, admin);
        pool = address(new CoverPool(asset, oracle, terms, string.concat("Guardian Cover ", symbol), string.concat("gc", symbol)));
        emit CoverPoolCreated(terms.protocolId, pool, address(asset), terms);
    }
}
