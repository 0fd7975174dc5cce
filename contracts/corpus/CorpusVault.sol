// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../src/Guardable.sol";
import {DemoToken} from "../examples/DemoToken.sol";

/// @title CorpusVault
/// @notice A minimal ERC-4626-style vault for the detection corpus. Its total assets are its token
/// balance (so a donation moves the share price) and it has no virtual shares: the first depositor
/// can inflate the share price and make the next deposit round to zero shares (the inflation
/// attack). `roundingBug` makes `withdraw` round the shares it burns DOWN instead of up, so a
/// withdrawal smaller than one share's worth burns nothing (the rounding drain). The governance
/// may set an entry fee (kept by the vault, for its holders): a legitimate deposit credited less
/// than it paid, which the guardians' dilution rule must not mistake for the inflation attack.
contract CorpusVault is Guardable {
    DemoToken public immutable asset;
    bool public immutable roundingBug;
    uint256 public totalSupply;
    uint256 public entryFeeBps;
    mapping(address => uint256) public balanceOf;

    /// @notice ERC-4626's Deposit event (the record of a deposit the guardians' DILUTION rule
    /// reads: a zero-share deposit still emits it).
    event Deposit(address indexed sender, address indexed owner, uint256 assets, uint256 shares);
    event Withdraw(address indexed owner, uint256 assets, uint256 shares);

    error InsufficientShares(uint256 balance, uint256 needed);
    error NotGovernance(address caller);
    error FeeTooHigh(uint256 bps);

    constructor(DemoToken asset_, bool roundingBug_, address oracle, address governance)
        Guardable(oracle, governance)
    {
        asset = asset_;
        roundingBug = roundingBug_;
        // Under a circuit breaker, withdrawals beyond 10% of the balance per hour wait (queued,
        // claimable when it ends) instead of reverting; below that nothing waits.
        _setOutflowRateLimit(1_000, 3_600, 0);
    }

    /// @notice The balance (donations included: the planted inflation bug), less what a circuit
    /// breaker queued for holders who already burned their shares.
    function totalAssets() public view returns (uint256) {
        return asset.balanceOf(address(this)) - pendingOutflowTotal[address(asset)];
    }

    function convertToAssets(uint256 shares) public view returns (uint256) {
        return totalSupply == 0 ? shares : (shares * totalAssets()) / totalSupply;
    }

    /// @notice The governance sets the entry fee, at most 5%.
    function setEntryFee(uint256 bps) external {
        if (msg.sender != guardianGovernance) revert NotGovernance(msg.sender);
        if (bps > 500) revert FeeTooHigh(bps);
        entryFeeBps = bps;
    }

    function deposit(uint256 assets) external whenNotGuardianPaused returns (uint256 shares) {
        uint256 net = assets - (assets * entryFeeBps) / 10_000;
        shares = totalSupply == 0 ? net : (net * totalSupply) / totalAssets();
        asset.transferFrom(msg.sender, address(this), assets);
        totalSupply += shares;
        balanceOf[msg.sender] += shares;
        emit Deposit(msg.sender, msg.sender, assets, shares);
    }

    function redeem(uint256 shares) external whenWithdrawalsNotLocked returns (uint256 assets) {
        assets = convertToAssets(shares);
        _burn(msg.sender, shares);
        _guardedOutflow(address(asset), msg.sender, assets); // rate-limited by a circuit breaker
        emit Withdraw(msg.sender, assets, shares);
    }

    function withdraw(uint256 assets) external whenWithdrawalsNotLocked returns (uint256 shares) {
        uint256 supply = totalSupply;
        uint256 held = totalAssets();
        shares = roundingBug ? (assets * supply) / held : (assets * supply + held - 1) / held;
        _burn(msg.sender, shares);
        _guardedOutflow(address(asset), msg.sender, assets);
        emit Withdraw(msg.sender, assets, shares);
    }

    /// @notice What `account` may rightfully take out now: its shares' worth, plus what a circuit
    /// breaker queued for it.
    function claimOf(address account, address token) external view returns (uint256) {
        if (token != address(asset)) return 0;
        (uint256 owed,) = this.pendingOutflow(account, token);
        return owed + convertToAssets(balanceOf[account]);
    }

    function _burn(address owner, uint256 shares) private {
        uint256 balance = balanceOf[owner];
        if (balance < shares) revert InsufficientShares(balance, shares);
        balanceOf[owner] = balance - shares;
        totalSupply -= shares;
    }
}
