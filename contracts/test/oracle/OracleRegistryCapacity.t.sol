// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {OracleTestBase} from "./OracleTestBase.sol";
import {BondedOracleHarness} from "./OracleHarness.sol";
import {GuardedCounter} from "./GuardedCounter.sol";
import {RevertingHook} from "./Hooks.sol";
import {Guardable} from "../../src/Guardable.sol";
import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {RegistrationParams} from "../../src/OracleTypes.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";

/// @notice A Guardable protocol with a generic call forwarder (multicall, `execute`, callbacks).
contract ForwardingGuarded is Guardable {
    constructor(address oracle, address governance) Guardable(oracle, governance) {}

    function execute(address to, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = to.call(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
        return ret;
    }
}

/// @notice Issue 21, items 1 to 5: the registry cannot be filled, squatted or desynced by a
/// stranger. Every registration holds a refundable bond whose price rises with occupancy; the
/// admin accepts before anything is charged to it; no consent or lift notice goes through a
/// forwarder on the target.
contract OracleRegistryCapacityTest is OracleTestBase {
    uint256 internal constant BOND = 1 ether;
    address internal constant STRANGER = address(0xBAD);

    function setUp() public override {
        super.setUp();
        oracle = new BondedOracleHarness(GOV, g1Generator(), 3, 5, DELAY, BOND);
        vm.deal(ADMIN, 1_000_000 ether);
        vm.deal(STRANGER, 1_000_000 ether);
        protocol = new GuardedCounter(address(oracle), ADMIN);
        id = _register(ADMIN, params(address(protocol)));
    }

    /// @dev Entries holding a bond, read back from the price (base * cap / (cap - entries)).
    function _entries() internal view returns (uint256) {
        uint256 cap = oracle.MAX_PROTOCOLS();
        uint256 price = oracle.registrationBond();
        if (price == type(uint256).max) return cap;
        return cap - (BOND * cap) / price;
    }

    function _register(address from, RegistrationParams memory rp) internal returns (bytes32) {
        uint256 bond = oracle.registrationBond();
        vm.prank(from);
        return oracle.register{value: bond}(rp);
    }

    // ------------------------------------------------------------ item 1: capacity and bond

    function test_bondIsRequiredAndRisesWithOccupancy() public {
        GuardedCounter p = new GuardedCounter(address(oracle), ADMIN);
        uint256 price = oracle.registrationBond();
        uint256 cap = oracle.MAX_PROTOCOLS();
        assertEq(price, (BOND * cap) / (cap - 1), "one entry taken: the price rose");
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleBondTooLow.selector, price, price - 1));
        oracle.register{value: price - 1}(params(address(p)));
        bytes32 pid = _register(ADMIN, params(address(p)));
        (address registrant, uint256 held) = oracle.bondOf(pid);
        assertEq(registrant, ADMIN, "registrant");
        assertEq(held, price, "bond held");
        assertEq(_entries(), 2, "two entries");
        assertGt(oracle.registrationBond(), price, "the price keeps rising");
    }

    /// @dev A stranger filling the registry with self-consenting contracts pays every rising bond;
    /// the sum is about base * capacity * ln(capacity) (on f797509 it cost only gas).
    function test_fillingTheRegistryCostsRealCapital() public {
        uint256 cap = oracle.MAX_PROTOCOLS();
        uint256 paid;
        uint256 perAdmin = oracle.MAX_PROTOCOLS_PER_ADMIN();
        for (uint256 i = 1; i < cap; ++i) {
            address admin = address(uint160(0x10000 + i / perAdmin));
            vm.deal(admin, 1_000_000 ether);
            GuardedCounter p = new GuardedCounter(address(oracle), admin);
            RegistrationParams memory rp = params(address(p));
            rp.admin = admin;
            paid += oracle.registrationBond();
            _register(admin, rp);
        }
        assertEq(oracle.registrationBond(), type(uint256).max, "full: no price");
        // H(cap) - 1 > ln(cap) - 0.5 for the harmonic sum of cap/(cap-n), n = 1..cap-1
        assertGt(paid, BOND * cap * 5, "filling costs more than 5 x base x capacity");
        emit log_named_uint("wei to fill the registry, base bond 1 ether", paid + BOND);
    }

    function test_deregisterRefundsTheBond() public {
        (, uint256 held) = oracle.bondOf(id);
        vm.prank(ADMIN);
        oracle.deregister(id);
        assertEq(oracle.bondRefunds(ADMIN), held, "refund credited");
        assertEq(_entries(), 0, "entry freed");
        uint256 before = ADMIN.balance;
        vm.prank(ADMIN);
        oracle.withdrawBondRefund();
        assertEq(ADMIN.balance, before + held, "refund paid");
        assertEq(oracle.bondRefunds(ADMIN), 0, "nothing left");
    }

    function test_anEntryWhoseTargetLostItsCodeIsEvicted() public {
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotEvictable.selector, id));
        oracle.evict(id);
        (, uint256 held) = oracle.bondOf(id);
        vm.etch(address(protocol), ""); // gone (an EIP-7702 account can drop its code at will)
        vm.prank(STRANGER);
        oracle.evict(id);
        assertFalse(oracle.isRegistered(id), "evicted");
        assertEq(_entries(), 0, "entry freed");
        assertEq(oracle.bondRefunds(STRANGER), held, "the evictor receives the forfeited bond");
    }

    function test_anEntryWhoseHookStaysBrokenIsEvictedAfterTheRepairPeriod() public {
        RevertingHook hook = new RevertingHook();
        ownedBy(address(hook), ADMIN);
        bytes32 pid = _register(ADMIN, params(address(hook)));
        hook.setBroken(true);
        assertFalse(engage(pid, ACTION_PAUSE), "hook failed");
        assertEq(uint256(oracle.hookFailedAt(pid)), block.timestamp, "failure time");
        vm.warp(block.timestamp + oracle.HOOK_REPAIR_PERIOD() - 1);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotEvictable.selector, pid));
        oracle.evict(pid);
        // Repaired and proven again in time: not evictable, however long after.
        hook.setBroken(false);
        vm.prank(ADMIN);
        oracle.updateRegistration(pid, params(address(hook)));
        vm.warp(block.timestamp + 30 days);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotEvictable.selector, pid));
        oracle.evict(pid);
        // Broken again, and left so past the repair period: anyone evicts it.
        hook.setBroken(true);
        assertFalse(engage(pid, ACTION_PAUSE), "failed again");
        vm.warp(block.timestamp + oracle.HOOK_REPAIR_PERIOD());
        vm.prank(STRANGER);
        oracle.evict(pid);
        assertFalse(oracle.isRegistered(pid), "evicted");
        assertGt(oracle.bondRefunds(STRANGER), 0, "the evictor takes the bond");
    }

    // ------------------------------------------------------------ items 2 and 3: two-step admin

    /// @dev On f797509 a stranger's registrations naming the team's Safe used up its 16.
    function test_theAdminsQuotaIsChargedOnlyOnAcceptance() public {
        address safe = address(0x5AFE);
        uint256 perAdmin = oracle.MAX_PROTOCOLS_PER_ADMIN();
        for (uint256 i; i < perAdmin; ++i) {
            GuardedCounter junk = new GuardedCounter(address(oracle), STRANGER);
            RegistrationParams memory rp = params(address(junk));
            rp.admin = safe;
            bytes32 pid = _register(STRANGER, rp);
            assertFalse(oracle.isRegistered(pid), "a proposal is not in force");
        }
        GuardedCounter mine = new GuardedCounter(address(oracle), safe);
        RegistrationParams memory own = params(address(mine));
        own.admin = safe;
        vm.deal(safe, 10 ether);
        bytes32 minePid = _register(safe, own);
        assertTrue(oracle.isRegistered(minePid), "the Safe's own registration is in force");
    }

    function test_aProposalIsAcceptedRefusedOrCancelled() public {
        GuardedCounter p = new GuardedCounter(address(oracle), ADMIN);
        RegistrationParams memory rp = params(address(p));
        rp.admin = address(0xB0B);
        bytes32 pid = _register(ADMIN, rp);
        RegistrationParams memory pending = oracle.getRegistration(pid);
        (address registrant,) = oracle.bondOf(pid);
        assertEq(pending.admin, address(0xB0B), "named admin");
        assertEq(registrant, ADMIN, "registrant");
        assertEq(oracle.pendingProtocolAdmin(pid), address(0xB0B), "a proposal");
        assertFalse(oracle.isRegistered(pid), "not in force");
        // Nothing can be authorized before acceptance.
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotRegistered.selector, pid));
        this.engageExternal(pid);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleUnauthorized.selector, STRANGER));
        oracle.acceptRegistration(pid);
        vm.prank(address(0xB0B));
        oracle.cancelRegistration(pid); // the named admin refuses
        (, uint256 held) = oracle.bondOf(pid);
        assertEq(held, 0, "gone");
        assertGt(oracle.bondRefunds(ADMIN), 0, "bond back to the registrant");
        assertEq(_entries(), 1, "entry freed");
    }

    function engageExternal(bytes32 pid) external returns (bool) {
        return engage(pid, ACTION_PAUSE);
    }

    /// @dev On f797509 a typo in the admin froze the registration for ever.
    function test_aTypoInTheAdminIsCorrectedByProposingAgain() public {
        GuardedCounter p = new GuardedCounter(address(oracle), ADMIN);
        RegistrationParams memory rp = params(address(p));
        rp.admin = address(0xdEaD);
        bytes32 pid = _register(ADMIN, rp);
        rp.admin = address(0xB0B);
        _register(ADMIN, rp); // the target's governance proposes again; the old bond comes back
        vm.prank(address(0xB0B));
        oracle.acceptRegistration(pid);
        assertEq(oracle.getRegistration(pid).admin, address(0xB0B), "the corrected admin");
        assertEq(_entries(), 2, "one entry for the protocol");
    }

    function test_aProposalNeverAcceptedExpires() public {
        GuardedCounter p = new GuardedCounter(address(oracle), ADMIN);
        RegistrationParams memory rp = params(address(p));
        rp.admin = address(0xdEaD);
        bytes32 pid = _register(ADMIN, rp);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNotEvictable.selector, pid));
        oracle.evict(pid);
        vm.warp(block.timestamp + oracle.PENDING_REGISTRATION_TTL());
        vm.prank(STRANGER);
        oracle.evict(pid);
        assertEq(_entries(), 1, "freed");
        assertEq(oracle.bondRefunds(STRANGER), 0, "no reward for an expired proposal");
        assertGt(oracle.bondRefunds(ADMIN), 0, "the registrant's bond comes back");
    }

    // ------------------------------------------------------------ item 4: no forwarded consent

    /// @dev On f797509 "the target itself" consented, so anyone went through its forwarder.
    function test_aForwarderOnTheTargetCannotRegisterIt() public {
        ForwardingGuarded t = new ForwardingGuarded(address(oracle), ADMIN);
        RegistrationParams memory rp = params(address(t));
        rp.admin = STRANGER;
        rp.maxDuration = 30 days;
        uint256 bond = oracle.registrationBond();
        vm.deal(address(t), bond);
        vm.prank(STRANGER);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleNoConsent.selector, address(t), address(t)));
        t.execute(address(oracle), abi.encodeCall(IGuardianOracle.register, (rp)));
        // The team registers it through its governance.
        rp.admin = ADMIN;
        rp.maxDuration = MAX_DURATION;
        bytes32 pid = _register(ADMIN, rp);
        assertEq(oracle.getRegistration(pid).admin, ADMIN, "the team holds it");
    }

    // ------------------------------------------------------------ item 5: no forwarded lift

    /// @dev On f797509 a forwarder on the target ended the oracle's record of a containment in
    /// force (release block moved, cooldown started, no extension possible).
    function test_aForwardedLiftNoticeDoesNotEndTheRecord() public {
        ForwardingGuarded t = new ForwardingGuarded(address(oracle), ADMIN);
        bytes32 pid = _register(ADMIN, params(address(t)));
        assertTrue(engage(pid, ACTION_PAUSE), "paused");
        uint64 release = oracle.lastReleaseBlock(pid);
        vm.roll(block.number + 5);
        vm.prank(STRANGER);
        t.execute(address(oracle), abi.encodeCall(IGuardianOracle.containmentLiftedByTarget, (ACTION_PAUSE)));
        assertTrue(isActive(pid), "record still in force");
        assertTrue(t.isPaused(), "target still paused");
        assertEq(oracle.lastReleaseBlock(pid), release, "release block unchanged");
        uint64 later = expiresAtOf(pid) + 1 hours;
        vm.prank(ADMIN);
        oracle.extendContainment(pid, later); // the admin can still extend
        // The governance's real lift on the target still ends the record.
        vm.prank(ADMIN);
        t.liftContainment(ACTION_PAUSE);
        assertFalse(isActive(pid), "record ended by the real lift");
    }
}
