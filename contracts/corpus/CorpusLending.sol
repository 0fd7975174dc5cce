// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../src/Guardable.sol";
import {DemoAMM} from "../examples/DemoAMM.sol";
import {DemoToken} from "../examples/DemoToken.sol";

/// @title CorpusLending
/// @notice A lending market for the detection corpus: lenders deposit USDd, borrowers post WETHd
/// and borrow up to 75% of its value, liquidators repay unhealthy debt and seize the collateral
/// with a 5% bonus. THE PLANTED BUG (as in the demo pool): borrowing power is valued at the AMM's
/// spot price, which one transaction (funded by a flash loan) can move. Liquidation and solvency use
/// the keeper's reference price.
contract CorpusLending is Guardable {
    uint256 public constant LTV_BPS = 7_500;
    uint256 public constant LIQUIDATION_THRESHOLD_BPS = 8_000;
    uint256 public constant LIQUIDATION_BONUS_BPS = 500;

    DemoToken public immutable collateralToken;
    DemoToken public immutable debtToken;
    DemoAMM public immutable amm;
    uint256 public referencePrice;
    uint256 public totalDeposits;
    uint256 public totalDebt;
    uint256 public totalCollateral;
    mapping(address => uint256) public deposits;
    mapping(address => uint256) public collateral;
    mapping(address => uint256) public debt;
    /// @notice Every account that ever posted collateral (the positions a liquidator may take).
    address[] public borrowers;
    mapping(address => bool) private _known;

    event Liquidated(address indexed borrower, address indexed liquidator, uint256 repaid, uint256 seized);

    error Undercollateralized(uint256 debt, uint256 capacity);
    error Healthy(address borrower);
    error NotKeeper();

    constructor(DemoToken collateral_, DemoToken debt_, DemoAMM amm_, address oracle, address governance)
        Guardable(oracle, governance)
    {
        collateralToken = collateral_;
        debtToken = debt_;
        amm = amm_;
        referencePrice = amm_.spotPrice();
        // Under a circuit breaker, withdrawals beyond 10% of the balance per hour wait (queued,
        // claimable when it ends) instead of reverting; below that nothing waits.
        _setOutflowRateLimit(1_000, 3_600, 0);
    }

    function deposit(uint256 amount) external whenNotGuardianPaused {
        debtToken.transferFrom(msg.sender, address(this), amount);
        deposits[msg.sender] += amount;
        totalDeposits += amount;
    }

    function withdraw(uint256 amount) external whenWithdrawalsNotLocked {
        deposits[msg.sender] -= amount;
        totalDeposits -= amount;
        _guardedOutflow(address(debtToken), msg.sender, amount); // rate-limited by a circuit breaker
    }

    function postCollateral(uint256 amount) external whenNotGuardianPaused {
        collateralToken.transferFrom(msg.sender, address(this), amount);
        collateral[msg.sender] += amount;
        totalCollateral += amount;
        if (!_known[msg.sender]) {
            _known[msg.sender] = true;
            borrowers.push(msg.sender);
        }
    }

    function borrow(uint256 amount) external whenWithdrawalsNotLocked {
        uint256 newDebt = debt[msg.sender] + amount;
        uint256 capacity = borrowCapacity(msg.sender);
        if (newDebt > capacity) revert Undercollateralized(newDebt, capacity);
        debt[msg.sender] = newDebt;
        totalDebt += amount;
        _guardedOutflow(address(debtToken), msg.sender, amount);
    }

    function repay(uint256 amount) external {
        debtToken.transferFrom(msg.sender, address(this), amount);
        debt[msg.sender] -= amount;
        totalDebt -= amount;
    }

    function withdrawCollateral(uint256 amount) external whenWithdrawalsNotLocked {
        collateral[msg.sender] -= amount;
        totalCollateral -= amount;
        uint256 capacity = borrowCapacity(msg.sender);
        if (debt[msg.sender] > capacity) revert Undercollateralized(debt[msg.sender], capacity);
        _guardedOutflow(address(collateralToken), msg.sender, amount);
    }

    /// @notice Repay all of an unhealthy borrower's debt and seize its worth plus 5% in collateral
    /// (at the reference price; capped at what the borrower posted). Not blocked by a circuit
    /// breaker: liquidations keep the market solvent.
    function liquidate(address borrower) external whenNotGuardianPaused {
        uint256 owed = debt[borrower];
        uint256 seized = seizable(borrower);
        if (seized == 0) revert Healthy(borrower);
        debtToken.transferFrom(msg.sender, address(this), owed);
        debt[borrower] = 0;
        totalDebt -= owed;
        collateral[borrower] -= seized;
        totalCollateral -= seized;
        collateralToken.transfer(msg.sender, seized);
        emit Liquidated(borrower, msg.sender, owed, seized);
    }

    /// @notice The collateral a liquidator of `borrower` would seize now: its debt's worth plus 5%
    /// at the reference price (capped at what it posted); 0 while the position is healthy.
    function seizable(address borrower) public view returns (uint256 seized) {
        uint256 owed = debt[borrower];
        if (owed == 0 || owed * 10_000 <= (collateral[borrower] * referencePrice * LIQUIDATION_THRESHOLD_BPS) / 1e18) {
            return 0;
        }
        seized = (owed * 1e18 * (10_000 + LIQUIDATION_BONUS_BPS)) / referencePrice / 10_000;
        if (seized > collateral[borrower]) seized = collateral[borrower];
    }

    /// @notice 75% of the collateral AT THE AMM SPOT PRICE (the bug).
    function borrowCapacity(address borrower) public view returns (uint256) {
        return (collateral[borrower] * amm.spotPrice() * LTV_BPS) / 1e18 / 10_000;
    }

    function liquidity() public view returns (uint256) {
        return debtToken.balanceOf(address(this)) - pendingOutflowTotal[address(debtToken)];
    }

    /// @notice The invariant: debt covered by collateral at the reference price and the
    /// liquidation threshold.
    function isSolvent() external view returns (bool) {
        return totalDebt * 10_000 <= (totalCollateral * referencePrice * LIQUIDATION_THRESHOLD_BPS) / 1e18;
    }

    /// @notice What `account` may rightfully take out now: its deposit plus its remaining
    /// borrowing power in USDd; in WETHd its collateral not needed for its debt, plus what anyone
    /// may seize by liquidating the positions unhealthy now (a liquidator's right, paid for with
    /// the debt it repays: a crash's liquidations are not an extraction).
    function claimOf(address account, address token) external view returns (uint256) {
        (uint256 owed,) = this.pendingOutflow(account, token); // queued under a circuit breaker
        return owed + _claimOf(account, token);
    }

    function _claimOf(address account, address token) private view returns (uint256) {
        uint256 capacity = borrowCapacity(account);
        if (token == address(debtToken)) {
            uint256 headroom = capacity > debt[account] ? capacity - debt[account] : 0;
            return deposits[account] + headroom;
        }
        if (token == address(collateralToken)) {
            uint256 price = amm.spotPrice();
            uint256 needed = price == 0 ? 0 : (debt[account] * 1e18 * 10_000) / (price * LTV_BPS);
            uint256 free = collateral[account] > needed ? collateral[account] - needed : 0;
            uint256 n = borrowers.length;
            for (uint256 i; i < n; ++i) {
                free += seizable(borrowers[i]);
            }
            return free;
        }
        return 0;
    }

    function setReferencePrice(uint256 price) external {
        if (msg.sender != guardianGovernance) revert NotKeeper();
        referencePrice = price;
    }
}
