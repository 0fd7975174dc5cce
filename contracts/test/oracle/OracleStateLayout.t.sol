// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "../utils/Test.sol";
import {GuardianOracleRegistry} from "../../src/oracle/GuardianOracleRegistry.sol";
import {ProtocolStateWord} from "../../src/oracle/ProtocolStateWord.sol";
import {IGuardable} from "../../src/IGuardable.sol";
import {StateLayoutHarness} from "./OracleHarness.sol";
import {OracleTestBase} from "./OracleTestBase.sol";

/// @notice ProtocolStateWord's offsets are the compiler's packing of ProtocolState: a struct
/// written by Solidity reads back field by field through the word, and the words {authorize}
/// writes read back through Solidity as intended.
contract OracleStateLayoutTest is OracleTestBase {
    using ProtocolStateWord for uint256;

    StateLayoutHarness internal h;
    bytes32 internal constant PID = keccak256("layout");

    function setUp() public override {
        super.setUp();
        h = new StateLayoutHarness(g1Generator());
    }

    function _eq(GuardianOracleRegistry.ProtocolState memory a, GuardianOracleRegistry.ProtocolState memory b)
        internal
        pure
        returns (bool)
    {
        return keccak256(abi.encode(a)) == keccak256(abi.encode(b));
    }

    function test_masksMatchTheOffsets() public pure {
        uint256 policy = (uint256(1) << ProtocolStateWord.NONCE) - 1;
        uint256 failed = uint256(0xff) << ProtocolStateWord.FAILED_ACTION;
        uint256 nonce = uint256(type(uint32).max) << ProtocolStateWord.NONCE;
        uint256 flag = uint256(0xff) << ProtocolStateWord.HOOK_SUCCEEDED;
        assertEq(ProtocolStateWord.ENGAGE_KEEP_MASK, policy | failed, "engage keeps the policy and the failed action");
        assertEq(ProtocolStateWord.FAILED_KEEP_MASK, ~(nonce | failed | flag), "a failed hook keeps all but three");
        assertEq(ProtocolStateWord.NONCE_ONE, uint256(1) << ProtocolStateWord.NONCE, "one nonce step");
    }

    function test_nonceNeverWraps() public {
        GuardianOracleRegistry.ProtocolState memory s;
        s.nonce = type(uint32).max;
        h.writeStruct(PID, s);
        uint256 w = h.readWord(PID);
        vm.expectRevert(abi.encodeWithSignature("Panic(uint256)", uint256(0x11)));
        this.engagedOf(w);
    }

    function engagedOf(uint256 w) external view returns (uint256) {
        return w.engaged(1, 0);
    }

    function test_engageSelectorConstant() public view {
        assertEq(bytes4(uint32(h.engageSelectorConstant())), IGuardable.engageContainment.selector, "selector");
    }

    function testFuzz_wordReadsWhatSolidityWrote(GuardianOracleRegistry.ProtocolState memory s) public {
        h.writeStruct(PID, s);
        uint256 w = h.readWord(PID);
        assertEq(w.allowedActions(), s.allowedActions, "allowedActions");
        assertEq(w.pauseSelector(), s.pauseSelector, "pauseSelector");
        assertEq(w.maxDuration(), s.maxDuration, "maxDuration");
        assertEq(w.cooldown(), s.cooldown, "cooldown");
        assertEq(w.nonce(), s.nonce, "nonce");
        assertEq(w.action(), s.action, "action");
        assertEq(uint8(w >> ProtocolStateWord.REPLACED_ACTION), s.replacedAction, "replacedAction");
        assertEq(w.failedAction(), s.failedAction, "failedAction");
        assertEq((w >> ProtocolStateWord.HOOK_SUCCEEDED) & 0xff, s.hookSucceeded ? 1 : 0, "hookSucceeded");
        assertEq(w.engagedAt(), s.engagedAt, "engagedAt");
        assertEq(w.expiresAt(), uint64(s.engagedAt) + s.heldFor, "expiresAt");
        assertEq(w.releaseBlock(), s.releaseBlock, "releaseBlock");
        h.writeWord(PID, w);
        assertTrue(_eq(h.readStruct(PID), s), "word round trip");
    }

    function testFuzz_engagedWord(GuardianOracleRegistry.ProtocolState memory s, uint8 action, uint8 replaced) public {
        vm.assume(s.nonce < type(uint32).max);
        h.writeStruct(PID, s);
        uint256 w = h.readWord(PID);
        h.writeWord(PID, w.engaged(action, replaced));
        GuardianOracleRegistry.ProtocolState memory want = s;
        want.nonce = s.nonce + 1;
        want.action = action;
        want.replacedAction = replaced;
        want.hookSucceeded = true;
        want.engagedAt = uint40(block.timestamp);
        want.heldFor = s.maxDuration;
        want.releaseBlock = uint40(block.number);
        assertTrue(_eq(h.readStruct(PID), want), "engaged: policy and failed action kept, record replaced");
    }

    function testFuzz_hookFailedWord(GuardianOracleRegistry.ProtocolState memory s, uint8 action) public {
        vm.assume(s.nonce < type(uint32).max);
        h.writeStruct(PID, s);
        uint256 w = h.readWord(PID);
        h.writeWord(PID, w.hookFailed(action));
        GuardianOracleRegistry.ProtocolState memory want = s;
        want.nonce = s.nonce + 1;
        want.hookSucceeded = false;
        want.failedAction = action;
        assertTrue(_eq(h.readStruct(PID), want), "failed: only the nonce, the flag and the failed action move");
    }
}
