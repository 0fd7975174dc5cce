"""The bounds the GuardianOracle enforces, stated once.

The contract's constants are generated from this module (`contracts/src/oracle/OracleConstants.sol`,
by `python -m node.contract_spec`), and the node validates a registration against the same values
before it sends a transaction (`node.registration`). A test regenerates the Solidity file and
fails when it is stale; the forge tests read the deployed contract's public constants and compare
them with `protocol/vectors/guardian_oracle.json`, generated from here too.

    limit                       value        the oracle reverts with
    MAX_CONTAINMENT_DURATION    30 days      ...InvalidMaxDuration, ...InvalidExpiry (extension)
    MAX_COOLDOWN                30 days      ...InvalidCooldown
    MAX_GUARDIANS               1,024        ...InvalidThreshold (guardian count n)
    MAX_DETECTION_ENTRIES       16           ...TooManyDetectionEntries (each list)
    MAX_INVARIANT_CALLDATA      256 bytes    ...InvariantCalldataTooLong
    MAX_WINDOW_BLOCKS           50,400       ...InvalidWindowBlocks (one week of 12 s blocks)
    MAX_BPS                     10,000       ...InvalidBps
    HOOK_GAS_LIMIT              100,000      (the gas every protocol hook call receives)
"""

from __future__ import annotations

from protocol.guardian_set import MAX_GUARDIANS

DAY = 24 * 3600

MAX_CONTAINMENT_DURATION = 30 * DAY
MAX_COOLDOWN = 30 * DAY
MAX_DETECTION_ENTRIES = 16
MAX_INVARIANT_CALLDATA = 256
MAX_WINDOW_BLOCKS = 50_400
MAX_BPS = 10_000
HOOK_GAS_LIMIT = 100_000
# Gas the submitter must leave on top of the hook's 63/64-rule share: the cold account access of
# the call (2,600) and the few instructions between the oracle's check and the call.
HOOK_GAS_MARGIN = 5_000

# How the oracle calls a protocol: IGuardable.engageContainment, or a registered pause selector.
HOOK_KIND_GUARDABLE = 0
HOOK_KIND_SELECTOR = 1

# name -> (Solidity type, value): the constants of the generated OracleConstants.sol, in order.
CONTRACT_LIMITS: dict[str, tuple[str, int]] = {
    "MAX_CONTAINMENT_DURATION": ("uint64", MAX_CONTAINMENT_DURATION),
    "MAX_COOLDOWN": ("uint64", MAX_COOLDOWN),
    "MAX_GUARDIANS": ("uint16", MAX_GUARDIANS),
    "MAX_DETECTION_ENTRIES": ("uint256", MAX_DETECTION_ENTRIES),
    "MAX_INVARIANT_CALLDATA": ("uint256", MAX_INVARIANT_CALLDATA),
    "MAX_WINDOW_BLOCKS": ("uint32", MAX_WINDOW_BLOCKS),
    "MAX_BPS": ("uint16", MAX_BPS),
    "HOOK_GAS_LIMIT": ("uint256", HOOK_GAS_LIMIT),
    "HOOK_GAS_MARGIN": ("uint256", HOOK_GAS_MARGIN),
    "HOOK_KIND_GUARDABLE": ("uint8", HOOK_KIND_GUARDABLE),
    "HOOK_KIND_SELECTOR": ("uint8", HOOK_KIND_SELECTOR),
}
