// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "./Vm.sol";

/// @notice protocol/vectors/guardian_oracle.json: the digest constants, known-answer vectors,
/// limits and BLS authorizations generated from the Python specification
/// (`python -m node.contract_spec`), which pytest reads as well. No value of it is copied by hand
/// into a forge test.
library OracleSpec {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function read() internal view returns (string memory) {
        return vm.readFile(string.concat(vm.projectRoot(), "/../protocol/vectors/guardian_oracle.json"));
    }
}
