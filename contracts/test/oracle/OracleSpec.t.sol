// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ACTION_PAUSE, ACTION_CIRCUIT_BREAKER, ACTION_COLLATERAL_LOCK} from "../../src/IGuardable.sol";
import {GuardianOracle} from "../../src/GuardianOracle.sol";
import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {RegistrationParams} from "../../src/OracleTypes.sol";
import {OracleHarness} from "./OracleHarness.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice The contract against protocol/vectors/guardian_oracle.json, which the Python
/// specification generates: the digest's known answers, protocol ids and every public constant.
contract OracleSpecTest is OracleTestBase {
    function _vector(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".digest.vectors[", vm.toString(i), "].", field);
    }

    function _uint(uint256 i, string memory field) internal view returns (uint256) {
        return vm.parseJsonUint(spec, _vector(i, field));
    }

    function _b32(uint256 i, string memory field) internal view returns (bytes32) {
        return vm.parseJsonBytes32(spec, _vector(i, field));
    }

    /// @dev Each vector is computed by a copy of this oracle's code placed at the vector's oracle
    /// address on the vector's chain (an etched copy has empty storage: key epoch 0, which the
    /// public view is checked at; `digestAt` takes any epoch).
    function test_digestVectors() public {
        uint256 n = abi.decode(vm.parseJson(spec, ".digest.vectors[*].digest"), (bytes32[])).length;
        assertGe(n, 3, "vectors present");
        for (uint256 i; i < n; ++i) {
            address where = vm.parseJsonAddress(spec, _vector(i, "oracle"));
            vm.chainId(_uint(i, "chain_id"));
            vm.etch(where, address(oracle).code);
            bytes32 want = _b32(i, "digest");
            bytes32 pid = _b32(i, "protocol_id");
            uint8 action = uint8(_uint(i, "action"));
            uint64 nonce = uint64(_uint(i, "nonce"));
            uint64 deadline = uint64(_uint(i, "deadline"));
            bytes32 ev = _b32(i, "evidence_hash");
            uint64 from = uint64(_uint(i, "evidence_from_block"));
            uint64 epoch = uint64(_uint(i, "key_epoch"));
            assertEq(OracleHarness(where).digestAt(epoch, pid, action, nonce, deadline, from, ev), want, "digest vector");
            if (epoch == 0) {
                assertEq(
                    GuardianOracle(where).authorizationDigest(pid, action, nonce, deadline, from, ev), want, "public view"
                );
            }
        }
    }

    function test_protocolIdVectors() public view {
        uint256 n = abi.decode(vm.parseJson(spec, ".protocol_ids[*].protocol_id"), (bytes32[])).length;
        assertGe(n, 1, "vectors present");
        for (uint256 i; i < n; ++i) {
            string memory key = string.concat(".protocol_ids[", vm.toString(i), "].");
            address target = vm.parseJsonAddress(spec, string.concat(key, "target"));
            bytes32 want = vm.parseJsonBytes32(spec, string.concat(key, "protocol_id"));
            assertEq(oracle.protocolIdOf(target), want, "protocolIdOf");
        }
    }

    function _limit(string memory name) internal view returns (uint256) {
        return vm.parseJsonUint(spec, string.concat(".limits.", name));
    }

    /// @dev The deployed contract's public constants are the Python specification's values.
    function test_constantsMatchTheSpec() public view {
        assertEq(oracle.DOMAIN_TAG(), vm.parseJsonBytes32(spec, ".digest.domain_tag"), "DOMAIN_TAG");
        assertEq(oracle.DST(), bytes(vm.parseJsonString(spec, ".digest.dst")), "DST");
        assertEq(oracle.MIN_CONTAINMENT_DURATION(), _limit("MIN_CONTAINMENT_DURATION"), "MIN_CONTAINMENT_DURATION");
        assertEq(oracle.MAX_CONTAINMENT_DURATION(), _limit("MAX_CONTAINMENT_DURATION"), "MAX_CONTAINMENT_DURATION");
        assertEq(oracle.MIN_COOLDOWN(), _limit("MIN_COOLDOWN"), "MIN_COOLDOWN");
        assertEq(oracle.MAX_COOLDOWN(), _limit("MAX_COOLDOWN"), "MAX_COOLDOWN");
        assertEq(oracle.MAX_PROTOCOLS(), _limit("MAX_PROTOCOLS"), "MAX_PROTOCOLS");
        assertEq(oracle.MAX_PROTOCOLS_PER_ADMIN(), _limit("MAX_PROTOCOLS_PER_ADMIN"), "MAX_PROTOCOLS_PER_ADMIN");
        assertEq(oracle.VERIFY_GAS_RESERVE(), _limit("VERIFY_GAS_RESERVE"), "VERIFY_GAS_RESERVE");
        assertEq(oracle.KEY_ROTATION_EXPIRY(), _limit("KEY_ROTATION_EXPIRY"), "KEY_ROTATION_EXPIRY");
        assertEq(oracle.MAX_GUARDIANS(), _limit("MAX_GUARDIANS"), "MAX_GUARDIANS");
        assertEq(oracle.MAX_DETECTION_ENTRIES(), _limit("MAX_DETECTION_ENTRIES"), "MAX_DETECTION_ENTRIES");
        assertEq(oracle.MAX_INVARIANT_CALLDATA(), _limit("MAX_INVARIANT_CALLDATA"), "MAX_INVARIANT_CALLDATA");
        assertEq(oracle.MAX_WINDOW_BLOCKS(), _limit("MAX_WINDOW_BLOCKS"), "MAX_WINDOW_BLOCKS");
        assertEq(oracle.HOOK_GAS_LIMIT(), _limit("HOOK_GAS_LIMIT"), "HOOK_GAS_LIMIT");
        assertEq(oracle.HOOK_GAS_MARGIN(), _limit("HOOK_GAS_MARGIN"), "HOOK_GAS_MARGIN");
        assertEq(oracle.HOOK_KIND_GUARDABLE(), _limit("HOOK_KIND_GUARDABLE"), "HOOK_KIND_GUARDABLE");
        assertEq(oracle.HOOK_KIND_SELECTOR(), _limit("HOOK_KIND_SELECTOR"), "HOOK_KIND_SELECTOR");
        assertEq(ACTION_PAUSE, vm.parseJsonUint(spec, ".actions.PAUSE"), "ACTION_PAUSE");
        assertEq(ACTION_CIRCUIT_BREAKER, vm.parseJsonUint(spec, ".actions.CIRCUIT_BREAKER"), "ACTION_CIRCUIT_BREAKER");
        assertEq(ACTION_COLLATERAL_LOCK, vm.parseJsonUint(spec, ".actions.COLLATERAL_LOCK"), "ACTION_COLLATERAL_LOCK");
    }

    /// @dev MAX_BPS has no public getter: the registry's bound shows it.
    function test_bpsBoundMatchesTheSpec() public {
        uint16 maxBps = uint16(_limit("MAX_BPS"));
        RegistrationParams memory rp = params(address(protocol));
        rp.detection.balanceDropBps = maxBps;
        vm.prank(ADMIN);
        oracle.updateRegistration(id, rp);
        rp.detection.balanceDropBps = maxBps + 1;
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidBps.selector, maxBps + 1));
        oracle.updateRegistration(id, rp);
    }
}
