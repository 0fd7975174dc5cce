"""The bounds the GuardianOracle enforces, stated once.

The contract's constants are generated from this module (`contracts/src/oracle/OracleConstants.sol`,
by `python -m node.contract_spec`), and the node validates a registration against the same values
before it sends a transaction (`node.registration`). A test regenerates the Solidity file and
fails when it is stale; the forge tests read the deployed contract's public constants and compare
them with `protocol/vectors/guardian_oracle.json`, generated from here too.

    limit                       value        the oracle reverts with
    MIN_CONTAINMENT_DURATION    1 hour       ...InvalidMaxDuration (bounds the grief loop, below)
    MAX_CONTAINMENT_DURATION    30 days      ...InvalidMaxDuration; also the total of a containment
                                             with its extensions, from engagement: ...InvalidExpiry
    MIN_COOLDOWN                10 minutes   ...InvalidCooldown
    MAX_COOLDOWN                30 days      ...InvalidCooldown
    MAX_PROTOCOLS               256          ...RegistryFull (entries in force or proposed; what one
                                             guardian scans per 12 s head: registry_capacity.py)
    MAX_PROTOCOLS_PER_ADMIN     16           ...AdminLimitReached
    MAX_GUARDIANS               1,024        ...InvalidThreshold (guardian count n)
    MAX_DETECTION_ENTRIES       16           ...TooManyDetectionEntries (each list)
    MAX_INVARIANT_CALLDATA      256 bytes    ...InvariantCalldataTooLong
    MAX_WINDOW_BLOCKS           50,400       ...InvalidWindowBlocks (one week of 12 s blocks)
    MAX_BPS                     10,000       ...InvalidBps
    HOOK_GAS_LIMIT              100,000      (the gas every protocol hook call receives)
    HOOK_GAS_MARGIN             10,000       ...InsufficientGasForHook (see below)
    VERIFY_GAS_RESERVE          180,000      ...InsufficientGasForVerification
    KEY_ROTATION_EXPIRY         7 days       ...RotationExpired (a queued rotation not executed
                                             within this time after it became executable)

A registrant cannot buy an endless stream of containments: with MIN_CONTAINMENT_DURATION and
MIN_COOLDOWN at most 24 h / (1 h + 10 min), about 20 containments a day, can be authorized for one
protocol, and at most MAX_PROTOCOLS protocols exist.
"""

from __future__ import annotations

from protocol.guardian_set import MAX_GUARDIANS

DAY = 24 * 3600

MIN_CONTAINMENT_DURATION = 3600
MAX_CONTAINMENT_DURATION = 30 * DAY
MIN_COOLDOWN = 600
MAX_COOLDOWN = 30 * DAY
# Derived, not picked: what one guardian scans per 12 s head (protocol/registry_capacity.py).
MAX_PROTOCOLS = 256
MAX_PROTOCOLS_PER_ADMIN = 16
MAX_DETECTION_ENTRIES = 16
MAX_INVARIANT_CALLDATA = 256
MAX_WINDOW_BLOCKS = 50_400
MAX_BPS = 10_000
HOOK_GAS_LIMIT = 100_000
# Gas the submitter must leave on top of the hook's 63/64-rule share: the cold account access of
# the call (2,600), a second cold access when the target is an EIP-7702 delegated account (2,600),
# and the few instructions between the oracle's check and the call.
HOOK_GAS_MARGIN = 10_000
# Gas that must be left when the BLS check starts (hash to G2 ~55,000, the pairing's fixed
# 110,000 allowance and its 1/64 share): with less, the oracle reverts with its own error instead
# of letting the pairing run out of gas and report a valid signature as invalid.
VERIFY_GAS_RESERVE = 180_000
# A queued key rotation that was not executed within this time after it became executable lapses.
KEY_ROTATION_EXPIRY = 7 * DAY
# A registration its admin never accepted may be evicted after this (its bond goes back).
PENDING_REGISTRATION_TTL = 7 * DAY
# An admin has this long to repair a hook that failed at an authorization before anyone may evict
# the registration (and take its bond) if the hook still fails.
HOOK_REPAIR_PERIOD = 7 * DAY
# What one authorization whose hook failed costs its submitter, in gas (measured: intrinsic gas,
# calldata and execution of a failed OpenZeppelin selector hook); the registrant's bond pays it.
FAILED_HOOK_CHARGE_GAS = 250_000

# The bond of the first registration in an empty registry, in the chain's native token (wei): a
# deployment parameter (GuardianOracle's constructor), not a contract constant; the price rises as
# base * MAX_PROTOCOLS / free entries, so filling the registry locks about base * MAX_PROTOCOLS *
# ln(MAX_PROTOCOLS). Every bond is refunded on deregistration; only eviction and failed hooks
# take from it. A deployer on a chain whose native token is worth far less than ether's raises it.
DEFAULT_REGISTRATION_BOND = 10**18

# How the oracle calls a protocol: IGuardable.engageContainment, or a registered pause selector.
HOOK_KIND_GUARDABLE = 0
HOOK_KIND_SELECTOR = 1

# name -> (Solidity type, value): the constants of the generated OracleConstants.sol, in order.
CONTRACT_LIMITS: dict[str, tuple[str, int]] = {
    "MIN_CONTAINMENT_DURATION": ("uint64", MIN_CONTAINMENT_DURATION),
    "MAX_CONTAINMENT_DURATION": ("uint64", MAX_CONTAINMENT_DURATION),
    "MIN_COOLDOWN": ("uint64", MIN_COOLDOWN),
    "MAX_COOLDOWN": ("uint64", MAX_COOLDOWN),
    "MAX_PROTOCOLS": ("uint256", MAX_PROTOCOLS),
    "MAX_PROTOCOLS_PER_ADMIN": ("uint256", MAX_PROTOCOLS_PER_ADMIN),
    "MAX_GUARDIANS": ("uint16", MAX_GUARDIANS),
    "MAX_DETECTION_ENTRIES": ("uint256", MAX_DETECTION_ENTRIES),
    "MAX_INVARIANT_CALLDATA": ("uint256", MAX_INVARIANT_CALLDATA),
    "MAX_WINDOW_BLOCKS": ("uint32", MAX_WINDOW_BLOCKS),
    "MAX_BPS": ("uint16", MAX_BPS),
    "HOOK_GAS_LIMIT": ("uint256", HOOK_GAS_LIMIT),
    "HOOK_GAS_MARGIN": ("uint256", HOOK_GAS_MARGIN),
    "VERIFY_GAS_RESERVE": ("uint256", VERIFY_GAS_RESERVE),
    "PENDING_REGISTRATION_TTL": ("uint64", PENDING_REGISTRATION_TTL),
    "HOOK_REPAIR_PERIOD": ("uint64", HOOK_REPAIR_PERIOD),
    "FAILED_HOOK_CHARGE_GAS": ("uint256", FAILED_HOOK_CHARGE_GAS),
    "KEY_ROTATION_EXPIRY": ("uint64", KEY_ROTATION_EXPIRY),
    "HOOK_KIND_GUARDABLE": ("uint8", HOOK_KIND_GUARDABLE),
    "HOOK_KIND_SELECTOR": ("uint8", HOOK_KIND_SELECTOR),
}
