// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {Test} from "../utils/Test.sol";
import {OracleSpec} from "../utils/OracleSpec.sol";
import {GuardianOracle} from "../../src/GuardianOracle.sol";
import {RegistrationParams, InvariantCall} from "../../src/OracleTypes.sol";
import {ACTION_PAUSE} from "../../src/IGuardable.sol";
import {MinimalGuarded} from "../oracle/GuardedCounter.sol";
import {CoverPool} from "../../src/cover/CoverPool.sol";
import {CoverPoolFactory} from "../../src/cover/CoverPoolFactory.sol";
import {ICoverPool, CoverTerms, Breach} from "../../src/cover/ICoverPool.sol";

contract CoverTestToken is ERC20 {
    constructor() ERC20("Test USD", "tUSD") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice The cover pool against the production GuardianOracle with real BLS12-381 signatures.
/// Keys, addresses, the Merkle tree and every confirmation come from
/// protocol/vectors/cover_breach.json (made by protocol/breach.py and protocol/merkle.py; the
/// valid confirmation is a real 3-of-5 threshold combination), the containment from
/// protocol/vectors/guardian_oracle.json.
contract CoverPoolTest is Test {
    address internal constant GOV = address(0x60);
    address internal constant ADMIN = address(0xAD);
    address internal constant U1 = address(0x0101);
    address internal constant U2 = address(0x0102);
    uint256 internal constant E18 = 1e18;
    uint256 internal constant DEDUCTIBLE = 1e18;
    uint64 internal constant WINDOW = 30 minutes; // shorter than the confirmations' deadline

    event log_named_uint(string key, uint256 val);

    string internal oracleSpec;
    string internal spec;
    GuardianOracle internal oracle;
    MinimalGuarded internal protocol;
    CoverTestToken internal asset;
    CoverPoolFactory internal factory;
    CoverPool internal pool;
    bytes32 internal id;

    function _c(string memory key) internal pure returns (string memory) {
        return string.concat(".forge.", key);
    }

    function _conf(string memory name, string memory field) internal pure returns (string memory) {
        return _c(string.concat("confirmations.", name, ".", field));
    }

    function setUp() public {
        oracleSpec = OracleSpec.read();
        spec = vm.readFile(string.concat(vm.projectRoot(), "/../protocol/vectors/cover_breach.json"));
        vm.warp(vm.parseJsonUint(spec, _c("start")));
        oracle = new GuardianOracle(GOV, vm.parseJsonBytes(oracleSpec, ".bls_authorizations.public_key"), 3, 5, 2 days, 0);
        protocol = new MinimalGuarded(address(oracle), ADMIN);
        asset = new CoverTestToken();
        factory = new CoverPoolFactory(oracle);
        require(address(factory) == vm.parseJsonAddress(spec, _c("factory")), "factory address drifted");
        RegistrationParams memory p;
        p.target = address(protocol);
        p.admin = ADMIN;
        p.allowedActions = 0x0e;
        p.maxDuration = 1 hours;
        p.cooldown = 10 minutes;
        p.detection.monitored = new address[](1);
        p.detection.monitored[0] = address(protocol);
        p.detection.tokens = new address[](0);
        p.detection.invariants = new InvariantCall[](0);
        vm.prank(ADMIN);
        id = oracle.register(p);
        vm.prank(ADMIN);
        pool = CoverPool(factory.createPool(IERC20(address(asset)), _terms(10_000 * E18), "USD"));
        require(address(pool) == vm.parseJsonAddress(spec, _c("pool")), "pool address drifted");
        _underwrite(U1, 500 * E18);
        _underwrite(U2, 300 * E18);
        vm.roll(100);
    }

    function _terms(uint256 maxPayout) internal view returns (CoverTerms memory) {
        return CoverTerms(id, address(protocol), maxPayout, DEDUCTIBLE, WINDOW, 7 days);
    }

    function _underwrite(address who, uint256 amount) internal {
        asset.mint(who, amount);
        vm.startPrank(who);
        asset.approve(address(pool), amount);
        pool.deposit(amount, who);
        vm.stopPrank();
    }

    function _contain() internal {
        string memory a = ".bls_authorizations.";
        bool ok = oracle.authorize(
            address(protocol),
            ACTION_PAUSE,
            0,
            uint64(vm.parseJsonUint(oracleSpec, string.concat(a, "authorizations.nonce0.deadline"))),
            uint64(vm.parseJsonUint(oracleSpec, string.concat(a, "evidence_from_block"))),
            vm.parseJsonBytes32(oracleSpec, string.concat(a, "evidence_hash")),
            vm.parseJsonBytes(oracleSpec, string.concat(a, "authorizations.nonce0.signature"))
        );
        require(ok, "contained");
    }

    function _loss() internal view returns (uint256) {
        return vm.parseJsonUint(spec, _c("loss"));
    }

    function _confirm(string memory name) internal {
        pool.confirmBreach(
            uint64(vm.parseJsonUint(spec, _conf(name, "nonce"))),
            vm.parseJsonUint(spec, _conf(name, "loss")),
            uint64(vm.parseJsonUint(spec, _conf(name, "snapshot_block"))),
            vm.parseJsonBytes32(spec, _conf(name, "root")),
            uint64(vm.parseJsonUint(spec, _conf(name, "deadline"))),
            vm.parseJsonBytes(spec, _conf(name, "signature"))
        );
    }

    /// @dev Submit the fields of the valid confirmation with another signature.
    function _confirmWith(bytes memory signature) internal {
        pool.confirmBreach(
            0,
            _loss(),
            uint64(vm.parseJsonUint(spec, _conf("valid", "snapshot_block"))),
            vm.parseJsonBytes32(spec, _c("root")),
            uint64(vm.parseJsonUint(spec, _conf("valid", "deadline"))),
            signature
        );
    }

    function _claimOf(uint256 i) internal view returns (address account, uint256 amount, bytes32[] memory proof) {
        string memory k = _c(string.concat("claims[", vm.toString(i), "]"));
        account = vm.parseJsonAddress(spec, string.concat(k, ".account"));
        amount = vm.parseJsonUint(spec, string.concat(k, ".amount"));
        bytes[] memory raw = vm.parseJsonBytesArray(spec, string.concat(k, ".proof"));
        proof = new bytes32[](raw.length);
        for (uint256 j = 0; j < raw.length; j++) {
            proof[j] = bytes32(raw[j]);
        }
    }

    // ------------------------------------------------------------------ the spec is shared

    function test_constantsAndDigestMatchTheSpec() public view {
        assertEq(pool.BREACH_DOMAIN_TAG(), vm.parseJsonBytes32(spec, ".digest.domain_tag"), "domain tag");
        assertEq(pool.BREACH_DST(), bytes(vm.parseJsonString(spec, ".digest.dst")), "dst");
        bytes32 digest = pool.breachDigest(
            0,
            _loss(),
            uint64(vm.parseJsonUint(spec, _conf("valid", "snapshot_block"))),
            vm.parseJsonBytes32(spec, _c("root")),
            uint64(vm.parseJsonUint(spec, _conf("valid", "deadline")))
        );
        assertEq(digest, vm.parseJsonBytes32(spec, _conf("valid", "digest")), "digest");
        assertTrue(digest != oracle.authorizationDigest(id, ACTION_PAUSE, 0, 0, 0, bytes32(0)), "domains differ");
    }

    function test_digestVectors() public view {
        // The digest layout, recomputed with abi.encode from the vectors' fields.
        for (uint256 i = 0; i < 2; i++) {
            string memory k = string.concat(".digest.vectors[", vm.toString(i), "].");
            bytes memory pre = abi.encode(
                keccak256("GuardianNetwork.Breach.v1"),
                vm.parseJsonUint(spec, string.concat(k, "chain_id")),
                vm.parseJsonAddress(spec, string.concat(k, "pool")),
                vm.parseJsonBytes32(spec, string.concat(k, "protocol_id")),
                uint64(vm.parseJsonUint(spec, string.concat(k, "nonce"))),
                vm.parseJsonUint(spec, string.concat(k, "loss")),
                uint64(vm.parseJsonUint(spec, string.concat(k, "snapshot_block"))),
                vm.parseJsonBytes32(spec, string.concat(k, "root")),
                uint64(vm.parseJsonUint(spec, string.concat(k, "deadline")))
            );
            assertEq(pre, vm.parseJsonBytes(spec, string.concat(k, "preimage")), "preimage");
            assertEq(keccak256(pre), vm.parseJsonBytes32(spec, string.concat(k, "digest")), "digest");
        }
    }

    // ------------------------------------------------------------------ the happy path

    function test_confirmThenEveryAccountClaimsProRata() public {
        _contain();
        _confirm("valid");
        uint256 confirmGas = vm.snapshotGasLastCall("confirmBreach");
        emit log_named_uint("gas confirmBreach", confirmGas);
        uint256 loss = _loss();
        uint256 payout = 800 * E18; // the pool held 800 of a 1,000 loss
        Breach memory b = pool.breach(0);
        assertEq(b.payout, payout, "payout = min(loss, maxPayout, assets)");
        assertEq(pool.totalAssets(), 0, "set aside");
        uint256 total;
        uint256 claims = 5;
        for (uint256 i = 0; i < claims; i++) {
            (address account, uint256 amount, bytes32[] memory proof) = _claimOf(i);
            address relayer = address(uint160(0xBEEF + i));
            vm.prank(relayer); // anyone may submit; the account is paid
            uint256 paid = pool.claim(0, account, amount, proof);
            if (i == 0) emit log_named_uint("gas claim", vm.snapshotGasLastCall("claim"));
            assertEq(paid, amount * payout / loss - DEDUCTIBLE, "pro rata less deductible");
            assertEq(asset.balanceOf(account), paid, "paid to the account");
            assertEq(asset.balanceOf(relayer), 0, "not to the sender");
            total += paid;
        }
        assertEq(total, payout - claims * DEDUCTIBLE, "sum = min(loss, pool) less deductibles");
        assertEq(pool.reserved(), 0, "nothing left set aside");
        assertEq(pool.totalAssets(), claims * DEDUCTIBLE, "deductibles stay with the underwriters");
    }

    function test_payoutCappedByMaxPayout() public {
        vm.prank(ADMIN);
        CoverPool small = CoverPool(factory.createPool(IERC20(address(asset)), _terms(100 * E18), "S"));
        assertEq(small.maxPayout(), 100 * E18, "terms");
        assertEq(small.terms().deductible, DEDUCTIBLE, "terms view");
    }

    // ------------------------------------------------------------------ refusals: confirmation

    function test_refusesConfirmationWithoutContainment() public {
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverNoContainment.selector, uint64(0)));
        _confirm("valid");
    }

    function test_refusesForgedConfirmation() public {
        _contain();
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirmWith(vm.parseJsonBytes(spec, _conf("other_key", "signature")));
        bytes memory garbage = vm.parseJsonBytes(spec, _conf("valid", "signature"));
        garbage[200] ^= 0x01;
        vm.expectRevert();
        _confirmWith(garbage);
    }

    function test_refusesTMinusOneConfirmation() public {
        _contain();
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirmWith(vm.parseJsonBytes(spec, _conf("t_minus_1", "signature")));
    }

    function test_refusesContainmentSignatureAsConfirmation() public {
        _contain();
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirmWith(vm.parseJsonBytes(oracleSpec, ".bls_authorizations.authorizations.nonce0.signature"));
        // the same digest signed under the containments' DST is not a confirmation either
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirmWith(vm.parseJsonBytes(spec, _conf("authorization_dst", "signature")));
    }

    function test_refusesConfirmationForAnotherPoolNonceOrChain() public {
        _contain();
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirmWith(vm.parseJsonBytes(spec, _conf("other_pool", "signature")));
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirmWith(vm.parseJsonBytes(spec, _conf("other_nonce", "signature")));
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirmWith(vm.parseJsonBytes(spec, _conf("other_chain", "signature")));
        // the valid confirmation on another chain
        vm.chainId(1);
        vm.expectRevert(ICoverPool.CoverInvalidSignature.selector);
        _confirm("valid");
    }

    function test_refusesConfirmationOfAnotherNonce() public {
        _contain();
        bytes memory sig = vm.parseJsonBytes(spec, _conf("other_nonce", "signature"));
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverNoContainment.selector, uint64(1)));
        pool.confirmBreach(1, _loss(), 90, vm.parseJsonBytes32(spec, _c("root")), uint64(vm.parseJsonUint(spec, _conf("valid", "deadline"))), sig);
    }

    function test_refusesSecondConfirmation() public {
        _contain();
        _confirm("valid");
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverAlreadyConfirmed.selector, uint64(0)));
        _confirm("valid");
    }

    function test_refusesExpiredOrLateConfirmation() public {
        _contain();
        uint64 deadline = uint64(vm.parseJsonUint(spec, _conf("valid", "deadline")));
        vm.warp(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverDeadlineExpired.selector, deadline));
        _confirm("valid");
    }

    function test_refusesZeroLossAndFutureSnapshot() public {
        _contain();
        bytes memory sig = vm.parseJsonBytes(spec, _conf("valid", "signature"));
        bytes32 root = vm.parseJsonBytes32(spec, _c("root"));
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverInvalidConfirmation.selector, "zero loss"));
        pool.confirmBreach(0, 0, 90, root, uint64(block.timestamp + 60), sig);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverInvalidConfirmation.selector, "snapshot not in the past"));
        pool.confirmBreach(0, 1, 100, root, uint64(block.timestamp + 60), sig);
    }

    // ------------------------------------------------------------------ refusals: claims

    function test_refusesDoubleClaim() public {
        _contain();
        _confirm("valid");
        (address account, uint256 amount, bytes32[] memory proof) = _claimOf(0);
        pool.claim(0, account, amount, proof);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverAlreadyClaimed.selector, uint64(0), account));
        pool.claim(0, account, amount, proof);
    }

    function test_refusesProofForAnotherAccount() public {
        _contain();
        _confirm("valid");
        (, uint256 amount, bytes32[] memory proof) = _claimOf(0);
        (address other,,) = _claimOf(1);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverInvalidProof.selector, other, amount));
        pool.claim(0, other, amount, proof);
    }

    function test_refusesClaimAboveTheTreeAmount() public {
        _contain();
        _confirm("valid");
        (address account, uint256 amount, bytes32[] memory proof) = _claimOf(2);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverInvalidProof.selector, account, amount + 1));
        pool.claim(0, account, amount + 1, proof);
    }

    function test_refusesClaimBeforeConfirmationAndAfterThePeriod() public {
        (address account, uint256 amount, bytes32[] memory proof) = _claimOf(0);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverNotConfirmed.selector, uint64(0)));
        pool.claim(0, account, amount, proof);
        _contain();
        _confirm("valid");
        uint64 end = pool.breach(0).claimsEndAt;
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverClaimPeriodRunning.selector, uint64(0), end));
        pool.releaseUnclaimed(0);
        vm.warp(end + 1);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverClaimPeriodOver.selector, uint64(0), end));
        pool.claim(0, account, amount, proof);
        uint256 before = pool.totalAssets();
        pool.releaseUnclaimed(0);
        assertEq(pool.totalAssets(), before + 800 * E18, "the unclaimed rest is the underwriters' again");
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverAlreadyReleased.selector, uint64(0)));
        pool.releaseUnclaimed(0);
    }

    // ------------------------------------------------------------------ underwriters

    function test_refusesWithdrawalDuringTheIncidentWindow() public {
        _contain();
        (bool open, uint64 closesAt) = pool.incidentWindow();
        assertTrue(open, "window open after a containment");
        assertEq(pool.maxWithdraw(U1), 0, "ERC-4626 max is 0");
        vm.startPrank(U1);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverIncidentWindowOpen.selector, closesAt));
        pool.withdraw(1, U1, U1);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverIncidentWindowOpen.selector, closesAt));
        pool.redeem(1, U1, U1);
        vm.stopPrank();
        asset.mint(U2, E18);
        vm.startPrank(U2);
        asset.approve(address(pool), E18);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverIncidentWindowOpen.selector, closesAt));
        pool.deposit(E18, U2);
        vm.stopPrank();
    }

    function test_withdrawalAfterConfirmationAtTheLowerPrice() public {
        // a pool larger than the loss: underwriters keep what the loss did not take
        _underwrite(U2, 700 * E18); // U1 500, U2 1,000: 1,500 in all
        _contain();
        _confirm("valid");
        (bool open,) = pool.incidentWindow();
        assertFalse(open, "a confirmation closes the window");
        uint256 shares = pool.balanceOf(U1);
        vm.prank(U1);
        uint256 out = pool.redeem(shares, U1, U1);
        assertEq(out, (1_500 - 1_000) * E18 * 500 / 1_500, "U1's part of what is left");
    }

    function test_withdrawalAfterAnUnconfirmedWindowCloses() public {
        uint64 closedAt = uint64(block.timestamp) + WINDOW;
        _contain();
        vm.warp(block.timestamp + WINDOW + 1);
        uint256 shares = pool.balanceOf(U1);
        vm.prank(U1);
        assertEq(pool.redeem(shares, U1, U1), 500 * E18, "nothing was confirmed: all back");
        vm.expectRevert(
            abi.encodeWithSelector(ICoverPool.CoverConfirmationWindowClosed.selector, closedAt)
        );
        _confirm("valid");
    }

    function test_onlyTheProtocolAdminCreatesCover() public {
        CoverTerms memory t = _terms(E18 * 10);
        vm.expectRevert(abi.encodeWithSelector(CoverPoolFactory.CoverNotProtocolAdmin.selector, address(this), ADMIN));
        factory.createPool(IERC20(address(asset)), t, "X");
        t.deductible = t.maxPayout;
        vm.prank(ADMIN);
        vm.expectRevert(abi.encodeWithSelector(ICoverPool.CoverInvalidTerms.selector, "deductible"));
        factory.createPool(IERC20(address(asset)), t, "X");
    }
}
