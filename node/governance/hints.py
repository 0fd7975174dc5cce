"""One line of advice for the oracle reverts a protocol team meets most, keyed by error name."""

from __future__ import annotations

import re

from web3 import Web3

from node.chain.revert import Revert
from protocol.oracle_limits import MAX_PROTOCOLS, MAX_PROTOCOLS_PER_ADMIN

HINTS = {
    "GuardianOracleNoConsent":
        "only the target's owner(), a holder of its DEFAULT_ADMIN_ROLE or its "
        "guardianGovernance() may register it (never the target itself): send (or propose) "
        "from that account",
    "GuardianOracleBondTooLow":
        "send at least the oracle's registrationBond() (it rises as the registry fills; all of "
        "it is refundable): leave --bond out to send the current price",
    "GuardianOracleNotPending":
        "no registration proposal waits for acceptance here (see `guardian protocol show`)",
    "GuardianOracleNotEvictable":
        "this entry's target runs and its hook works (or its repair period / acceptance time "
        "has not run out)",
    "GuardianOracleHookProbeFailed":
        "the oracle could not make the hook call: grant the oracle the pausing role first "
        "(e.g. PAUSER_ROLE), check --selector is the target's pause function, that a Guardable "
        "target names this oracle, and that the target is not paused",
    "GuardianOracleAdminLimitReached":
        f"this admin already administers {MAX_PROTOCOLS_PER_ADMIN} protocols: name another "
        "admin or deregister one",
    "GuardianOracleRegistryFull":
        f"the registry holds its maximum of {MAX_PROTOCOLS} entries (in force or proposed): "
        "wait for a deregistration, or evict an entry whose target cannot run (`guardian "
        "protocol evict`)",
    "GuardianOracleCooldownActive":
        "the protocol's cooldown runs until availableAt; before then only a PAUSE after a "
        "weaker action (circuit breaker, collateral lock) can engage",
    "GuardianOracleContainmentActive":
        "a containment is in force: lift it, or wait for expiresAt",
    "GuardianOracleUnauthorized":
        "only the protocol's registered admin may do this (see `guardian protocol show`); a key "
        "rotation only the oracle's governance (see `guardian key-rotation status`)",
    "GuardianOracleAlreadyRegistered":
        "already registered: change it with `guardian protocol update`",
    "GuardianOracleNotRegistered":
        "no such registration: check --target (see `guardian protocol show`)",
    "GuardianOracleNoActiveContainment":
        "no containment is in force (see `guardian protocol show`)",
    "GuardianOracleInvalidExpiry":
        "the new expiry must be later than the current one and at most 30 days after the "
        "containment was engaged",
    "GuardianOracleAdminMismatch":
        "update cannot change the admin: use transfer-admin, then accept-admin",
    "GuardianOracleHookFailed":
        "the target refused to extend the containment (its hook reverted)",
    "GuardianOracleTargetHasNoCode":
        "the target has no code on this chain: check --target and --rpc",
    "GuardianOracleRotationNotReady":
        "the rotation delay has not passed: wait for executableAt (see `guardian key-rotation "
        "status`)",
    "GuardianOracleRotationNotQueued":
        "no key rotation is queued (see `guardian key-rotation status`)",
    "GuardianOracleRotationAlreadyQueued":
        "a rotation is already queued: execute it, cancel it, or wait until it lapses",
    "GuardianOracleRotationExpired":
        "the queued rotation lapsed: queue it again",
    "GuardianOracleInvalidThreshold":
        "the oracle needs n/2 < t <= n: run the DKG with a strict-majority threshold",
    "GuardianOracleInvalidPublicKey":
        "the group key is not a valid G1 point in the EIP-2537 encoding",
}


def hint(revert: Revert) -> str | None:
    return HINTS.get(revert.name)


def _checksummed(value):
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{40}", value):
        return Web3.to_checksum_address(value)
    return value


def explain(revert: Revert) -> str:
    """`Name(arg=value, ...)` with addresses checksummed, and the hint on a second line."""
    shown = Revert(revert.name, {k: _checksummed(v) for k, v in revert.args.items()})
    advice = hint(revert)
    return f"{shown}" + (f"\n  hint: {advice}" if advice else "")
