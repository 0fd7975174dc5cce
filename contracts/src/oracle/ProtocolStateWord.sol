// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ProtocolStateWord
/// @notice {GuardianOracleRegistry.ProtocolState} as the one storage word it is, for the hot path
/// of {authorize}: one SLOAD, each field read with a shift and a mask, one SSTORE. Reading the
/// struct into memory unpacks all twelve members, and assigning it to storage reads and writes the
/// slot once per member; this does neither.
/// @dev The offsets are Solidity's own packing of the struct (its first member in the lowest
/// bits); OracleStateLayoutTest checks every field against what the compiler reads and writes.
library ProtocolStateWord {
    uint256 internal constant ALLOWED_ACTIONS = 0; // uint8
    uint256 internal constant PAUSE_SELECTOR = 8; // bytes4
    uint256 internal constant MAX_DURATION = 40; // uint24
    uint256 internal constant COOLDOWN = 64; // uint24
    uint256 internal constant NONCE = 88; // uint32
    uint256 internal constant ACTION = 120; // uint8
    uint256 internal constant REPLACED_ACTION = 128; // uint8
    uint256 internal constant FAILED_ACTION = 136; // uint8
    uint256 internal constant HOOK_SUCCEEDED = 144; // bool
    uint256 internal constant ENGAGED_AT = 152; // uint40
    uint256 internal constant HELD_FOR = 192; // uint24
    uint256 internal constant RELEASE_BLOCK = 216; // uint40

    /// @dev The policy (bits 0..87): what registration sets and an authorization keeps.
    uint256 internal constant POLICY_MASK = (uint256(1) << NONCE) - 1;
    uint256 internal constant NONCE_MASK = uint256(type(uint32).max) << NONCE;
    uint256 internal constant FAILED_ACTION_MASK = uint256(type(uint8).max) << FAILED_ACTION;
    uint256 internal constant HOOK_SUCCEEDED_MASK = uint256(type(uint8).max) << HOOK_SUCCEEDED;

    function load(bytes32 slot) internal view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(slot)
        }
    }

    function store(bytes32 slot, uint256 word) internal {
        assembly ("memory-safe") {
            sstore(slot, word)
        }
    }

    function allowedActions(uint256 word) internal pure returns (uint8) {
        return uint8(word >> ALLOWED_ACTIONS);
    }

    function pauseSelector(uint256 word) internal pure returns (bytes4) {
        return bytes4(uint32(word >> PAUSE_SELECTOR));
    }

    function maxDuration(uint256 word) internal pure returns (uint64) {
        return uint24(word >> MAX_DURATION);
    }

    function cooldown(uint256 word) internal pure returns (uint64) {
        return uint24(word >> COOLDOWN);
    }

    function nonce(uint256 word) internal pure returns (uint32) {
        return uint32(word >> NONCE);
    }

    function action(uint256 word) internal pure returns (uint8) {
        return uint8(word >> ACTION);
    }

    function failedAction(uint256 word) internal pure returns (uint8) {
        return uint8(word >> FAILED_ACTION);
    }

    function engagedAt(uint256 word) internal pure returns (uint64) {
        return uint40(word >> ENGAGED_AT);
    }

    /// @dev engagedAt + heldFor: when the latest containment ends (or ended); 0 before the first.
    function expiresAt(uint256 word) internal pure returns (uint64) {
        return uint64(uint40(word >> ENGAGED_AT)) + uint24(word >> HELD_FOR);
    }

    function releaseBlock(uint256 word) internal pure returns (uint64) {
        return uint40(word >> RELEASE_BLOCK);
    }

    /// @dev The word of a containment engaged now under `word`'s policy: the policy and the failed
    /// action kept, the nonce moved to `nextNonce`, `action_` (replacing `replaced`) in force for
    /// maxDuration, the hook succeeded, evidence from now on must start after this block.
    function engaged(uint256 word, uint32 nextNonce, uint8 action_, uint8 replaced) internal view returns (uint256 w) {
        // Values narrower than a word may carry dirty high bits in assembly: each is masked.
        assembly ("memory-safe") {
            w := or(
                or(
                    or(
                        and(word, or(sub(shl(NONCE, 1), 1), shl(FAILED_ACTION, 0xff))),
                        shl(NONCE, and(nextNonce, 0xffffffff))
                    ),
                    or(shl(ACTION, and(action_, 0xff)), shl(REPLACED_ACTION, and(replaced, 0xff)))
                ),
                or(
                    or(shl(HOOK_SUCCEEDED, 1), shl(ENGAGED_AT, and(timestamp(), 0xffffffffff))),
                    or(shl(HELD_FOR, and(shr(MAX_DURATION, word), 0xffffff)), shl(RELEASE_BLOCK, and(number(), 0xffffffffff)))
                )
            )
        }
    }

    /// @dev `word` after an authorization whose hook failed: only the nonce moves, the hook is
    /// marked failed and `action_` is refused until the hook is proven again.
    function hookFailed(uint256 word, uint32 nextNonce, uint8 action_) internal pure returns (uint256) {
        return (word & ~(NONCE_MASK | FAILED_ACTION_MASK | HOOK_SUCCEEDED_MASK)) | (uint256(nextNonce) << NONCE)
            | (uint256(action_) << FAILED_ACTION);
    }
}
