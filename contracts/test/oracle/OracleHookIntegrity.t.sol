// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {OracleTestBase} from "./OracleTestBase.sol";
import {BondedOracleHarness, fakeSignature} from "./OracleHarness.sol";
import {GuardedCounter} from "./GuardedCounter.sol";
import {RevertingHook, GasProbeHook} from "./Hooks.sol";
import {OZAccessControlVault} from "../oz/OZTargets.sol";
import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {IGuardable, ACTION_PAUSE, ACTION_CIRCUIT_BREAKER} from "../../src/IGuardable.sol";
import {RegistrationParams} from "../../src/OracleTypes.sol";

/// @notice Passes a proof whose evidence hash is zero and fails every real containment.
contract ProofSpottingHook is IGuardable {
    function engageContainment(uint8, uint64, bytes32 evidenceHash) external pure {
        require(evidenceHash == bytes32(0), "a real call");
    }

    function liftContainment(uint8) external {}
}

/// @notice Issue 21, items 6 to 9: a hook cannot be made to fail cheaply nor be mistaken for a
/// success, and a team's own pause or lift never leaves the oracle's record wrong.
contract OracleHookIntegrityTest is OracleTestBase {
    uint256 internal constant BOND = 1 ether;

    function setUp() public override {
        super.setUp();
        oracle = new BondedOracleHarness(GOV, g1Generator(), 3, 5, DELAY, BOND);
        vm.deal(ADMIN, 1_000 ether);
        protocol = new GuardedCounter(address(oracle), ADMIN);
        id = _register(params(address(protocol)));
    }

    function _register(RegistrationParams memory rp) internal returns (bytes32) {
        uint256 bond = oracle.registrationBond();
        vm.prank(ADMIN);
        return oracle.register{value: bond}(rp);
    }

    /// @dev Authorize `action` on `pid` with evidence starting at `from`.
    function engageFrom(bytes32 pid, uint8 action, uint64 from) internal returns (bool) {
        uint64 nonce = oracle.nonces(pid);
        uint64 deadline = uint64(block.timestamp + 5 minutes);
        bytes memory sig = fakeSignature(digestFor(oracle.keyEpoch(), pid, action, nonce, deadline, from, EVIDENCE));
        return oracle.authorize(targetOf(pid), action, nonce, deadline, from, EVIDENCE, sig);
    }

    // ------------------------------------------------------------ item 6

    /// @dev On f797509 the proof's evidence hash was zero, so this hook passed it.
    function test_theProofLooksLikeARealCall() public {
        ProofSpottingHook hook = new ProofSpottingHook();
        ownedBy(address(hook), ADMIN);
        uint256 bond = oracle.registrationBond();
        vm.prank(ADMIN);
        vm.expectRevert(); // GuardianOracleHookProbeFailed (its data holds the random evidence)
        oracle.register{value: bond}(params(address(hook)));
    }

    /// @dev On f797509 a re-armed failing hook cost the registrant one ~90k-gas update per three
    /// failed authorizations of ~200k gas each; now each failure pays the submitter from the bond.
    function test_aFailedHookPaysTheSubmitterFromTheBond() public {
        RevertingHook hook = new RevertingHook();
        ownedBy(address(hook), ADMIN);
        RegistrationParams memory rp = params(address(hook));
        bytes32 pid = _register(rp);
        (, uint256 bond) = oracle.bondOf(pid);
        uint256 gasPrice = 20 gwei;
        vm.txGasPrice(gasPrice);
        hook.setBroken(true);
        assertFalse(engage(pid, ACTION_PAUSE), "failed");
        uint256 charge = oracle.FAILED_HOOK_CHARGE_GAS() * gasPrice;
        assertEq(oracle.bondRefunds(SUBMITTER), charge, "the submitter is paid");
        (, uint256 left) = oracle.bondOf(pid);
        assertEq(left, bond - charge, "from the bond");
        // Re-arming is allowed (a real repair), and every further failure is paid again.
        hook.setBroken(false);
        vm.prank(ADMIN);
        oracle.updateRegistration(pid, rp);
        hook.setBroken(true);
        assertFalse(engage(pid, ACTION_PAUSE), "failed again");
        assertEq(oracle.bondRefunds(SUBMITTER), 2 * charge, "paid twice");
        uint256 before = SUBMITTER.balance;
        vm.prank(SUBMITTER);
        oracle.withdrawBondRefund();
        assertEq(SUBMITTER.balance, before + 2 * charge, "withdrawn");
    }

    // ------------------------------------------------------------ item 7

    /// @dev On f797509 `pause()` on a vault its team had paused reverted EnforcedPause, the
    /// oracle recorded a broken hook and refused the next PAUSE (HookFailedBefore).
    function test_aTargetItsTeamPausedFirstIsContainedNotBroken() public {
        OZAccessControlVault vault = new OZAccessControlVault(ADMIN);
        vm.startPrank(ADMIN);
        vault.grantRole(vault.PAUSER_ROLE(), address(oracle));
        vault.grantRole(vault.PAUSER_ROLE(), ADMIN);
        vm.stopPrank();
        RegistrationParams memory rp = params(address(vault));
        rp.hookKind = 1;
        rp.pauseSelector = vault.pause.selector;
        rp.allowedActions = 0x02;
        bytes32 pid = _register(rp);
        vm.prank(ADMIN);
        vault.pause(); // the team is first
        assertTrue(engage(pid, ACTION_PAUSE), "contained: the vault is paused");
        assertEq(uint256(oracle.failedHookAction(pid)), 0, "not a broken hook");
        assertTrue(hookOk(pid) && isActive(pid), "recorded as a containment");
        vm.prank(ADMIN);
        vault.unpause();
        vm.warp(expiresAtOf(pid) + COOLDOWN);
        vm.roll(block.number + 10);
        assertTrue(engageFrom(pid, ACTION_PAUSE, uint64(block.number - 1)), "the next exploit is contained");
        assertTrue(vault.paused(), "paused by the oracle");
    }

    // ------------------------------------------------------------ item 8

    /// @dev On f797509 an EIP-7702 account delegated to an address without code passed the proof
    /// and every containment reported success while nothing ran.
    function test_aDelegationToACodelessAddressIsRefused() public {
        address eoa = address(0x7702);
        vm.etch(eoa, abi.encodePacked(hex"ef0100", address(0xC0DE))); // 0xC0DE has no code
        ownedBy(eoa, ADMIN);
        uint256 bond = oracle.registrationBond();
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleTargetHasNoCode.selector, eoa));
        oracle.register{value: bond}(params(eoa));
        // Delegated to a real hook it registers; re-delegated to nothing, anyone evicts it.
        vm.etch(eoa, abi.encodePacked(hex"ef0100", address(new GasProbeHook())));
        bytes32 pid = _register(params(eoa));
        vm.etch(eoa, abi.encodePacked(hex"ef0100", address(0xC0DE)));
        vm.prank(address(0xE71C7));
        oracle.evict(pid);
        assertFalse(oracle.isRegistered(pid), "evicted");
    }

    // ------------------------------------------------------------ item 9

    /// @dev On f797509 the governance's direct lift of a PAUSE that had replaced a circuit breaker
    /// ended the oracle's whole record while the breaker stayed on the target.
    function test_aDirectLiftOfAReplacingPauseKeepsTheBreakerOnRecord() public {
        assertTrue(engage(id, ACTION_CIRCUIT_BREAKER), "breaker");
        assertTrue(engage(id, ACTION_PAUSE), "escalated to a pause");
        vm.prank(ADMIN);
        protocol.liftContainment(ACTION_PAUSE); // the governance, on the target
        assertTrue(protocol.isCircuitBroken(), "the breaker is still on the target");
        (uint8 action,,,, bool active) = oracle.containment(id);
        assertTrue(active, "the oracle still records a containment");
        assertEq(uint256(action), ACTION_CIRCUIT_BREAKER, "the breaker");
        // The admin's lift through the oracle now ends the breaker on the target too.
        vm.prank(ADMIN);
        oracle.liftContainment(id);
        assertFalse(protocol.isCircuitBroken(), "breaker lifted");
        assertFalse(isActive(id), "record ended");
    }
}
