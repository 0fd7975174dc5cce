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

    /// @dev What an engagement keeps: the policy (bits 0..87) and the failed action. A literal,
    /// for assembly; OracleStateLayoutTest checks it against the offsets.
    uint256 internal constant ENGAGE_KEEP_MASK = 0xff000000000000ffffffffffffffffffffff;
    /// @dev What a failed hook keeps: all but the nonce, the failed action and the hook flag.
    uint256 internal constant FAILED_KEEP_MASK = 0xffffffffffffffffffffffffff0000ffff00000000ffffffffffffffffffffff;
    /// @dev One nonce step (1 << NONCE), and the nonce field's largest value.
    uint256 internal constant NONCE_ONE = 0x10000000000000000000000;
    uint256 internal constant NONCE_MAX = 0xffffffff;

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
    /// action kept, the nonce moved on by one, `action_` (replacing `replaced`) in force for
    /// maxDuration, the hook succeeded, evidence from now on must start after this block.
    function engaged(uint256 word, uint8 action_, uint8 replaced) internal view returns (uint256 w) {
        _requireNonceLeft(word);
        // Values narrower than a word may carry dirty high bits in assembly: each is masked.
        assembly ("memory-safe") {
            w := or(
                or(
                    or(and(word, ENGAGE_KEEP_MASK), and(add(word, NONCE_ONE), shl(NONCE, NONCE_MAX))),
                    or(shl(ACTION, and(action_, 0xff)), shl(REPLACED_ACTION, and(replaced, 0xff)))
                ),
                or(
                    or(shl(HOOK_SUCCEEDED, 1), shl(ENGAGED_AT, and(timestamp(), 0xffffffffff))),
                    or(shl(HELD_FOR, and(shr(MAX_DURATION, word), 0xffffff)), shl(RELEASE_BLOCK, and(number(), 0xffffffffff)))
                )
            )
        }
    }

    /// @dev `word` after an authorization whose hook failed: only the nonce moves (by one), the
    /// hook is marked failed and `action_` is refused until the hook is proven again.
    function hookFailed(uint256 word, uint8 action_) internal pure returns (uint256 w) {
        _requireNonceLeft(word);
        assembly ("memory-safe") {
            w := or(
                or(and(word, FAILED_KEEP_MASK), and(add(word, NONCE_ONE), shl(NONCE, NONCE_MAX))),
                shl(FAILED_ACTION, and(action_, 0xff))
            )
        }
    }

    /// @dev The nonce field never wraps: after 4 billion authorizations, Panic(0x11) as checked
    /// arithmetic would.
    function _requireNonceLeft(uint256 word) private pure {
        if (uint32(word >> NONCE) == NONCE_MAX) {
            assembly ("memory-safe") {
                mstore(0x00, shl(224, 0x4e487b71)) // Panic(uint256)
                mstore(0x04, 0x11) // arithmetic overflow
                revert(0x00, 0x24)
            }
        }
    }
}
