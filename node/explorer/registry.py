"""The registry as the explorer shows it: each protocol's rules, policy and state (watched,
contained until, cooling down until, failed hook), read through `node.chain.registry` and the
oracle client at one block."""

from __future__ import annotations

import time

from node.chain.oracle import OracleClient
from node.chain.registry import RegistryTracker
from protocol.digest import Action


def action_names(mask: int) -> list[str]:
    return [a.name.lower() for a in Action if mask & (1 << int(a))]


def utc(unix: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(unix))


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


async def protocol_rows(oracle: OracleClient, tracker: RegistryTracker, head: int,
                        now: int) -> list[dict]:
    rows = []
    for pid in await oracle.protocol_ids():
        watched = await tracker.watched_at(pid, head)
        reg = await oracle.registration(pid, block=head)
        if watched is None or reg is None:
            continue
        state = await oracle.containment(pid, block=head)
        release = watched.release_block
        cooling_until = None
        if release:
            cooling_until = (await oracle.block_timestamp(release)) + reg.cooldown
        if watched.failed_action:
            status = f"failed hook ({Action(watched.failed_action).name.lower()}): not contained"
        elif state.active:
            status = (f"contained ({Action(state.action).name.lower()}) until "
                      f"{utc(state.expires_at)}")
        elif cooling_until and cooling_until > now:
            status = f"cooling down until {utc(cooling_until)}"
            if state.action and state.action != Action.PAUSE:  # the oracle lets a PAUSE through
                status += " (a PAUSE may still engage)"
        else:
            status = "watched"
        p = watched.params
        rows.append({
            "protocol_id": _hex(pid), "target": _hex(reg.target), "admin": _hex(reg.admin),
            "status": status, "contained": state.active, "expires_at": state.expires_at or None,
            "cooling_until": cooling_until, "nonce": watched.nonce, "release_block": release,
            "policy": {"actions": action_names(reg.allowed_actions),
                       "hook": "IGuardable" if reg.hook_kind == 0 else
                       f"selector 0x{reg.pause_selector.hex()}",
                       "max_duration_s": reg.max_duration, "cooldown_s": reg.cooldown},
            "rules": {"monitored": [_hex(m) for m in p.monitored],
                      "tokens": [_hex(t) for t in p.tokens],
                      "outflow_limit_bps": p.outflow_limit_bps, "window_blocks": p.window_blocks,
                      "balance_drop_bps": p.balance_drop_bps,
                      "invariants": [f"{_hex(i.target)}:{_hex(i.data)}" for i in p.invariants],
                      "claims_view": _hex(p.claims) if p.claims is not None else None}})
    return rows
