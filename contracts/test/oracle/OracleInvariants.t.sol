// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "../utils/Vm.sol";
import {OracleTestBase} from "./OracleTestBase.sol";
import {OracleHarness, fakeSignature} from "./OracleHarness.sol";

/// @notice Drives the oracle for Foundry's invariant fuzzer: authorizations with valid and
/// forged signatures, lifts and extensions by the protocol's admin and by strangers, and time.
/// Ghost variables record what must never happen; `OracleInvariantTest` asserts on them after
/// every call sequence. The oracle is the harness (a "signature" is the digest and 224 zero
/// bytes), so valid authorizations exist for any nonce, action and deadline; the real BLS check
/// is the subject of `OracleBlsInvariantTest`.
contract OracleHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    OracleHarness public immutable oracle;
    bytes32 public immutable id;
    address public immutable admin;
    address public immutable target;

    uint256 public validAccepted; // authorizations with the right signature that engaged
    uint256 public forgedAccepted; // authorizations with any other signature that went through
    uint256 public strangerChanges; // lifts, extensions or target-lifts by strangers that did something
    bool public nonceDecreased;
    bool public extendedSinceEngaged; // whether the containment on record was extended
    uint256 public calls;
    uint64 private _lastNonce;

    constructor(OracleHarness oracle_, bytes32 id_, address admin_, address target_) {
        oracle = oracle_;
        id = id_;
        admin = admin_;
        target = target_;
    }

    // ---------------------------------------------------------------- actions

    /// @dev The arguments of an authorization the policy allows now.
    struct Auth {
        uint8 action;
        uint64 nonce;
        uint64 deadline;
        uint64 from;
        bytes32 evidence;
    }

    function authorizeValid(uint8 actionSeed, uint32 ttl, bytes32 evidence) external {
        Auth memory a = _now(actionSeed, ttl % 1 hours, evidence);
        try oracle.authorize(target, a.action, a.nonce, a.deadline, a.from, a.evidence, _sign(a)) returns (bool hookOk) {
            validAccepted++;
            if (hookOk) extendedSinceEngaged = false;
        } catch {}
        _observe();
    }

    /// @dev Everything but the right signature: another digest's, a damaged one, or any bytes.
    function authorizeForged(uint8 actionSeed, uint8 mode, uint16 pos, bytes32 evidence, bytes calldata junk) external {
        Auth memory a = _now(actionSeed, 10 minutes, evidence);
        bytes memory sig;
        if (mode % 4 == 0) {
            sig = junk; // any length, any bytes
        } else if (mode % 4 == 1) {
            a.nonce += 1; // signed for the next nonce
            sig = _sign(a);
            a.nonce -= 1;
        } else if (mode % 4 == 2) {
            a.evidence = keccak256(abi.encode(evidence)); // signed for other evidence
            sig = _sign(a);
            a.evidence = evidence;
        } else {
            sig = _sign(a);
            sig[pos % sig.length] ^= bytes1(uint8(1 + mode / 4)); // one damaged byte
        }
        try oracle.authorize(target, a.action, a.nonce, a.deadline, a.from, a.evidence, sig) {
            forgedAccepted++;
        } catch {}
        _observe();
    }

    function lift(uint8 who) external {
        address caller = _caller(who);
        vm.prank(caller);
        try oracle.liftContainment(id) {
            if (caller != admin) strangerChanges++;
        } catch {}
        _observe();
    }

    function extend(uint8 who, uint32 by) external {
        address caller = _caller(who);
        (,, uint64 expiresAt,,) = oracle.containment(id);
        vm.prank(caller);
        try oracle.extendContainment(id, expiresAt + 1 + by % 40 days) {
            if (caller != admin) strangerChanges++;
            extendedSinceEngaged = true;
        } catch {}
        _observe();
    }

    /// @dev `containmentLiftedByTarget` from anything but the target must change nothing.
    function liftedByStranger(uint8 who, uint8 action) external {
        address caller = _caller(who);
        if (caller == target) caller = address(0xBAD);
        bytes32 before = _record();
        vm.prank(caller);
        oracle.containmentLiftedByTarget(action);
        if (_record() != before) strangerChanges++;
        _observe();
    }

    function warp(uint32 seconds_) external {
        vm.warp(block.timestamp + seconds_ % 2 days);
        vm.roll(block.number + 1 + seconds_ % 7);
        _observe();
    }

    // ---------------------------------------------------------------- helpers

    function _now(uint8 actionSeed, uint64 ttl, bytes32 evidence) private view returns (Auth memory a) {
        a.action = uint8(1 + actionSeed % 3);
        a.nonce = oracle.nonces(id);
        a.deadline = uint64(block.timestamp) + ttl;
        a.from = oracle.lastReleaseBlock(id) + 1;
        a.evidence = evidence;
    }

    function _sign(Auth memory a) private view returns (bytes memory) {
        return fakeSignature(oracle.digestAt(oracle.keyEpoch(), id, a.action, a.nonce, a.deadline, a.from, a.evidence));
    }

    function _caller(uint8 who) private view returns (address) {
        if (who % 3 == 0) return admin;
        address[4] memory strangers = [address(0x60), address(0x5B), target, address(uint160(0xBEEF00 + who))];
        return strangers[who % 4];
    }

    function _record() private view returns (bytes32) {
        (uint8 action, uint64 engagedAt, uint64 expiresAt, bool hookOk, bool active) = oracle.containment(id);
        return keccak256(abi.encode(action, engagedAt, expiresAt, hookOk, active, oracle.lastReleaseBlock(id)));
    }

    function _observe() private {
        calls++;
        uint64 nonce = oracle.nonces(id);
        if (nonce < _lastNonce) nonceDecreased = true;
        _lastNonce = nonce;
    }
}

/// @notice Invariants of the oracle's containment rules under any sequence of handler calls.
/// Default runs and depth (foundry.toml [invariant]) keep `forge test` short; the deep profile
/// (`FOUNDRY_PROFILE=deep forge test --mc Invariant`) runs many more sequences.
contract OracleInvariantTest is OracleTestBase {
    OracleHandler internal handler;

    function setUp() public override {
        super.setUp();
        handler = new OracleHandler(OracleHarness(address(oracle)), id, ADMIN, address(protocol));
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler is not vacuous: each path does what the invariants count on.
    function test_handlerReachesEveryPath() public {
        handler.authorizeValid(0, 600, EVIDENCE);
        assertEq(handler.validAccepted(), 1, "valid authorization engaged");
        assertTrue(isActive(id), "contained");
        handler.authorizeForged(1, 1, 0, EVIDENCE, "");
        handler.authorizeForged(1, 3, 7, EVIDENCE, "");
        assertEq(handler.forgedAccepted(), 0, "forged refused");
        handler.extend(1, 100); // a stranger
        assertFalse(handler.extendedSinceEngaged(), "stranger's extension refused");
        handler.extend(0, 100); // the admin
        assertTrue(handler.extendedSinceEngaged(), "admin extended");
        handler.lift(1);
        handler.liftedByStranger(1, 1);
        assertTrue(isActive(id), "strangers lift nothing");
        handler.lift(0);
        assertFalse(isActive(id), "admin lifted");
        assertEq(handler.strangerChanges(), 0, "no stranger changed anything");
        assertEq(oracle.nonces(id), 1, "one nonce used");
    }

    function invariant_nonceOnlyIncreases() public view {
        assertFalse(handler.nonceDecreased(), "a nonce went back");
        assertEq(oracle.nonces(id), handler.validAccepted(), "each valid authorization uses one nonce, nothing else does");
    }

    function invariant_noContainmentWithoutValidSignature() public view {
        assertEq(handler.forgedAccepted(), 0, "an authorization without the right signature went through");
        (, uint64 engagedAt,,, bool active) = oracle.containment(id);
        if (active || engagedAt != 0) assertGt(handler.validAccepted(), 0, "contained without any valid signature");
    }

    function invariant_containmentWithinRegisteredMaximum() public view {
        (, uint64 engagedAt, uint64 expiresAt,,) = oracle.containment(id);
        if (engagedAt == 0) return;
        uint256 cap = handler.extendedSinceEngaged() ? oracle.MAX_CONTAINMENT_DURATION() : MAX_DURATION;
        assertLe(expiresAt, engagedAt + cap, "a containment outlasts its registered maximum");
        assertLe(expiresAt, engagedAt + oracle.MAX_CONTAINMENT_DURATION(), "beyond the extension cap");
    }

    function invariant_onlyGovernanceLiftsOrExtends() public view {
        assertEq(handler.strangerChanges(), 0, "a stranger lifted or extended a containment");
    }
}
