"""How many protocols the oracle's registry holds, derived from what one guardian can watch.

Every guardian runs every detector over every registered protocol on every head, so the registry's
size bounds each guardian's work per head. The capacity is not picked by hand: it is the number of
protocols one guardian scans within the share of a block given to detection (the rest of the block
goes to gossip, threshold signing and submission), measured with the node's own detectors against
a local node (`python -m node.bench.watch_capacity`; docs/architecture-contracts.md, "Registry
capacity").

    measured (2 cores shared with four other jobs, noisy):  16.3 ms per protocol per head
    protocols per head = block ms * DETECTION_SHARE / MS_PER_PROTOCOL_PER_HEAD
                       = 61 at 2 s blocks, 367 at 12 s blocks
    MAX_PROTOCOLS = protocols per head at CAPACITY_BLOCK_SECONDS (12 s), rounded down to a power
                    of two = 256 (protocol/oracle_limits.py; a test keeps the two in step)

On a 2 s chain one guardian scans about 61 protocols per head at this cost: beyond that it falls
behind the head (the watch loop scans protocol after protocol), so a 2 s deployment needs faster
guardians or a smaller registry; the contract's cap is one value for every chain.

A stranger cannot fill it cheaply: each entry holds a refundable bond whose price rises as the
registry fills (`GuardianOracle.registrationBond`).
"""

from __future__ import annotations

# The share of a block a guardian spends detecting; the rest is consensus and submission.
DETECTION_SHARE = 0.5
# The block time the registry's capacity is sized for (seconds): Ethereum mainnet's.
CAPACITY_BLOCK_SECONDS = 12
# Measured: wall milliseconds one guardian spends scanning one protocol on one head with the demo
# protocol's rules (node/bench/watch_capacity.py, median head of 10, 32 protocols, anvil on the
# same 2-core machine under load from other jobs: an upper bound).
MS_PER_PROTOCOL_PER_HEAD = 16.3


def protocols_per_head(block_seconds: float, ms_per_protocol: float = MS_PER_PROTOCOL_PER_HEAD,
                       share: float = DETECTION_SHARE) -> int:
    """How many protocols one guardian scans within `share` of a `block_seconds` block."""
    if block_seconds <= 0 or ms_per_protocol <= 0 or not 0 < share <= 1:
        raise ValueError("block_seconds, ms_per_protocol and share must be positive (share <= 1)")
    return int(block_seconds * 1000 * share / ms_per_protocol)


def registry_capacity(block_seconds: float = CAPACITY_BLOCK_SECONDS,
                      ms_per_protocol: float = MS_PER_PROTOCOL_PER_HEAD) -> int:
    """The largest power of two not above `protocols_per_head` (at least 1)."""
    n = max(1, protocols_per_head(block_seconds, ms_per_protocol))
    return 1 << (n.bit_length() - 1)
