// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Test} from "../utils/Test.sol";
import {OracleSpec} from "../utils/OracleSpec.sol";
import {GuardianOracle} from "../../src/GuardianOracle.sol";
import {IGuardianOracle} from "../../src/IGuardianOracle.sol";
import {RegistrationParams, InvariantCall} from "../../src/OracleTypes.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";
import {MinimalGuarded} from "./GuardedCounter.sol";

/// @notice The production GuardianOracle with real BLS12-381 signatures (EIP-2537 precompiles).
/// Keys, addresses and signatures come from `.bls_authorizations` of
/// protocol/vectors/guardian_oracle.json: made by protocol/ (RFC 9380 hash-to-G2 with the oracle's
/// DST), so the contract is checked against the node's own signing code.
abstract contract OracleBlsBase is Test {
    address internal constant GOV = address(0x60);
    address internal constant ADMIN = address(0xAD);
    uint64 internal constant MAX_DURATION = 1 hours;
    uint64 internal constant COOLDOWN = 10 minutes;
    uint64 internal constant DELAY = 2 days;

    event log_named_uint(string key, uint256 val);

    GuardianOracle internal oracle;
    MinimalGuarded internal protocol;
    bytes32 internal id;

    string internal spec;
    uint64 internal start;
    bytes32 internal evidence;
    uint64 internal evidenceFrom;
    bytes internal pk;
    bytes internal otherPk;
    bytes internal sigNonce0;
    bytes internal sigNonce1;
    bytes internal sigOtherKey;
    bytes internal sigEpoch2OtherKey;
    uint64 internal deadline; // of sigNonce0 and sigOtherKey
    uint64 internal deadlineNonce1;
    uint64 internal deadlineEpoch2;

    function _bls(string memory key) internal pure returns (string memory) {
        return string.concat(".bls_authorizations.", key);
    }

    function _sig(string memory name) internal view returns (bytes memory) {
        return vm.parseJsonBytes(spec, _bls(string.concat("authorizations.", name, ".signature")));
    }

    function _deadline(string memory name) internal view returns (uint64) {
        return uint64(vm.parseJsonUint(spec, _bls(string.concat("authorizations.", name, ".deadline"))));
    }

    function _loadVectors() internal virtual {
        spec = OracleSpec.read();
        start = uint64(vm.parseJsonUint(spec, _bls("start")));
        evidence = vm.parseJsonBytes32(spec, _bls("evidence_hash"));
        evidenceFrom = uint64(vm.parseJsonUint(spec, _bls("evidence_from_block")));
        pk = vm.parseJsonBytes(spec, _bls("public_key"));
        otherPk = vm.parseJsonBytes(spec, _bls("other_public_key"));
        sigNonce0 = _sig("nonce0");
        sigNonce1 = _sig("nonce1");
        sigOtherKey = _sig("other_key");
        sigEpoch2OtherKey = _sig("epoch2_other_key");
        deadline = _deadline("nonce0");
        deadlineNonce1 = _deadline("nonce1");
        deadlineEpoch2 = _deadline("epoch2_other_key");
        require(_deadline("other_key") == deadline, "other_key signs nonce0's deadline");
    }

    function setUp() public virtual {
        _loadVectors();
        vm.warp(start);
        // The signed digests name these addresses: the first two contracts this test deploys.
        oracle = new GuardianOracle(GOV, pk, 3, 5, DELAY, 0);
        protocol = new MinimalGuarded(address(oracle), ADMIN);
        require(address(oracle) == vm.parseJsonAddress(spec, _bls("oracle")), "oracle address drifted");
        require(address(protocol) == vm.parseJsonAddress(spec, _bls("protocol")), "protocol address drifted");
        RegistrationParams memory p;
        p.target = address(protocol);
        p.admin = ADMIN;
        p.allowedActions = 0x0e;
        p.maxDuration = MAX_DURATION;
        p.cooldown = COOLDOWN;
        p.detection.monitored = new address[](1);
        p.detection.monitored[0] = address(protocol);
        p.detection.tokens = new address[](0);
        p.detection.invariants = new InvariantCall[](0);
        vm.prank(ADMIN);
        id = oracle.register(p);
    }

    function _authorize(uint64 nonce, uint64 validUntil, bytes memory sig) internal returns (uint256 used) {
        bool ok = oracle.authorize(address(protocol), ACTION_PAUSE, nonce, validUntil, evidenceFrom, evidence, sig);
        // gas of the authorize call itself (hook included), as forge's trace reports it: not the
        // caller's argument encoding, nor the 21,000 base cost and calldata of a transaction
        used = vm.snapshotGasLastCall("authorize");
        assertTrue(ok, "hook succeeded");
        assertTrue(protocol.isPaused(), "paused");
    }
}

contract OracleBlsTest is OracleBlsBase {
    function test_realSignatureEngages() public {
        _authorize(0, deadline, sigNonce0);
        assertEq(uint256(oracle.nonces(id)), 1, "nonce");
    }

    function test_signatureOfAnotherKeyFails() public {
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, evidence, sigOtherKey);
    }

    function test_signatureOverOtherFieldsFails() public {
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, keccak256("other evidence"), sigNonce0);
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline + 1, evidenceFrom, evidence, sigNonce0);
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, evidence, sigNonce1);
    }

    function test_otherChainOrReplayFails() public {
        uint256 home = block.chainid;
        vm.chainId(1); // the same deployment address on another chain
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, evidence, sigNonce0);
        vm.chainId(home);
        _authorize(0, deadline, sigNonce0);
        vm.warp(start + MAX_DURATION + COOLDOWN);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleInvalidNonce.selector, uint64(1), uint64(0)));
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, evidence, sigNonce0); // reused nonce
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleDeadlineExpired.selector, deadline));
        oracle.authorize(address(protocol), ACTION_PAUSE, 1, deadline, evidenceFrom, evidence, sigNonce0); // past deadline
    }

    function test_malformedSignatureReverts() public {
        bytes memory bad = bytes.concat(sigNonce0);
        bad[255] = bytes1(uint8(bad[255]) ^ 1); // no longer on the curve
        vm.expectRevert();
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, evidence, bad);
        assertEq(uint256(oracle.nonces(id)), 0, "nothing consumed");
        _authorize(0, deadline, sigNonce0); // and the good one still works
    }

    function test_rotationInvalidatesOldSignatures() public {
        vm.prank(GOV);
        oracle.queueKeyRotation(otherPk, 4, 7);
        vm.warp(start + DELAY);
        vm.prank(GOV);
        oracle.executeKeyRotation();
        vm.expectRevert(abi.encodeWithSelector(IGuardianOracle.GuardianOracleDeadlineExpired.selector, deadline));
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, evidence, sigNonce0);
        vm.expectRevert(IGuardianOracle.GuardianOracleInvalidSignature.selector);
        oracle.authorize(address(protocol), ACTION_PAUSE, 0, deadlineEpoch2, evidenceFrom, evidence, sigNonce0);
        _authorize(0, deadlineEpoch2, sigEpoch2OtherKey);
    }
}

/// @notice Gas of authorize (BLS verification included) plus a minimal Guardable pause hook, each
/// in its own test so that storage and accounts start cold. Excludes the 21,000 transaction base
/// cost and calldata (~8,000 gas for this call).
contract OracleBlsGasFirstTest is OracleBlsBase {
    function test_gas_firstContainment() public {
        uint256 used = _authorize(0, deadline, sigNonce0);
        emit log_named_uint("authorize (BLS) + pause hook, first containment", used);
        // DESIGN.md: verification plus containment in at most 200k gas; the precompiles alone
        // cost 151,100 (2 x MAP_FP2_TO_G2, G2ADD, 2-pair pairing).
        assertLe(used, 200_000, "within the 200k budget");
    }
}

contract OracleBlsGasLaterTest is OracleBlsBase {
    function setUp() public override {
        super.setUp();
        _authorize(0, deadline, sigNonce0);
        vm.warp(start + MAX_DURATION + COOLDOWN);
    }

    function test_gas_laterContainment() public {
        uint256 used = _authorize(1, deadlineNonce1, sigNonce1);
        emit log_named_uint("authorize (BLS) + pause hook, later containment", used);
        // DESIGN.md: verification plus containment in at most 200k gas; the precompiles alone
        // cost 151,100 (2 x MAP_FP2_TO_G2, G2ADD, 2-pair pairing).
        assertLe(used, 200_000, "within the 200k budget");
    }
}

/// @notice Defect 7: a valid signature sent with too little gas must not look invalid. Whatever
/// gas the submitter gives, `authorize` either succeeds or reverts with an error that says gas.
contract OracleBlsLowGasTest is OracleBlsBase {
    function testFuzz_tooLittleGasIsNamed(uint256 gasLimit) public {
        gasLimit = bound(gasLimit, 60_000, 330_000);
        (bool ok, bytes memory ret) = address(oracle).call{gas: gasLimit}(
            abi.encodeCall(IGuardianOracle.authorize, (address(protocol), ACTION_PAUSE, 0, deadline, evidenceFrom, evidence, sigNonce0))
        );
        if (ok) {
            assertTrue(protocol.isPaused(), "paused");
            return;
        }
        bytes4 err = bytes4(ret);
        assertTrue(
            err == IGuardianOracle.GuardianOracleInsufficientGasForVerification.selector
                || err == IGuardianOracle.GuardianOracleInsufficientGasForHook.selector || ret.length == 0,
            "a gas error, never InvalidSignature"
        );
        assertTrue(err != IGuardianOracle.GuardianOracleInvalidSignature.selector, "not InvalidSignature");
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + (x % (hi - lo + 1));
    }
}
