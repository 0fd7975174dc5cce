// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "../utils/Test.sol";
import {OracleSpec} from "../utils/OracleSpec.sol";
import {GuardianOracle} from "../../src/GuardianOracle.sol";
import {InvariantCall, DetectionParams, RegistrationParams} from "../../src/OracleTypes.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";
import {HarnessChecks, OracleHarness, fakeSignature} from "./OracleHarness.sol";
import {GuardedCounter} from "./GuardedCounter.sol";

/// @notice Shared fixtures for the oracle tests: a harness oracle (stand-in signatures), a
/// Guardable protocol registered for all three actions, and helpers to build authorizations.
abstract contract OracleTestBase is Test {
    address internal constant GOV = address(0x60);
    address internal constant ADMIN = address(0xAD);
    address internal constant SUBMITTER = address(0x5B);
    address internal constant TOKEN = address(0x70);
    uint64 internal constant DELAY = 2 days;
    uint64 internal constant MAX_DURATION = 1 hours;
    uint64 internal constant COOLDOWN = 10 minutes;
    bytes32 internal constant EVIDENCE = keccak256("evidence");
    /// @dev The evidence's first block in most tests: forge stays at block 1 unless a test rolls,
    /// so the oracle's release block is at most 1.
    uint64 internal constant FROM = 2;

    /// @dev forge-std style log events: forge prints them with -vv.
    event log_named_uint(string key, uint256 val);

    HarnessChecks internal oracle;
    GuardedCounter internal protocol;
    bytes32 internal id;
    /// @dev protocol/vectors/guardian_oracle.json, generated from the Python specification.
    string internal spec;
    /// @dev The digest's domain tag as the Python specification states it.
    bytes32 internal domainTag;

    function setUp() public virtual {
        spec = OracleSpec.read();
        domainTag = vm.parseJsonBytes32(spec, ".digest.domain_tag");
        vm.warp(1_700_000_000);
        oracle = new OracleHarness(GOV, g1Generator(), 3, 5, DELAY);
        protocol = new GuardedCounter(address(oracle), ADMIN);
        vm.prank(ADMIN);
        id = oracle.register(params(address(protocol)));
    }

    // ------------------------------------------------------------ fixtures

    /// @dev The BLS12-381 G1 generator, EIP-2537 encoding (x ‖ y, each 64 bytes).
    function g1Generator() internal pure returns (bytes memory) {
        return abi.encodePacked(
            bytes16(0),
            hex"17f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00adb22c6bb",
            bytes16(0),
            hex"08b3f481e3aaa0f1a09e30ed741d8ae4fcf5e095d5d00af600db18cb2c04b3edd03cc744a2888ae40caa232946c5e7e1"
        );
    }

    /// @dev 2·G computed with the G1ADD precompile.
    function g1Double() internal view returns (bytes memory out) {
        bool ok;
        (ok, out) = address(0x0b).staticcall(abi.encodePacked(g1Generator(), g1Generator()));
        require(ok && out.length == 128, "G1ADD");
    }

    /// @dev Protocol id -> target, for every target a registration was built for: {authorize}
    /// takes the target, the tests name protocols by id.
    mapping(bytes32 => address) private _targets;

    /// @dev The target registered under `pid` (a plain lookup: safe right after vm.expectRevert).
    function targetOf(bytes32 pid) internal view returns (address target) {
        target = _targets[pid];
        require(target != address(0), "test: no target known for this protocol id");
    }

    function params(address target) internal returns (RegistrationParams memory p) {
        _targets[keccak256(abi.encode(target))] = target;
        p.target = target;
        p.admin = ADMIN;
        p.allowedActions = 0x0e;
        p.hookKind = 0;
        p.pauseSelector = bytes4(0);
        p.maxDuration = MAX_DURATION;
        p.cooldown = COOLDOWN;
        p.detection.monitored = new address[](1);
        p.detection.monitored[0] = target;
        p.detection.tokens = new address[](1);
        p.detection.tokens[0] = TOKEN;
        p.detection.outflowLimitBps = 1500;
        p.detection.windowBlocks = 20;
        p.detection.balanceDropBps = 1000;
        p.detection.invariants = new InvariantCall[](1);
        p.detection.invariants[0] = InvariantCall(target, abi.encodeWithSignature("isSolvent()"));
    }

    /// @dev The digest per the spec (layout: `.digest.layout` of the spec file), computed
    /// independently of the contract. The evidence's first block is `FROM`.
    function digestFor(uint64 epoch, bytes32 pid, uint8 action, uint64 nonce, uint64 deadline, bytes32 ev)
        internal
        view
        returns (bytes32)
    {
        return digestFor(epoch, pid, action, nonce, deadline, FROM, ev);
    }

    function digestFor(
        uint64 epoch,
        bytes32 pid,
        uint8 action,
        uint64 nonce,
        uint64 deadline,
        uint64 from,
        bytes32 ev
    ) internal view returns (bytes32) {
        return keccak256(
            abi.encode(domainTag, block.chainid, address(oracle), epoch, pid, action, nonce, deadline, from, ev)
        );
    }



    function sigFor(bytes32 pid, uint8 action, uint64 nonce, uint64 deadline, bytes32 ev)
        internal
        view
        returns (bytes memory)
    {
        return fakeSignature(digestFor(oracle.keyEpoch(), pid, action, nonce, deadline, ev));
    }

    /// @dev Authorize `action` on `pid` with its current nonce, a 5-minute deadline and EVIDENCE.
    function engage(bytes32 pid, uint8 action) internal returns (bool) {
        uint64 nonce = oracle.nonces(pid);
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        bytes memory sig = sigFor(pid, action, nonce, deadline, EVIDENCE);
        vm.prank(SUBMITTER);
        return oracle.authorize(targetOf(pid), action, nonce, deadline, FROM, EVIDENCE, sig);
    }

    function engagePause() internal returns (bool) {
        return engage(id, ACTION_PAUSE);
    }

    /// @dev Register a test hook: it names ADMIN as its `owner()` (a mocked call), and ADMIN,
    /// the admin it names, registers it (so it is in force at once). A target never consents
    /// for itself.
    function registerHook(address hook) internal returns (bytes32 pid) {
        ownedBy(hook, ADMIN);
        vm.prank(ADMIN);
        pid = oracle.register(params(hook));
    }

    /// @dev `target.owner()` returns `authority` from now on (a mocked call).
    function ownedBy(address target, address authority) internal {
        vm.mockCall(target, abi.encodeWithSignature("owner()"), abi.encode(authority));
    }

    function isActive(bytes32 pid) internal view returns (bool active) {
        (,,,, active) = oracle.containment(pid);
    }

    function hookOk(bytes32 pid) internal view returns (bool ok) {
        (,,, ok,) = oracle.containment(pid);
    }

    function expiresAtOf(bytes32 pid) internal view returns (uint64 expiresAt) {
        (,, expiresAt,,) = oracle.containment(pid);
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
