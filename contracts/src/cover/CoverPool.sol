// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC4626} from "@openzeppelin/contracts/token/ERC20/extensions/ERC4626.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {BLS} from "../bls/BLS.sol";
import {IGuardianOracle} from "../IGuardianOracle.sol";
import {ICoverPool, CoverTerms, Breach} from "./ICoverPool.sol";

/// @title CoverPool
/// @notice Cover for the users of one protocol registered with the GuardianOracle. Underwriters
/// deposit one ERC-20 and hold the pool's ERC-4626 shares. When the guardians confirm a breach
/// (the same group key that signs containments, under the breach domain and DST, over the loss,
/// the snapshot block and a Merkle root of the affected accounts), the pool sets aside
/// min(loss, maxPayout, free assets) and every account in the tree claims its pro-rata part.
/// @dev Withdrawals and deposits are refused while an incident window is open: from a
/// containment until it is confirmed or its confirmation window closes. Set-aside assets are not
/// part of `totalAssets`, so the share price drops by the payout at confirmation.
contract CoverPool is ERC4626, ReentrancyGuard, ICoverPool {
    using SafeERC20 for IERC20;

    /// @notice keccak256("GuardianNetwork.Breach.v1"): the first word of every breach digest.
    bytes32 public constant BREACH_DOMAIN_TAG = keccak256("GuardianNetwork.Breach.v1");
    /// @notice The hash-to-G2 DST of breach confirmations (containments use another).
    bytes public constant BREACH_DST = "GUARDIAN-NETWORK-V1-BREACH_BLS12381G2_XMD:SHA-256_SSWU_RO_";
    uint64 public constant MAX_CONFIRMATION_WINDOW = 30 days;
    uint64 public constant MIN_CONFIRMATION_WINDOW = 10 minutes;
    uint64 public constant MIN_CLAIM_PERIOD = 1 days;
    uint64 public constant MAX_CLAIM_PERIOD = 365 days;

    IGuardianOracle public immutable oracle;
    bytes32 public immutable protocolId;
    address public immutable claimsToken;
    uint256 public immutable maxPayout;
    uint256 public immutable deductible;
    uint64 public immutable confirmationWindow;
    uint64 public immutable claimPeriod;

    /// @inheritdoc ICoverPool
    uint256 public reserved;
    /// @dev engagedAt of the latest containment that was confirmed: its window is closed.
    uint64 private _confirmedEngagedAt;
    mapping(uint64 nonce => Breach) private _breaches;
    mapping(uint64 nonce => mapping(address account => bool)) private _claimed;

    /// @param asset_ The ERC-20 underwriters deposit and claims are paid in.
    /// @param oracle_ The GuardianOracle whose group key confirms breaches.
    /// @param terms_ The terms (see {CoverTerms}); checked here.
    constructor(IERC20 asset_, IGuardianOracle oracle_, CoverTerms memory terms_, string memory name_, string memory symbol_)
        ERC4626(asset_)
        ERC20(name_, symbol_)
    {
        if (address(oracle_) == address(0) || address(asset_) == address(0)) revert CoverInvalidTerms("zero address");
        if (terms_.claimsToken == address(0)) revert CoverInvalidTerms("claims token");
        if (terms_.maxPayout == 0) revert CoverInvalidTerms("max payout");
        if (terms_.deductible >= terms_.maxPayout) revert CoverInvalidTerms("deductible");
        if (terms_.confirmationWindow < MIN_CONFIRMATION_WINDOW || terms_.confirmationWindow > MAX_CONFIRMATION_WINDOW) {
            revert CoverInvalidTerms("confirmation window");
        }
        if (terms_.claimPeriod < MIN_CLAIM_PERIOD || terms_.claimPeriod > MAX_CLAIM_PERIOD) {
            revert CoverInvalidTerms("claim period");
        }
        if (!oracle_.isRegistered(terms_.protocolId)) revert CoverInvalidTerms("protocol not registered");
        oracle = oracle_;
        protocolId = terms_.protocolId;
        claimsToken = terms_.claimsToken;
        maxPayout = terms_.maxPayout;
        deductible = terms_.deductible;
        confirmationWindow = terms_.confirmationWindow;
        claimPeriod = terms_.claimPeriod;
    }

    // ------------------------------------------------------------------ underwriters (ERC-4626)

    /// @notice Assets that back the shares: the balance less what confirmed breaches set aside.
    function totalAssets() public view override returns (uint256) {
        uint256 balance = IERC20(asset()).balanceOf(address(this));
        return balance > reserved ? balance - reserved : 0;
    }

    /// @inheritdoc ICoverPool
    function incidentWindow() public view returns (bool open, uint64 closesAt) {
        (, uint64 engagedAt,,,) = oracle.containment(protocolId);
        if (engagedAt == 0 || engagedAt == _confirmedEngagedAt) return (false, 0);
        closesAt = engagedAt + confirmationWindow;
        open = block.timestamp <= closesAt;
    }

    function _requireWindowClosed() private view {
        (bool open, uint64 closesAt) = incidentWindow();
        if (open) revert CoverIncidentWindowOpen(closesAt);
    }

    /// @notice Deposit `assets`; refused while an incident window is open (a deposit then would
    /// buy shares at a price that does not yet reflect the loss).
    function deposit(uint256 assets, address receiver) public override returns (uint256) {
        _requireWindowClosed();
        return super.deposit(assets, receiver);
    }

    /// @notice Mint `shares`; refused while an incident window is open.
    function mint(uint256 shares, address receiver) public override returns (uint256) {
        _requireWindowClosed();
        return super.mint(shares, receiver);
    }

    /// @notice Withdraw `assets`; refused while an incident window is open (no run on the pool
    /// after an exploit starts).
    function withdraw(uint256 assets, address receiver, address owner) public override returns (uint256) {
        _requireWindowClosed();
        return super.withdraw(assets, receiver, owner);
    }

    /// @notice Redeem `shares`; refused while an incident window is open.
    function redeem(uint256 shares, address receiver, address owner) public override returns (uint256) {
        _requireWindowClosed();
        return super.redeem(shares, receiver, owner);
    }

    /// @dev ERC-4626: 0 while the window is open.
    function maxDeposit(address receiver) public view override returns (uint256) {
        (bool open,) = incidentWindow();
        return open ? 0 : super.maxDeposit(receiver);
    }

    /// @dev ERC-4626: 0 while the window is open.
    function maxMint(address receiver) public view override returns (uint256) {
        (bool open,) = incidentWindow();
        return open ? 0 : super.maxMint(receiver);
    }

    /// @dev ERC-4626: 0 while the window is open.
    function maxWithdraw(address owner) public view override returns (uint256) {
        (bool open,) = incidentWindow();
        return open ? 0 : super.maxWithdraw(owner);
    }

    /// @dev ERC-4626: 0 while the window is open.
    function maxRedeem(address owner) public view override returns (uint256) {
        (bool open,) = incidentWindow();
        return open ? 0 : super.maxRedeem(owner);
    }

    // ------------------------------------------------------------------ confirmation

    /// @inheritdoc ICoverPool
    function breachDigest(uint64 nonce, uint256 loss, uint64 snapshotBlock, bytes32 root, uint64 deadline)
        public
        view
        returns (bytes32)
    {
        return keccak256(
            abi.encode(BREACH_DOMAIN_TAG, block.chainid, address(this), protocolId, nonce, loss, snapshotBlock, root, deadline)
        );
    }

    /// @inheritdoc ICoverPool
    function confirmBreach(
        uint64 nonce,
        uint256 loss,
        uint64 snapshotBlock,
        bytes32 root,
        uint64 deadline,
        bytes calldata signature
    ) external nonReentrant {
        if (_breaches[nonce].loss != 0) revert CoverAlreadyConfirmed(nonce);
        if (block.timestamp > deadline) revert CoverDeadlineExpired(deadline);
        if (loss == 0) revert CoverInvalidConfirmation("zero loss");
        if (root == bytes32(0)) revert CoverInvalidConfirmation("zero root");
        if (snapshotBlock >= block.number) revert CoverInvalidConfirmation("snapshot not in the past");
        (, uint64 engagedAt,, bool hookSucceeded,) = oracle.containment(protocolId);
        if (engagedAt == 0 || !hookSucceeded || oracle.nonces(protocolId) != uint256(nonce) + 1) {
            revert CoverNoContainment(nonce);
        }
        if (block.timestamp > engagedAt + confirmationWindow) {
            revert CoverConfirmationWindowClosed(engagedAt + confirmationWindow);
        }
        if (signature.length != 256) revert CoverInvalidSignature();
        bytes32 digest = breachDigest(nonce, loss, snapshotBlock, root, deadline);
        if (!BLS.verify(oracle.groupPublicKey(), abi.encodePacked(digest), BREACH_DST, signature)) {
            revert CoverInvalidSignature();
        }
        uint256 payout = Math.min(Math.min(loss, maxPayout), totalAssets());
        uint64 claimsEndAt = uint64(block.timestamp) + claimPeriod;
        _breaches[nonce] = Breach(loss, payout, 0, snapshotBlock, claimsEndAt, root, false);
        reserved += payout;
        _confirmedEngagedAt = engagedAt;
        emit BreachConfirmed(nonce, loss, payout, snapshotBlock, root, claimsEndAt);
    }

    // ------------------------------------------------------------------ claims

    /// @inheritdoc ICoverPool
    function claim(uint64 nonce, address account, uint256 amount, bytes32[] calldata proof)
        external
        nonReentrant
        returns (uint256 paid)
    {
        Breach storage b = _breaches[nonce];
        if (b.loss == 0) revert CoverNotConfirmed(nonce);
        if (block.timestamp > b.claimsEndAt) revert CoverClaimPeriodOver(nonce, b.claimsEndAt);
        if (_claimed[nonce][account]) revert CoverAlreadyClaimed(nonce, account);
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
        if (!MerkleProof.verifyCalldata(proof, b.root, leaf)) revert CoverInvalidProof(account, amount);
        // amount * min(1, payout / loss); the tree's amounts add up to at most the loss, so the
        // gross amounts add up to at most the payout.
        uint256 gross = b.payout >= b.loss ? amount : Math.mulDiv(amount, b.payout, b.loss);
        if (gross > b.payout - b.grossClaimed) gross = b.payout - b.grossClaimed; // a tree over its loss
        if (gross <= deductible) revert CoverBelowDeductible(gross, deductible);
        paid = gross - deductible;
        _claimed[nonce][account] = true;
        b.grossClaimed += gross;
        reserved -= gross; // the deductible stays with the underwriters
        IERC20(asset()).safeTransfer(account, paid);
        emit Claimed(nonce, account, amount, paid);
    }

    /// @inheritdoc ICoverPool
    function releaseUnclaimed(uint64 nonce) external nonReentrant {
        Breach storage b = _breaches[nonce];
        if (b.loss == 0) revert CoverNotConfirmed(nonce);
        if (block.timestamp <= b.claimsEndAt) revert CoverClaimPeriodRunning(nonce, b.claimsEndAt);
        if (b.released) revert CoverAlreadyReleased(nonce);
        uint256 rest = b.payout - b.grossClaimed;
        b.released = true;
        reserved -= rest;
        emit UnclaimedReleased(nonce, rest);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ICoverPool
    function breach(uint64 nonce) external view returns (Breach memory) {
        return _breaches[nonce];
    }

    /// @inheritdoc ICoverPool
    function claimed(uint64 nonce, address account) external view returns (bool) {
        return _claimed[nonce][account];
    }

    /// @inheritdoc ICoverPool
    function terms() external view returns (CoverTerms memory) {
        return CoverTerms(protocolId, claimsToken, maxPayout, deductible, confirmationWindow, claimPeriod);
    }
}
