// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "../utils/Vm.sol";
import {GuardianOracle} from "../../src/GuardianOracle.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";
import {OracleBlsBase} from "./OracleBls.t.sol";

/// @notice Drives the production oracle (real BLS12-381 verification) with the signatures of
/// protocol/vectors/guardian_oracle.json: the group key's signatures for nonces 0 and 1 (valid),
/// another key's (invalid), each possibly with one damaged byte, and arbitrary bytes; plus time
/// and lifts. Whatever the sequence, only the group key's exact signatures may contain.
contract OracleBlsHandler {
    Vm private constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    GuardianOracle public immutable oracle;
    bytes32 public immutable id;
    address public immutable admin;
    bytes32 public immutable evidence;
    uint64 public immutable evidenceFrom;
    uint64 public lastDeadline;

    bytes[4] private _sigs; // nonce0, nonce1 (group key), other key for nonce0, other key at epoch 2
    uint64[4] private _nonces;
    uint64[4] private _deadlines;

    uint256 public validAccepted;
    uint256 public forgedAccepted;
    uint256 public forgedTried;

    constructor(GuardianOracle oracle_, bytes32 id_, address admin_, bytes32 evidence_, uint64 evidenceFrom_, string memory spec) {
        oracle = oracle_;
        id = id_;
        admin = admin_;
        evidence = evidence_;
        evidenceFrom = evidenceFrom_;
        string[4] memory names = ["nonce0", "nonce1", "other_key", "epoch2_other_key"];
        for (uint256 i; i < 4; i++) {
            string memory at = string.concat(".bls_authorizations.authorizations.", names[i]);
            _sigs[i] = vm.parseJsonBytes(spec, string.concat(at, ".signature"));
            _nonces[i] = uint64(vm.parseJsonUint(spec, string.concat(at, ".nonce")));
            _deadlines[i] = uint64(vm.parseJsonUint(spec, string.concat(at, ".deadline")));
        }
        lastDeadline = _deadlines[1];
    }

    function signature(uint256 i) external view returns (bytes memory) {
        return _sigs[i];
    }

    /// @dev A vector signature on the arguments it signed, or with one byte damaged.
    function submitVector(uint8 which, uint8 flip, uint16 pos) external {
        uint256 i = which % 4;
        bytes memory sig = bytes.concat(_sigs[i]);
        if (flip % 3 == 0) sig[pos % sig.length] ^= bytes1(flip | 1);
        bool valid = i < 2 && flip % 3 != 0;
        _submit(_nonces[i], _deadlines[i], sig, valid);
    }

    /// @dev A vector signature on the arguments of the other vector (nonce, deadline swapped).
    function submitMismatched(uint8 which) external {
        uint256 i = which % 4;
        uint256 j = i == 0 ? 1 : 0;
        _submit(_nonces[j], _deadlines[j], _sigs[i], false);
    }

    /// @dev The current nonce's group signature with one signed argument changed: the action,
    /// the deadline, the evidence's first block or the evidence hash.
    function submitVariant(uint8 field, uint8 delta) external {
        uint64 nonce = oracle.nonces(id);
        if (nonce > 1) return;
        uint8 action = ACTION_PAUSE;
        uint64 deadline = _deadlines[nonce];
        uint64 from = evidenceFrom;
        bytes32 ev = evidence;
        uint64 d = uint64(delta % 3) + 1;
        if (field % 4 == 0) action = uint8(ACTION_PAUSE + d); // 2 and 3 are allowed, 4 is not
        else if (field % 4 == 1) deadline = field % 8 == 1 ? deadline + d : deadline - d;
        else if (field % 4 == 2) from += d;
        else ev = keccak256(abi.encode(ev, d));
        forgedTried++;
        try oracle.authorize(id, action, nonce, deadline, from, ev, _sigs[nonce]) {
            forgedAccepted++;
        } catch {}
    }

    /// @dev Arbitrary bytes as the signature, on arguments the policy accepts now.
    function submitGarbage(bytes calldata sig) external {
        uint64 nonce = oracle.nonces(id);
        _submit(nonce, _deadlines[nonce == 0 ? 0 : 1], sig, false);
    }

    function lift(bool asAdmin) external {
        vm.prank(asAdmin ? admin : address(0xBAD));
        try oracle.liftContainment(id) {} catch {}
    }

    /// @dev Time moves forward but not past the last vector's deadline (the block stays, so the
    /// vectors' evidence block stays after the release block).
    function warp(uint32 seconds_) external {
        uint256 next = block.timestamp + seconds_ % 1 hours;
        vm.warp(next > lastDeadline ? lastDeadline : next);
    }

    function _submit(uint64 nonce, uint64 deadline, bytes memory sig, bool valid) private {
        if (!valid) forgedTried++;
        try oracle.authorize(id, ACTION_PAUSE, nonce, deadline, evidenceFrom, evidence, sig) {
            if (valid) validAccepted++;
            else forgedAccepted++;
        } catch {}
    }
}

/// @notice The oracle's signature invariants with real BLS signatures made by protocol/.
contract OracleBlsInvariantTest is OracleBlsBase {
    OracleBlsHandler internal handler;

    function setUp() public override {
        super.setUp(); // deploys the oracle and the protocol first: the vectors name their addresses
        handler = new OracleBlsHandler(oracle, id, ADMIN, evidence, evidenceFrom, spec);
        require(keccak256(handler.signature(0)) == keccak256(sigNonce0), "vectors read alike");
    }

    function targetContracts() public view returns (address[] memory targets) {
        targets = new address[](1);
        targets[0] = address(handler);
    }

    /// @dev The handler is not vacuous: the group key's vectors contain, nothing else does.
    function test_handlerEngagesOnlyWithTheGroupSignature() public {
        handler.submitVector(0, 3, 5); // nonce0, one byte damaged
        handler.submitVector(2, 1, 0); // another key's signature of the same digest
        handler.submitMismatched(1); // nonce1's signature on nonce0's arguments
        handler.submitGarbage(new bytes(256));
        for (uint8 field; field < 8; field++) {
            handler.submitVariant(field, field);
        }
        assertEq(handler.forgedAccepted(), 0, "nothing forged went through");
        assertEq(handler.forgedTried(), 12, "twelve forgeries tried");
        handler.submitVector(0, 1, 0); // nonce0, intact
        assertEq(handler.validAccepted(), 1, "the group key's signature contained");
        assertTrue(protocol.isPaused(), "paused");
    }

    function invariant_noContainmentWithoutTheGroupSignature() public view {
        assertEq(handler.forgedAccepted(), 0, "a signature other than the group key's contained");
        (, uint64 engagedAt,,, bool active) = oracle.containment(id);
        if (active || engagedAt != 0) assertGt(handler.validAccepted(), 0, "contained without a valid signature");
    }

    function invariant_nonceCountsGroupSignatures() public view {
        assertEq(oracle.nonces(id), handler.validAccepted(), "the nonce moved without a valid signature");
        assertLe(oracle.nonces(id), 2, "only two nonces were ever signed");
    }
}
