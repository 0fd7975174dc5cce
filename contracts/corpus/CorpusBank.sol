// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../src/Guardable.sol";
import {DemoToken} from "../examples/DemoToken.sol";

/// @title CorpusBank
/// @notice A one-token deposit bank for the detection corpus (node/corpus). Lenders deposit and
/// withdraw their own balance; the governance can grant roles, set a fee and migrate the bank to a
/// new version. Two planted bugs, each switched on per instance at construction:
/// - `reentrantPayout`: `withdraw` pays (and notifies a contract receiver) before it updates the
///   books, so the receiver can re-enter and withdraw the same balance again (reentrancy drain).
/// - `openSweep`: `sweep` forgot its access check: anyone can move the bank's tokens out
///   (missing access control).
contract CorpusBank is Guardable {
    DemoToken public immutable token;
    bool public immutable reentrantPayout;
    bool public immutable openSweep;
    uint256 public totalDeposits;
    uint256 public feeBps;
    address public migratedTo;
    mapping(address => uint256) public deposits;
    mapping(bytes32 => mapping(address => bool)) public hasRole;

    event Deposited(address indexed account, uint256 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event RoleGranted(bytes32 indexed role, address indexed account, address indexed sender);
    event FeeSet(uint256 feeBps);
    event Migrated(address indexed to, uint256 amount);

    error NotGovernance(address caller);
    error InsufficientDeposit(uint256 balance, uint256 requested);
    error AlreadyMigrated();

    constructor(DemoToken token_, bool reentrantPayout_, bool openSweep_, address oracle, address governance)
        Guardable(oracle, governance)
    {
        token = token_;
        reentrantPayout = reentrantPayout_;
        // Under a circuit breaker, withdrawals beyond 10% of the balance per hour wait (queued,
        // claimable when it ends) instead of reverting; below that nothing waits.
        _setOutflowRateLimit(1_000, 3_600, 0);
        openSweep = openSweep_;
    }

    modifier onlyGovernance() {
        if (msg.sender != guardianGovernance) revert NotGovernance(msg.sender);
        _;
    }

    function deposit(uint256 amount) external whenNotGuardianPaused {
        token.transferFrom(msg.sender, address(this), amount);
        deposits[msg.sender] += amount;
        totalDeposits += amount;
        emit Deposited(msg.sender, amount);
    }

    /// @notice Withdraw `amount` of the caller's own deposit (blocked by a PAUSE or a withdrawal
    /// lock; rate-limited by a circuit breaker: above the rate it waits, queued for the caller).
    function withdraw(uint256 amount) external whenWithdrawalsNotLocked {
        uint256 balance = deposits[msg.sender];
        if (amount > balance) revert InsufficientDeposit(balance, amount);
        if (reentrantPayout) {
            // THE BUG: interaction before effects, with the stale balance written back afterwards.
            _pay(msg.sender, amount);
            deposits[msg.sender] = balance - amount;
            totalDeposits = totalDeposits > amount ? totalDeposits - amount : 0;
        } else {
            deposits[msg.sender] = balance - amount;
            totalDeposits -= amount;
            if (_guardedOutflow(address(token), msg.sender, amount)) _notify(msg.sender, amount);
        }
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice Move tokens the bank holds (meant for the governance's rescue of stray tokens).
    function sweep(address to, uint256 amount) external whenNotGuardianPaused {
        if (!openSweep && msg.sender != guardianGovernance) revert NotGovernance(msg.sender); // the bug: openSweep
        token.transfer(to, amount);
    }

    function grantRole(bytes32 role, address account) external onlyGovernance {
        hasRole[role][account] = true;
        emit RoleGranted(role, account, msg.sender);
    }

    function setFeeBps(uint256 fee) external onlyGovernance {
        feeBps = fee;
        emit FeeSet(fee);
    }

    /// @notice The team moves every token to the bank's next version (which credits the lenders).
    function migrate(address to) external onlyGovernance {
        if (migratedTo != address(0)) revert AlreadyMigrated();
        migratedTo = to;
        uint256 amount = token.balanceOf(address(this));
        token.transfer(to, amount);
        emit Migrated(to, amount);
    }

    /// @notice The invariant: the bank holds what it owes (or has been migrated).
    function isBacked() external view returns (bool) {
        return migratedTo != address(0) || token.balanceOf(address(this)) >= totalDeposits;
    }

    /// @notice What `account` may rightfully take out now: its own deposit.
    function claimOf(address account, address token_) external view returns (uint256) {
        if (token_ != address(token)) return 0;
        (uint256 owed,) = this.pendingOutflow(account, token_); // queued under a circuit breaker
        return owed + (migratedTo == address(0) ? deposits[account] : 0);
    }

    function _pay(address to, uint256 amount) private {
        token.transfer(to, amount);
        _notify(to, amount);
    }

    function _notify(address to, uint256 amount) private {
        if (to.code.length != 0) {
            // Contract receivers are told (a feature); a receiver without the hook is fine.
            (bool ok,) = to.call(abi.encodeWithSignature("onBankPayout(uint256)", amount));
            ok;
        }
    }
}
