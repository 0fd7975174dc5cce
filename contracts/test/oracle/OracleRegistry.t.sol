// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {InvariantCall, RegistrationParams} from "../../src/OracleTypes.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";
import {OracleTestBase} from "./OracleTestBase.sol";
import {OracleHarness} from "./OracleHarness.sol";
import {GuardedCounter} from "./GuardedCounter.sol";

/// @notice Construction and the protocol registry: who may register, update and deregister, and
/// what a registration may contain.
contract OracleRegistryTest is OracleTestBase {
    function _fresh() internal returns (GuardedCounter) {
        return new GuardedCounter(address(oracle), ADMIN);
    }

    // ------------------------------------------------------------ construction

    function test_constructorState() public view {
        assertEq(uint256(oracle.keyEpoch()), 1, "epoch starts at 1");
        assertEq(oracle.groupPublicKey(), g1Generator(), "group key");
        assertEq(uint256(oracle.threshold()), 3, "t");
        assertEq(uint256(oracle.guardianCount()), 5, "n");
        assertEq(oracle.governance(), GOV, "governance");
        assertEq(uint256(oracle.rotationDelay()), DELAY, "delay");
        assertEq(oracle.DOMAIN_TAG(), keccak256(bytes(vm.parseJsonString(spec, ".digest.domain_tag_preimage"))), "tag");
        assertEq(oracle.DST(), bytes(vm.parseJsonString(spec, ".digest.dst")), "dst");
    }

    function test_constructorEmitsInitialKey() public {
        vm.expectEmit(false, false, false, true);
        emit IGuardianOracle.KeyRotated(1, g1Generator(), 2, 3);
        new OracleHarness(GOV, g1Generator(), 2, 3, DELAY);
    }

    function test_constructorRejectsBadArguments() public {
        bytes memory g = g1Generator();
        vm.expectRevert(IGuardianOracle.GuardianOracleZeroAddress.selector);
        new OracleHarness(address(0), g, 3, 5, DELAY);
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidRotationDelay.selector);
        new OracleHarness(GOV, g, 3, 5, 0);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidThreshold.selector, uint16(0), uint16(5)));
        new OracleHarness(GOV, g, 0, 5, DELAY);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidThreshold.selector, uint16(6), uint16(5)));
        new OracleHarness(GOV, g, 6, 5, DELAY);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidThreshold.selector, uint16(3), uint16(1025)));
        new OracleHarness(GOV, g, 3, 1025, DELAY);
    }

    function test_constructorRejectsBadKeys() public {
        bytes memory g = g1Generator();
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidPublicKey.selector);
        new OracleHarness(GOV, new bytes(127), 3, 5, DELAY);
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidPublicKey.selector);
        new OracleHarness(GOV, new bytes(128), 3, 5, DELAY); // the point at infinity
        bytes memory offCurve = bytes.concat(g);
        offCurve[127] = bytes1(uint8(offCurve[127]) ^ 1);
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidPublicKey.selector);
        new OracleHarness(GOV, offCurve, 3, 5, DELAY);
        bytes memory nonCanonical = bytes.concat(g);
        nonCanonical[0] = 0x01; // top 16 bytes of a coordinate must be zero
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidPublicKey.selector);
        new OracleHarness(GOV, nonCanonical, 3, 5, DELAY);
    }

    // ------------------------------------------------------------ register

    function test_registerStoresEverything() public {
        assertTrue(oracle.isRegistered(id), "registered");
        assertEq(id, keccak256(abi.encode(address(protocol))), "protocol id = keccak(abi.encode(target))");
        assertEq(oracle.protocolIdOf(address(protocol)), id, "protocolIdOf");
        RegistrationParams memory got = oracle.getRegistration(id);
        assertEq(keccak256(abi.encode(got)), keccak256(abi.encode(params(address(protocol)))), "round trip");
        bytes32[] memory ids = oracle.protocolIds(0, 100);
        assertEq(ids.length, 1, "one id");
        assertEq(ids[0], id, "the id");
        assertEq(uint256(oracle.nonces(id)), 0, "nonce starts at 0");
        (uint8 action, uint64 engagedAt, uint64 expiresAt, bool ok, bool active) = oracle.containment(id);
        assertEq(uint256(action) + engagedAt + expiresAt, 0, "no containment yet");
        assertFalse(ok || active, "no containment flags");
    }

    /// @dev Issue 21 item 4: the target itself never consents (a forwarder on it would let
    /// anyone speak as it); its governance proposes, the admin it names accepts.
    function test_targetItselfCannotRegister() public {
        GuardedCounter p = _fresh();
        RegistrationParams memory rp = params(address(p));
        rp.admin = address(0xBEEF);
        vm.prank(address(p));
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoConsent.selector, address(p), address(p)));
        oracle.register(rp);
        vm.prank(ADMIN); // its guardianGovernance()
        bytes32 pid = oracle.register(rp);
        assertFalse(oracle.isRegistered(pid), "pending until 0xBEEF accepts");
        vm.prank(address(0xBEEF));
        oracle.acceptRegistration(pid);
        assertEq(oracle.getRegistration(pid).admin, address(0xBEEF), "admin");
    }

    function testFuzz_registerRejectsStrangers(address caller) public {
        GuardedCounter p = _fresh();
        vm.assume(caller != ADMIN && caller != address(p));
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoConsent.selector, address(p), caller));
        oracle.register(params(address(p)));
    }

    function test_registerTwiceReverts() public {
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleAlreadyRegistered.selector, id));
        oracle.register(params(address(protocol)));
    }

    function _expectInvalid(RegistrationParams memory rp, bytes memory err) internal {
        vm.prank(ADMIN);
        vm.expectRevert(err);
        oracle.register(rp);
    }

    function test_registerValidatesPolicy() public {
        GuardedCounter p = _fresh();
        RegistrationParams memory rp = params(address(p));

        rp.target = address(0);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleZeroAddress.selector));
        rp.target = address(0x1234);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleTargetHasNoCode.selector, address(0x1234)));
        rp = params(address(p));
        rp.admin = address(0);
        vm.prank(ADMIN);
        vm.expectRevert(IGuardianOracle.GuardianOracleZeroAddress.selector);
        oracle.register(rp);

        uint8[4] memory badActions = [uint8(0), 0x01, 0x10, 0xff];
        for (uint256 i; i < 4; ++i) {
            rp = params(address(p));
            rp.allowedActions = badActions[i];
            _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidAllowedActions.selector, badActions[i]));
        }
        rp = params(address(p));
        rp.hookKind = 2;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidHookKind.selector, uint8(2)));
        rp.hookKind = 1;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidPauseSelector.selector, bytes4(0)));
        rp.hookKind = 0;
        rp.pauseSelector = bytes4(0x8456cb59);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidPauseSelector.selector, bytes4(0x8456cb59)));

        rp = params(address(p));
        rp.maxDuration = 0;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidMaxDuration.selector, uint64(0)));
        rp.maxDuration = 30 days + 1;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidMaxDuration.selector, uint64(30 days + 1)));
        rp.maxDuration = 30 days;
        rp.cooldown = 30 days + 1;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidCooldown.selector, uint64(30 days + 1)));
        rp.cooldown = 30 days;
        vm.prank(ADMIN);
        oracle.register(rp); // both bounds inclusive
    }

    function test_registerValidatesDetection() public {
        GuardedCounter p = _fresh();
        RegistrationParams memory rp = params(address(p));

        rp.detection.monitored = new address[](17);
        for (uint256 i; i < 17; ++i) rp.detection.monitored[i] = address(uint160(i + 1));
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleTooManyDetectionEntries.selector, uint256(17)));
        rp = params(address(p));
        rp.detection.tokens = new address[](17);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleTooManyDetectionEntries.selector, uint256(17)));
        rp = params(address(p));
        rp.detection.tokens[0] = address(0);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidDetectionAddress.selector));
        rp = params(address(p));
        rp.detection.invariants = new InvariantCall[](17);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleTooManyDetectionEntries.selector, uint256(17)));
        rp = params(address(p));
        rp.detection.invariants[0].target = address(0);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidDetectionAddress.selector));
        rp = params(address(p));
        rp.detection.invariants[0].data = new bytes(257);
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvariantCalldataTooLong.selector, uint256(257)));
        rp = params(address(p));
        rp.detection.outflowLimitBps = 10_001;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidBps.selector, uint16(10_001)));
        rp = params(address(p));
        rp.detection.balanceDropBps = 10_001;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidBps.selector, uint16(10_001)));
        rp = params(address(p));
        rp.detection.windowBlocks = 0;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidWindowBlocks.selector, uint32(0)));
        rp.detection.windowBlocks = 50_401;
        _expectInvalid(rp, abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidWindowBlocks.selector, uint32(50_401)));

        // The largest valid registration is accepted and stored intact.
        rp = params(address(p));
        rp.detection.monitored = new address[](16);
        rp.detection.tokens = new address[](16);
        rp.detection.invariants = new InvariantCall[](16);
        for (uint256 i; i < 16; ++i) {
            rp.detection.monitored[i] = address(uint160(0x1000 + i));
            rp.detection.tokens[i] = address(uint160(0x2000 + i));
            rp.detection.invariants[i] = InvariantCall(address(uint160(0x3000 + i)), new bytes(256));
        }
        rp.detection.outflowLimitBps = 10_000;
        rp.detection.windowBlocks = 50_400;
        vm.prank(ADMIN);
        bytes32 pid = oracle.register(rp);
        assertEq(keccak256(abi.encode(oracle.getRegistration(pid))), keccak256(abi.encode(rp)), "largest round trip");
    }

    function test_outflowRuleOffAllowsZeroWindow() public {
        GuardedCounter p = _fresh();
        RegistrationParams memory rp = params(address(p));
        rp.detection.outflowLimitBps = 0;
        rp.detection.windowBlocks = 0;
        vm.prank(ADMIN);
        oracle.register(rp);
        assertTrue(oracle.isRegistered(oracle.protocolIdOf(address(p))), "registered");
    }

    function test_getRegistrationOfUnknownReverts() public {
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotRegistered.selector, bytes32(uint256(7))));
        oracle.getRegistration(bytes32(uint256(7)));
    }

    // ------------------------------------------------------------ update

    function test_updateByAdmin() public {
        RegistrationParams memory rp = params(address(protocol));
        rp.allowedActions = 0x02;
        rp.detection.invariants = new InvariantCall[](2);
        rp.detection.invariants[0] = InvariantCall(address(1), hex"01");
        rp.detection.invariants[1] = InvariantCall(address(2), new bytes(200));
        vm.expectEmit(true, true, false, true, address(oracle));
        emit IGuardianOracle.ProtocolUpdated(id, address(protocol), ADMIN);
        vm.prank(ADMIN);
        oracle.updateRegistration(id, rp);
        assertEq(keccak256(abi.encode(oracle.getRegistration(id))), keccak256(abi.encode(rp)), "updated");

        // Shrinking the invariants leaves no stale entry behind.
        rp.detection.invariants = new InvariantCall[](1);
        rp.detection.invariants[0] = InvariantCall(address(3), hex"");
        vm.prank(ADMIN);
        oracle.updateRegistration(id, rp);
        assertEq(keccak256(abi.encode(oracle.getRegistration(id))), keccak256(abi.encode(rp)), "shrunk");

        rp.admin = address(0xB0B); // the admin changes only in two steps
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleAdminMismatch.selector, ADMIN, address(0xB0B)));
        oracle.updateRegistration(id, rp);
    }

    /// @dev Defect 14: a target that forwards calls (multicall, execute, callbacks) must not let
    /// anyone update the registration: the target itself is not the admin.
    function test_targetCannotUpdate() public {
        RegistrationParams memory rp = params(address(protocol));
        rp.admin = address(0xBAD);
        vm.prank(address(protocol));
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, address(protocol)));
        oracle.updateRegistration(id, rp);
    }

    function test_twoStepAdminTransfer() public {
        address next = address(0xB0B);
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IGuardianOracle.ProtocolAdminTransferStarted(id, ADMIN, next);
        vm.prank(ADMIN);
        oracle.transferProtocolAdmin(id, next);
        assertEq(oracle.pendingProtocolAdmin(id), next, "pending");
        assertEq(oracle.getRegistration(id).admin, ADMIN, "unchanged until accepted");
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, address(0xBAD)));
        oracle.acceptProtocolAdmin(id);
        vm.expectEmit(true, true, true, true, address(oracle));
        emit IGuardianOracle.ProtocolAdminTransferred(id, ADMIN, next);
        vm.prank(next);
        oracle.acceptProtocolAdmin(id);
        assertEq(oracle.getRegistration(id).admin, next, "accepted");
        assertEq(oracle.pendingProtocolAdmin(id), address(0), "no longer pending");
        vm.prank(ADMIN); // the old admin lost its rights
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, ADMIN));
        oracle.updateRegistration(id, params(address(protocol)));
    }

    function testFuzz_updateRejectsStrangers(address caller) public {
        vm.assume(caller != ADMIN);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, caller));
        oracle.updateRegistration(id, params(address(protocol)));
    }

    function test_updateCannotChangeTarget() public {
        GuardedCounter p = _fresh();
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleTargetMismatch.selector, address(protocol), address(p)));
        oracle.updateRegistration(id, params(address(p)));
    }

    function test_updateValidates() public {
        RegistrationParams memory rp = params(address(protocol));
        rp.maxDuration = 0;
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidMaxDuration.selector, uint64(0)));
        oracle.updateRegistration(id, rp);
    }

    function test_updateUnknownReverts() public {
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotRegistered.selector, bytes32(0)));
        oracle.updateRegistration(bytes32(0), params(address(protocol)));
    }

    // ------------------------------------------------------------ deregister

    function test_deregisterKeepsListConsistent() public {
        GuardedCounter p2 = _fresh();
        GuardedCounter p3 = _fresh();
        bytes32 id2 = registerHook(address(p2));
        bytes32 id3 = registerHook(address(p3));

        vm.expectEmit(true, true, false, true, address(oracle));
        emit IGuardianOracle.ProtocolDeregistered(id, address(protocol), ADMIN);
        vm.prank(ADMIN);
        oracle.deregister(id);
        assertFalse(oracle.isRegistered(id), "gone");
        bytes32[] memory ids = oracle.protocolIds(0, 100);
        assertEq(ids.length, 2, "two left");
        assertEq(ids[0], id3, "last moved into the hole");
        assertEq(ids[1], id2, "second stays");

        vm.prank(address(p3)); // the target itself is not the admin
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, address(p3)));
        oracle.deregister(id3);
        vm.prank(ADMIN);
        oracle.deregister(id3);
        ids = oracle.protocolIds(0, 100);
        assertEq(ids.length, 1, "one left");
        assertEq(ids[0], id2, "the remaining one");

        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotRegistered.selector, id));
        oracle.deregister(id);
    }

    function testFuzz_deregisterRejectsStrangers(address caller) public {
        vm.assume(caller != ADMIN);
        vm.prank(caller);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, caller));
        oracle.deregister(id);
        assertTrue(oracle.isRegistered(id), "still registered");
    }

    function test_reregisterKeepsNonceSoOldSignaturesCannotReplay() public {
        uint64 deadline = uint64(block.timestamp + 1 days);
        bytes memory sig0 = sigFor(id, ACTION_PAUSE, 0, deadline, EVIDENCE);
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig0);
        vm.warp(block.timestamp + MAX_DURATION + COOLDOWN);

        vm.startPrank(ADMIN);
        oracle.deregister(id);
        oracle.register(params(address(protocol)));
        vm.stopPrank();
        assertEq(uint256(oracle.nonces(id)), 1, "nonce survives re-registration");
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidNonce.selector, uint64(1), uint64(0)));
        oracle.authorize(targetOf(id), ACTION_PAUSE, 0, deadline, FROM, EVIDENCE, sig0);
    }

    /// @dev Defect 1: a stranger cannot register another's target, even naming itself admin.
    function test_strangerCannotSquat() public {
        GuardedCounter p = _fresh();
        RegistrationParams memory rp = params(address(p));
        rp.admin = address(0xBAD);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoConsent.selector, address(p), address(0xBAD)));
        oracle.register(rp);
        rp.admin = ADMIN;
        vm.prank(ADMIN); // the target's guardianGovernance()
        oracle.register(rp);
        assertEq(oracle.getRegistration(oracle.protocolIdOf(address(p))).admin, ADMIN, "rightful admin");
    }
}
