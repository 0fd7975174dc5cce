// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {RegistrationParams} from "../../src/OracleTypes.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";
import {OracleTestBase} from "../oracle/OracleTestBase.sol";
import {OZAccessControlVault, OZOwnablePausable} from "./OZTargets.sol";

/// @notice Registration consent and the hook proof against real OpenZeppelin 5 contracts (the npm
/// package OpenZeppelin Contracts 5.7.0, pinned in package.json).
contract OracleOpenZeppelinTest is OracleTestBase {
    address internal constant TEAM = address(0x7EA);
    address internal constant STRANGER = address(0xBAD);

    OZAccessControlVault internal vault;
    OZOwnablePausable internal ownable;

    function setUp() public override {
        super.setUp();
        vault = new OZAccessControlVault(TEAM);
        ownable = new OZOwnablePausable(TEAM);
    }

    function _selectorParams(address target, bytes4 selector) internal returns (RegistrationParams memory rp) {
        rp = params(target);
        rp.admin = TEAM;
        rp.allowedActions = 0x02; // pause
        rp.hookKind = 1;
        rp.pauseSelector = selector;
    }

    function test_teamRegistersAccessControlVault() public {
        vm.startPrank(TEAM);
        vault.grantRole(vault.PAUSER_ROLE(), address(oracle));
        bytes32 pid = oracle.register(_selectorParams(address(vault), vault.pause.selector));
        vm.stopPrank();
        assertTrue(oracle.isRegistered(pid), "registered");
        assertFalse(vault.paused(), "the hook proof left nothing paused");
        assertTrue(engage(pid, ACTION_PAUSE), "pause() through the selector hook");
        assertTrue(vault.paused(), "vault paused");
    }

    function test_teamRegistersOwnablePausable() public {
        vm.startPrank(TEAM);
        ownable.setPauser(address(oracle));
        bytes32 pid = oracle.register(_selectorParams(address(ownable), ownable.pause.selector));
        vm.stopPrank();
        assertFalse(ownable.paused(), "the hook proof left nothing paused");
        assertTrue(engage(pid, ACTION_PAUSE), "pause() through the selector hook");
        assertTrue(ownable.paused(), "paused");
    }

    function test_strangerCannotRegisterAnothersTarget() public {
        bytes32 pauserRole = vault.PAUSER_ROLE();
        vm.prank(TEAM);
        vault.grantRole(pauserRole, address(oracle));
        RegistrationParams memory rp = _selectorParams(address(vault), vault.pause.selector);
        rp.admin = STRANGER;
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoConsent.selector, address(vault), STRANGER));
        oracle.register(rp);

        // A holder of a lesser role is no authority over the vault either.
        vm.prank(TEAM);
        vault.grantRole(pauserRole, STRANGER);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoConsent.selector, address(vault), STRANGER));
        oracle.register(rp);

        rp = _selectorParams(address(ownable), ownable.pause.selector);
        rp.admin = STRANGER;
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoConsent.selector, address(ownable), STRANGER));
        oracle.register(rp);
    }

    function test_missingPauserRoleIsRefused() public {
        bytes4 sel = vault.pause.selector;
        vm.prank(TEAM);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianOracle.GuardianOracleHookProbeFailed.selector, address(vault), abi.encodePacked(sel)
            )
        );
        oracle.register(_selectorParams(address(vault), sel));
    }

    function test_wrongSelectorIsRefused() public {
        bytes32 pauserRole = vault.PAUSER_ROLE();
        vm.prank(TEAM);
        vault.grantRole(pauserRole, address(oracle));
        bytes4 wrong = bytes4(keccak256("pauseAll()"));
        vm.prank(TEAM);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleHookProbeFailed.selector, address(vault), abi.encodePacked(wrong))
        );
        oracle.register(_selectorParams(address(vault), wrong));
        // unpause() exists but the oracle may not call it: refused too.
        bytes4 unpause = vault.unpause.selector;
        vm.prank(TEAM);
        vm.expectRevert(
            abi.encodeWithSelector(IGuardianOracle.GuardianOracleHookProbeFailed.selector, address(vault), abi.encodePacked(unpause))
        );
        oracle.register(_selectorParams(address(vault), unpause));
    }

    function test_updateProvesTheHookAgain() public {
        vm.startPrank(TEAM);
        vault.grantRole(vault.PAUSER_ROLE(), address(oracle));
        bytes32 pid = oracle.register(_selectorParams(address(vault), vault.pause.selector));
        vault.revokeRole(vault.PAUSER_ROLE(), address(oracle));
        RegistrationParams memory rp = _selectorParams(address(vault), vault.pause.selector);
        vm.expectRevert(
            abi.encodeWithSelector(
                IGuardianOracle.GuardianOracleHookProbeFailed.selector, address(vault), abi.encodePacked(vault.pause.selector)
            )
        );
        oracle.updateRegistration(pid, rp);
        vm.stopPrank();
    }
}
