// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice The terms of a cover pool, fixed at creation and public.
/// @param protocolId The covered protocol: its id in the GuardianOracle.
/// @param claimsToken The protocol's share or receipt token; its holders at the snapshot block are
/// the affected accounts (the guardians compute the tree; the pool only checks their signature).
/// @param maxPayout The most one confirmed incident can pay in all, in the asset's units.
/// @param deductible Subtracted from every claim, in the asset's units.
/// @param confirmationWindow Seconds after a containment during which a breach may be confirmed
/// and underwriters cannot withdraw (at most MAX_CONFIRMATION_WINDOW).
/// @param claimPeriod Seconds after a confirmation during which accounts may claim; what is
/// unclaimed then returns to the underwriters (at least MIN_CLAIM_PERIOD).
struct CoverTerms {
    bytes32 protocolId;
    address claimsToken;
    uint256 maxPayout;
    uint256 deductible;
    uint64 confirmationWindow;
    uint64 claimPeriod;
}

/// @notice A confirmed breach: what the guardians signed and what it pays.
/// @param loss The confirmed loss (the sum of the tree's amounts is at most this).
/// @param payout What the pool set aside: min(loss, maxPayout, free assets) at confirmation.
/// @param grossClaimed Sum of `amount * payout / loss` over the accounts that claimed.
/// @param snapshotBlock The block whose claims-token holders are the affected accounts.
/// @param claimsEndAt When claiming ends.
/// @param root The Merkle root of (account, amount) leaves (OpenZeppelin StandardMerkleTree).
/// @param released Whether the unclaimed rest went back to the underwriters.
struct Breach {
    uint256 loss;
    uint256 payout;
    uint256 grossClaimed;
    uint64 snapshotBlock;
    uint64 claimsEndAt;
    bytes32 root;
    bool released;
}

/// @title ICoverPool
/// @notice Cover for the users of one protocol, paid when the guardians confirm a breach.
interface ICoverPool {
    /// @notice The guardians confirmed a breach of the covered protocol's incident `nonce`.
    event BreachConfirmed(
        uint64 indexed nonce, uint256 loss, uint256 payout, uint64 snapshotBlock, bytes32 root, uint64 claimsEndAt
    );
    /// @notice `account` was paid `paid` for incident `nonce` (its tree amount was `amount`).
    event Claimed(uint64 indexed nonce, address indexed account, uint256 amount, uint256 paid);
    /// @notice The unclaimed rest of incident `nonce` went back to the underwriters.
    event UnclaimedReleased(uint64 indexed nonce, uint256 amount);

    /// @notice The terms are out of bounds (which one: the message).
    error CoverInvalidTerms(string what);
    /// @notice Only the protocol's registered admin in the oracle may create its cover.
    error CoverNotProtocolAdmin(address caller, address admin);
    /// @notice Underwriters cannot withdraw or deposit while an incident window is open.
    error CoverIncidentWindowOpen(uint64 closesAt);
    /// @notice No containment of the covered protocol was engaged at `nonce` (or a later
    /// authorization happened since).
    error CoverNoContainment(uint64 nonce);
    /// @notice The confirmation window of the containment closed at `closedAt`.
    error CoverConfirmationWindowClosed(uint64 closedAt);
    /// @notice The confirmation's deadline passed.
    error CoverDeadlineExpired(uint64 deadline);
    /// @notice Incident `nonce` is already confirmed (a confirmation is used once).
    error CoverAlreadyConfirmed(uint64 nonce);
    /// @notice A confirmation must name a loss, a Merkle root and a snapshot before the containment.
    error CoverInvalidConfirmation(string what);
    /// @notice The signature is not the group key's signature over this confirmation.
    error CoverInvalidSignature();
    /// @notice Incident `nonce` has no confirmed breach.
    error CoverNotConfirmed(uint64 nonce);
    /// @notice The claim period of incident `nonce` ended at `endedAt`.
    error CoverClaimPeriodOver(uint64 nonce, uint64 endedAt);
    /// @notice The claim period of incident `nonce` runs until `endsAt`.
    error CoverClaimPeriodRunning(uint64 nonce, uint64 endsAt);
    /// @notice `account` already claimed for incident `nonce`.
    error CoverAlreadyClaimed(uint64 nonce, address account);
    /// @notice The proof does not show (account, amount) in the incident's tree.
    error CoverInvalidProof(address account, uint256 amount);
    /// @notice The claim pays nothing after the deductible.
    error CoverBelowDeductible(uint256 gross, uint256 deductible);
    /// @notice The unclaimed rest of incident `nonce` was already released.
    error CoverAlreadyReleased(uint64 nonce);

    /// @notice Record the guardians' confirmation of a breach of the covered protocol at its
    /// incident `nonce` (the oracle nonce its containment used). Anyone may submit it.
    /// @param nonce The containment's nonce: `oracle.nonces(protocolId) == nonce + 1` and that
    /// authorization engaged a containment no longer ago than the confirmation window.
    /// @param loss The loss the guardians computed (> 0).
    /// @param snapshotBlock The block before the first exploit transaction.
    /// @param root The Merkle root of the affected accounts.
    /// @param deadline The signature is void after it.
    /// @param signature The group key's BLS signature (EIP-2537 G2, 256 bytes) over
    /// {breachDigest}, hashed with the breach DST.
    function confirmBreach(
        uint64 nonce,
        uint256 loss,
        uint64 snapshotBlock,
        bytes32 root,
        uint64 deadline,
        bytes calldata signature
    ) external;

    /// @notice Pay `account` its share of incident `nonce`: `amount * min(1, payout / loss)` less
    /// the deductible, to the account itself. Anyone may submit it; once per account.
    function claim(uint64 nonce, address account, uint256 amount, bytes32[] calldata proof)
        external
        returns (uint256 paid);

    /// @notice After the claim period, return the unclaimed rest to the underwriters. Anyone.
    function releaseUnclaimed(uint64 nonce) external;

    /// @notice The digest the guardians sign for a confirmation:
    /// keccak256(abi.encode(BREACH_DOMAIN_TAG, chainid, this, protocolId, nonce, loss,
    /// snapshotBlock, root, deadline)).
    function breachDigest(uint64 nonce, uint256 loss, uint64 snapshotBlock, bytes32 root, uint64 deadline)
        external
        view
        returns (bytes32);

    /// @notice Whether an incident window is open now, and when it closes.
    function incidentWindow() external view returns (bool open, uint64 closesAt);

    /// @notice The record of incident `nonce` (all zero if not confirmed).
    function breach(uint64 nonce) external view returns (Breach memory);

    /// @notice Whether `account` claimed for incident `nonce`.
    function claimed(uint64 nonce, address account) external view returns (bool);

    /// @notice Assets set aside for confirmed, not yet claimed or released, payouts.
    function reserved() external view returns (uint256);

    /// @notice The terms.
    function terms() external view returns (CoverTerms memory);
}
