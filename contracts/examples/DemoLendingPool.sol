// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../src/Guardable.sol";
import {DemoAMM} from "./DemoAMM.sol";
import {DemoToken} from "./DemoToken.sol";

/// @title DemoLendingPool
/// @notice Lenders deposit USDd; borrowers post WETHd collateral and borrow USDd up to 75% of its
/// value. A per-transaction borrow limit (a common risk control) caps each loan.
///
/// THE PLANTED VULNERABILITY: collateral is valued at the AMM's *spot* price. Anyone can move that
/// price inside one transaction (buy WETHd with a large amount of USDd), borrow against the inflated
/// value, and sell the WETHd back: the pool keeps collateral worth far less than the loan. Because
/// of the per-transaction limit the drain takes many transactions, one per block; that is the
/// window in which the Guardian Network contains it.
///
/// Outflows (withdrawals, loans, collateral) go through Guardable's `_guardedOutflow`: under the
/// guardians' circuit breaker they are paid within the rate the governance set and wait above it
/// (the recipient claims them with `claimOutflow` once the breaker is off); a PAUSE stops them.
/// Loans are also stopped by a collateral lock, as withdrawals are.
///
/// `isSolvent()` is the invariant the guardians watch: the pool's debt must stay covered by its
/// collateral valued at `referencePrice` (a manipulation-resistant price a keeper maintains; a
/// TWAP in production) at the 80% liquidation threshold.
contract DemoLendingPool is Guardable {
    uint256 public constant LTV_BPS = 7_500;
    uint256 public constant LIQUIDATION_THRESHOLD_BPS = 8_000;

    DemoToken public immutable collateralToken; // WETHd
    DemoToken public immutable debtToken; // USDd
    DemoAMM public immutable amm;
    address public immutable keeper;
    uint256 public immutable maxBorrowPerTx;
    uint256 public referencePrice;

    uint256 public totalDeposits;
    uint256 public totalDebt;
    uint256 public totalCollateral;
    mapping(address => uint256) public deposits;
    mapping(address => uint256) public collateral;
    mapping(address => uint256) public debt;

    event Deposited(address indexed lender, uint256 amount);
    event Withdrawn(address indexed lender, uint256 amount);
    event CollateralPosted(address indexed borrower, uint256 amount);
    event CollateralWithdrawn(address indexed borrower, uint256 amount);
    event Borrowed(address indexed borrower, uint256 amount);
    event Repaid(address indexed borrower, uint256 amount);
    event ReferencePriceUpdated(uint256 price);
    /// @notice ERC-20 `Transfer` of the lenders' deposit receipts (minted on deposit, burned on
    /// withdrawal; not transferable): the pool's claims token for cover (docs/cover.md).
    event Transfer(address indexed from, address indexed to, uint256 value);

    error ExceedsBorrowLimit(uint256 requested, uint256 limit);
    error Undercollateralized(uint256 debt, uint256 capacity);
    error InsufficientLiquidity(uint256 requested, uint256 available);
    error NotKeeper();

    constructor(
        DemoToken collateralToken_,
        DemoToken debtToken_,
        DemoAMM amm_,
        uint256 maxBorrowPerTx_,
        address oracle,
        address governance
    ) Guardable(oracle, governance) {
        collateralToken = collateralToken_;
        debtToken = debtToken_;
        amm = amm_;
        maxBorrowPerTx = maxBorrowPerTx_;
        keeper = governance;
        referencePrice = amm_.spotPrice();
    }

    /// @notice Lend `amount` USDd to the pool.
    function deposit(uint256 amount) external whenNotGuardianPaused {
        debtToken.transferFrom(msg.sender, address(this), amount);
        deposits[msg.sender] += amount;
        totalDeposits += amount;
        emit Deposited(msg.sender, amount);
        emit Transfer(address(0), msg.sender, amount);
    }

    /// @notice Withdraw lent USDd (what is not lent out); under the circuit breaker, above its
    /// rate, the amount waits as the lender's pending claim.
    function withdraw(uint256 amount) external whenWithdrawalsNotLocked {
        deposits[msg.sender] -= amount;
        totalDeposits -= amount;
        _pay(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
        emit Transfer(msg.sender, address(0), amount);
    }

    /// @notice Post `amount` WETHd as collateral.
    function postCollateral(uint256 amount) external whenNotGuardianPaused {
        collateralToken.transferFrom(msg.sender, address(this), amount);
        collateral[msg.sender] += amount;
        totalCollateral += amount;
        emit CollateralPosted(msg.sender, amount);
    }

    /// @notice Borrow `amount` USDd against posted collateral (suspended while paused or locked;
    /// rate-limited under the circuit breaker).
    function borrow(uint256 amount) external whenNotGuardianPaused whenWithdrawalsNotLocked {
        if (amount > maxBorrowPerTx) revert ExceedsBorrowLimit(amount, maxBorrowPerTx);
        uint256 newDebt = debt[msg.sender] + amount;
        uint256 capacity = borrowCapacity(msg.sender);
        if (newDebt > capacity) revert Undercollateralized(newDebt, capacity);
        debt[msg.sender] = newDebt;
        totalDebt += amount;
        _pay(msg.sender, amount);
        emit Borrowed(msg.sender, amount);
    }

    /// @notice Repay `amount` USDd of debt.
    function repay(uint256 amount) external {
        debtToken.transferFrom(msg.sender, address(this), amount);
        debt[msg.sender] -= amount;
        totalDebt -= amount;
        emit Repaid(msg.sender, amount);
    }

    /// @notice Withdraw collateral that is not needed for the remaining debt.
    function withdrawCollateral(uint256 amount) external whenWithdrawalsNotLocked {
        collateral[msg.sender] -= amount;
        totalCollateral -= amount;
        uint256 capacity = borrowCapacity(msg.sender);
        if (debt[msg.sender] > capacity) revert Undercollateralized(debt[msg.sender], capacity);
        _guardedOutflow(address(collateralToken), msg.sender, amount);
        emit CollateralWithdrawn(msg.sender, amount);
    }

    /// @notice How much `borrower` may owe: 75% of collateral value AT THE AMM SPOT PRICE (the bug).
    function borrowCapacity(address borrower) public view returns (uint256) {
        return (collateral[borrower] * amm.spotPrice() * LTV_BPS) / 1e18 / 10_000;
    }

    /// @notice The invariant: total debt covered by total collateral at the reference price and
    /// the liquidation threshold.
    function isSolvent() external view returns (bool) {
        return totalDebt * 10_000 <= (totalCollateral * referencePrice * LIQUIDATION_THRESHOLD_BPS) / 1e18;
    }

    /// @notice A lender's deposit receipt balance (the claims token's ERC-20 view).
    function balanceOf(address lender) external view returns (uint256) {
        return deposits[lender];
    }

    /// @notice All deposit receipts (the claims token's ERC-20 view).
    function totalSupply() external view returns (uint256) {
        return totalDeposits;
    }

    /// @notice The claims view the guardians read (registered as the invariant entry whose calldata is
    /// this function's selector): how much of `token` `account` may rightfully take out of the pool
    /// right now. USDd: its deposit plus its unused borrowing power; WETHd: the collateral its debt
    /// does not need; plus what the circuit breaker's pending claims owe it. Read at the block
    /// before a transaction, so a price moved inside that transaction does not raise it.
    function claimOf(address account, address token) external view returns (uint256) {
        uint256 owed = debt[account];
        uint256 capacity = borrowCapacity(account);
        (uint256 pending,) = this.pendingOutflow(account, token);
        if (token == address(debtToken)) {
            return pending + deposits[account] + (capacity > owed ? capacity - owed : 0);
        }
        if (token == address(collateralToken)) {
            if (owed == 0) return pending + collateral[account];
            if (capacity <= owed) return pending;
            return pending + (collateral[account] * (capacity - owed)) / capacity;
        }
        return pending;
    }

    /// @notice USDd the pool holds and does not owe to pending claims (what an attacker can
    /// still take).
    function liquidity() public view returns (uint256) {
        return debtToken.balanceOf(address(this)) - pendingOutflowTotal[address(debtToken)];
    }

    /// @notice Keeper update of the manipulation-resistant reference price.
    function setReferencePrice(uint256 price) external {
        if (msg.sender != keeper) revert NotKeeper();
        referencePrice = price;
        emit ReferencePriceUpdated(price);
    }

    function _pay(address to, uint256 amount) private {
        uint256 available = liquidity();
        if (amount > available) revert InsufficientLiquidity(amount, available);
        _guardedOutflow(address(debtToken), to, amount);
    }
}
