"""Containment actions: what the oracle may do to a protocol, one row per action.

The action numbers are part of the authorization digest (`protocol.digest.Action`) and of the
contract (`contracts/src/OracleTypes.sol`: the bit `1 << action` in a registration's
allowed-actions mask). Everything else the node needs to know about an action is its row here:
the name operators type, what it does, and where it ranks when a detection rule (see
`protocol.detection.RULES`) does not state a preference for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from protocol.digest import Action


@dataclass(frozen=True)
class Containment:
    action: Action
    name: str  # as operators type it (`guardian protocol register --actions`)
    effect: str


# Strongest first: the fallback order when a rule does not rank an action.
CONTAINMENTS: tuple[Containment, ...] = (
    Containment(Action.PAUSE, "pause", "pause the protocol (IGuardable hook or a pause() selector)"),
    Containment(Action.COLLATERAL_LOCK, "collateral-lock", "suspend withdrawals"),
    Containment(Action.CIRCUIT_BREAKER, "circuit-breaker", "suspend matching / new positions"),
)

BY_NAME: dict[str, Action] = {c.name: c.action for c in CONTAINMENTS}


def action_bit(action: Action) -> int:
    """The action's bit in a registration's allowed-actions mask (as OracleTypes.sol defines)."""
    return 1 << int(action)


def allows(allowed_actions_mask: int, action: Action) -> bool:
    return bool(allowed_actions_mask & action_bit(action))


def preference(stated: tuple[Action, ...]) -> tuple[Action, ...]:
    """`stated` first, then every other action in the table's order (strongest first)."""
    return stated + tuple(c.action for c in CONTAINMENTS if c.action not in stated)


class Shape(IntEnum):
    """The class of an evidence kind (`protocol.detection.RULES`): what it says about intent."""

    EXPLOIT = 1  # says how value left or what broke: whoever caused it, it is an exploit
    VOLATILITY = 2  # says only how much left: a whale or a bank run looks the same


# The fixed mapping from class to the containments it may engage, strongest first: volatility
# only the weak, rate-limiting circuit breaker (if allowed; else nothing), exploit the strongest
# allowed. A registration chooses through its allowed-actions mask; nothing else on chain.
CLASS_ACTIONS: dict[Shape, tuple[Action, ...]] = {
    Shape.EXPLOIT: (Action.PAUSE, Action.COLLATERAL_LOCK, Action.CIRCUIT_BREAKER),
    Shape.VOLATILITY: (Action.CIRCUIT_BREAKER,),
}
