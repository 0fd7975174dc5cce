"""Pending evidence: what makes evidence about a transaction that is not mined yet checkable by
every guardian.

Evidence of a pending incident (`Evidence.pending` set) is about the block after its base block:
`block_to` is base + 1 and the observations at `block_to` are the state after the raw signed
transaction `raw_tx`, executed on top of the base block (number `block_to - 1`, hash `base_hash`)
in a block whose number is base + 1 and whose timestamp is `sim_time` (`next_block_time`: a peer
accepts any timestamp within MAX_SIM_SECONDS after the base block, but honest guardians agree). The same rules of
`protocol.detection` judge it; a peer re-simulates the same raw transaction on the same base block
on its own node and requires the same observations. The evidence hash binds all of it (the
`pending` map is part of the canonical encoding when present, absent otherwise, so evidence of a
mined incident encodes exactly as before).

Canonical encoding of the `pending` map: keys raw_tx (bin, 1..MAX_RAW_TX_BYTES), base_hash
(bin 32), sim_time (uint64), in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol.wire import MessageError, check_keys, fixed_bytes, uint, var_bytes

# A Report must fit in one gossip message (protocol.wire.MAX_MESSAGE_BYTES, 4096): the raw
# transaction gets half of it. Exploits that carry more calldata are left to the mined-block path.
MAX_RAW_TX_BYTES = 2048
# The simulated block's timestamp must follow its base block by at most this many seconds.
MAX_SIM_SECONDS = 60
# A pending transaction (or a new contract's probe) is judged on the chain as it is now: a peer
# signs such evidence only while its base block is at most this many blocks behind the peer's own
# head. On an older base, a transaction that is harmless today can look like theft (an airdrop
# claim simulated before its allocation was set), and a faulty or lagging guardian could make
# honest peers reproduce, and sign, that stale verdict.
MAX_BASE_LAG_BLOCKS = 5
PENDING_KEYS = ("raw_tx", "base_hash", "sim_time")


@dataclass(frozen=True)
class PendingContext:
    raw_tx: bytes
    base_hash: bytes
    sim_time: int

    def __post_init__(self) -> None:
        pending_from_fields(pending_to_fields(self))


def pending_to_fields(ctx: PendingContext) -> dict[str, Any]:
    return {"raw_tx": ctx.raw_tx, "base_hash": ctx.base_hash, "sim_time": ctx.sim_time}


def pending_from_fields(raw: Any) -> PendingContext:
    if not isinstance(raw, dict):
        raise MessageError("evidence.pending: expected a map")
    check_keys(raw, PENDING_KEYS, "evidence.pending")
    raw_tx = var_bytes(raw, "raw_tx", "evidence.pending", MAX_RAW_TX_BYTES)
    if not raw_tx:
        raise MessageError("evidence.pending.raw_tx: empty")
    base_hash = fixed_bytes(raw, "base_hash", "evidence.pending", 32)
    sim_time = uint(raw, "sim_time", "evidence.pending")
    ctx = object.__new__(PendingContext)
    for name, value in (("raw_tx", raw_tx), ("base_hash", base_hash), ("sim_time", sim_time)):
        object.__setattr__(ctx, name, value)
    return ctx


def base_block(block_to: int) -> int:
    """The block a pending incident's transaction is simulated on."""
    return block_to - 1


def base_too_old(block_to: int, head: int) -> bool:
    """A pending incident's (or a probe's) evidence whose base block is more than
    MAX_BASE_LAG_BLOCKS behind `head`: no guardian that has not signed it yet will sign it now, so
    its report can gather no more shares. A guardian that signed such a report and saw it stall
    may sign a fresher report of the same incident, and report the incident again itself."""
    return head - base_block(block_to) > MAX_BASE_LAG_BLOCKS


def next_block_time(base_timestamp: int, parent_timestamp: int) -> int:
    """The simulated next block's timestamp: the base block's plus the chain's own last interval
    (base minus its parent, within 1..MAX_SIM_SECONDS). Derived from the chain alone, so every
    guardian simulating on the same base block uses the same environment and their evidence is
    byte-identical: their shares combine without waiting for anyone's report."""
    return base_timestamp + min(MAX_SIM_SECONDS, max(1, base_timestamp - parent_timestamp))


def sim_time_ok(base_timestamp: int, sim_time: int) -> bool:
    """The simulated block's timestamp follows its base block's, by at most MAX_SIM_SECONDS."""
    return base_timestamp < sim_time <= base_timestamp + MAX_SIM_SECONDS


def race_tip(exploit_tip: int, margin: int, cap: int, floor: int) -> tuple[int, bool]:
    """The priority fee of a containment racing a pending exploit whose effective tip is
    `exploit_tip`: above it by `margin`, at least `floor`, at most `cap`. The flag says the exploit
    outbids the cap (the containment may then be ordered after it)."""
    wanted = max(floor, exploit_tip + margin)
    return min(wanted, cap), wanted > cap


def race_fee_cap(exploit_fee_cap: int, margin: int, cap: int, floor: int) -> tuple[int, bool]:
    """The fee cap (maxFeePerGas) of a containment racing a pending exploit whose fee cap is
    `exploit_fee_cap`. Block builders order by effective priority fee, which `race_tip` wins; some
    mempools (anvil's among them) order by the fee cap instead, so the containment outbids that too.
    A higher cap costs nothing by itself (a transaction pays the base fee plus its tip); it only
    bounds what a base-fee rise could cost, so the operator's `cap` applies. Same flag as above."""
    wanted = max(floor, exploit_fee_cap + margin)
    return min(wanted, cap), wanted > cap
