// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Guardable} from "../src/Guardable.sol";
import {DemoToken} from "../examples/DemoToken.sol";

/// @title CorpusDistributor
/// @notice An airdrop for the detection corpus: the governance allocates tokens, each account
/// claims its allocation itself (`claim`) or signs a claim a relayer submits (`claimBySig`).
/// THE PLANTED BUG (`replayBug`): the signed path neither consumes the nonce nor checks what was
/// already claimed, so one signature can be replayed until the distributor is empty.
contract CorpusDistributor is Guardable {
    DemoToken public immutable token;
    bool public immutable replayBug;
    uint256 public totalOutstanding;
    mapping(address => uint256) public allocation;
    mapping(address => uint256) public claimed;
    mapping(address => uint256) public nonces;

    event Claimed(address indexed account, address indexed to, uint256 amount);

    error NotGovernance(address caller);
    error BadSignature();
    error BadNonce(uint256 expected, uint256 got);
    error OverClaim(uint256 left, uint256 requested);

    constructor(DemoToken token_, bool replayBug_, address oracle, address governance) Guardable(oracle, governance) {
        token = token_;
        replayBug = replayBug_;
        // Under a circuit breaker, withdrawals beyond 10% of the balance per hour wait (queued,
        // claimable when it ends) instead of reverting; below that nothing waits.
        _setOutflowRateLimit(1_000, 3_600, 0);
    }

    function setAllocations(address[] calldata accounts, uint256[] calldata amounts) external {
        if (msg.sender != guardianGovernance) revert NotGovernance(msg.sender);
        for (uint256 i = 0; i < accounts.length; i++) {
            allocation[accounts[i]] += amounts[i];
            totalOutstanding += amounts[i];
        }
    }

    function claim() external whenWithdrawalsNotLocked {
        uint256 amount = allocation[msg.sender] - claimed[msg.sender];
        _pay(msg.sender, msg.sender, amount);
    }

    /// @notice Pay `amount` of `account`'s allocation to `to`, authorised by `account`'s signature
    /// over (this, account, to, amount, nonce) (EIP-191 personal message).
    function claimBySig(address account, address to, uint256 amount, uint256 nonce, uint8 v, bytes32 r, bytes32 s)
        external
        whenWithdrawalsNotLocked
    {
        bytes32 digest = keccak256(abi.encode(address(this), account, to, amount, nonce));
        bytes32 signed = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", digest));
        if (ecrecover(signed, v, r, s) != account || account == address(0)) revert BadSignature();
        if (replayBug) {
            // THE BUG: no nonce consumed, and only the allocation (not what is left) bounds it.
            if (amount > allocation[account]) revert OverClaim(allocation[account], amount);
        } else {
            if (nonce != nonces[account]) revert BadNonce(nonces[account], nonce);
            nonces[account] = nonce + 1;
            uint256 left = allocation[account] - claimed[account];
            if (amount > left) revert OverClaim(left, amount);
        }
        _pay(account, to, amount);
    }

    /// @notice The invariant: the distributor holds every allocation not yet claimed.
    function isFunded() external view returns (bool) {
        return token.balanceOf(address(this)) >= totalOutstanding;
    }

    /// @notice What `account` may rightfully take out now: its unclaimed allocation.
    function claimOf(address account, address token_) external view returns (uint256) {
        if (token_ != address(token)) return 0;
        (uint256 owed,) = this.pendingOutflow(account, token_); // queued under a circuit breaker
        return owed + (claimed[account] >= allocation[account] ? 0 : allocation[account] - claimed[account]);
    }

    function _pay(address account, address to, uint256 amount) private {
        claimed[account] = claimed[account] + amount > allocation[account] ? allocation[account] : claimed[account] + amount;
        totalOutstanding = totalOutstanding > amount ? totalOutstanding - amount : 0;
        _guardedOutflow(address(token), to, amount); // rate-limited by a circuit breaker
        emit Claimed(account, to, amount);
    }
}
