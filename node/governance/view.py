"""What `guardian protocol show` reads from the oracle and how it prints it: the registration (or
a proposal waiting for its admin), the pending admin, the bond, the containment record with any
failed hook, the nonce and the last release block."""

from __future__ import annotations

from datetime import UTC, datetime

from node.governance.client import OracleClient
from node.registration import registration_kwargs

ACTION_LABELS = {0: "none", 1: "pause", 2: "circuit-breaker", 3: "collateral-lock"}
ZERO = "0x" + "00" * 20


def read_protocol(client: OracleClient, protocol_id: bytes) -> dict:
    fns = client.oracle.functions
    registered = client.read("isRegistered", fns.isRegistered(protocol_id))
    doc: dict = {"protocol_id": "0x" + protocol_id.hex(), "oracle": client.address,
                 "chain_id": client.chain_id, "registered": registered, "registration": None}
    if registered:
        params = client.read("getRegistration", fns.getRegistration(protocol_id))
        reg = registration_kwargs(params)
        pending = client.read("pendingProtocolAdmin", fns.pendingProtocolAdmin(protocol_id))
        doc["registration"] = {
            "target": reg["target"], "admin": reg["admin"],
            "pending_admin": None if int(pending, 16) == 0 else pending,
            "actions": reg["actions"].split(","), "hook": reg["hook"],
            "selector": reg["selector"], "max_duration": reg["max_duration"],
            "cooldown": reg["cooldown"],
            "detection": {k: reg[k] for k in ("monitored", "tokens", "outflow_limit_bps",
                                              "window_blocks", "balance_drop_bps",
                                              "invariants")}}
    else:
        doc["proposal"] = _proposal(client, protocol_id)
    registrant, bond = client.read("bondOf", fns.bondOf(protocol_id))
    doc["bond"] = {"registrant": None if int(registrant, 16) == 0 else registrant, "wei": bond}
    failed = client.read("failedHookAction", fns.failedHookAction(protocol_id))
    doc["failed_hook"] = None if not failed else {
        "action": ACTION_LABELS.get(failed, str(failed)),
        "at": client.read("hookFailedAt", fns.hookFailedAt(protocol_id))}
    action, engaged, expires, hook_ok, active = client.read(
        "containment", fns.containment(protocol_id))
    now = client.head_timestamp()
    doc["containment"] = {"action": ACTION_LABELS.get(action, str(action)), "engaged_at": engaged,
                          "expires_at": expires, "hook_succeeded": hook_ok, "active": active,
                          "chain_time": now}
    doc["nonce"] = client.read("nonces", fns.nonces(protocol_id))
    doc["last_release_block"] = client.read("lastReleaseBlock", fns.lastReleaseBlock(protocol_id))
    return doc


def _proposal(client: OracleClient, protocol_id: bytes) -> dict | None:
    """A registration proposal waiting for its admin, or None: not in force, yet the oracle has
    its contents (getRegistration) and the admin it names (pendingProtocolAdmin)."""
    from node.governance.client import WouldRevert

    fns = client.oracle.functions
    try:
        params = client.read("getRegistration", fns.getRegistration(protocol_id))
    except WouldRevert:  # GuardianOracleNotRegistered: nothing at all
        return None
    reg = registration_kwargs(params)
    registrant, _ = client.read("bondOf", fns.bondOf(protocol_id))
    return {"target": reg["target"], "admin": reg["admin"], "registrant": registrant,
            "actions": reg["actions"].split(",")}


def _when(ts: int, now: int) -> str:
    stamp = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    delta = ts - now
    rel = f"in {_span(delta)}" if delta > 0 else f"{_span(-delta)} ago" if delta < 0 else "now"
    return f"{stamp} ({rel})"


def _span(seconds: int) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds} s"


def _bps(bps: int) -> str:
    return f"{bps / 100:.2f}%"


def render(doc: dict) -> str:
    lines = [f"protocol {doc['protocol_id']} on oracle {doc['oracle']} (chain {doc['chain_id']})"]
    reg = doc["registration"]
    proposal = doc.get("proposal")
    if reg is None and proposal:
        lines += ["  registered         no: PROPOSED, waiting for its admin to accept "
                  "(`guardian protocol accept-registration`)",
                  f"  target             {proposal['target']}",
                  f"  admin (to accept)  {proposal['admin']}",
                  f"  registrant         {proposal['registrant']}",
                  f"  actions            {', '.join(proposal['actions'])}"]
    elif reg is None:
        lines.append("  registered         no (the nonce and containment record below are kept)")
    else:
        det = reg["detection"]
        hook = ("IGuardable (engageContainment/liftContainment)" if reg["hook"] == "guardable"
                else f"selector {reg['selector']}")
        lines += [
            "  registered         yes",
            f"  target             {reg['target']}",
            f"  admin              {reg['admin']}",
            f"  pending admin      {reg['pending_admin'] or 'none'}",
            f"  actions            {', '.join(reg['actions'])}",
            f"  hook               {hook}",
            f"  max duration       {reg['max_duration']} s ({_span(reg['max_duration'])})",
            f"  cooldown           {reg['cooldown']} s ({_span(reg['cooldown'])})",
            "detection",
            f"  monitored          {', '.join(det['monitored']) or 'none'}",
            f"  tokens             {', '.join(det['tokens']) or 'none'}",
            "  outflow limit      " + (f"{_bps(det['outflow_limit_bps'])} per "
                                     f"{det['window_blocks']} blocks"
                                     if det["outflow_limit_bps"] else "off"),
            "  one-block drop     " + (_bps(det["balance_drop_bps"])
                                     if det["balance_drop_bps"] else "off"),
            f"  invariants         {', '.join(det['invariants']) or 'none'}",
        ]
    bond = doc.get("bond")
    if bond and bond["registrant"]:
        lines.append(f"  bond               {bond['wei']} wei (paid by {bond['registrant']})")
    c = doc["containment"]
    now = c["chain_time"]
    failed = doc.get("failed_hook")
    lines.append("containment")
    if failed:
        at = f" at {_when(failed['at'], now)}" if failed["at"] else ""
        lines.append(f"  FAILED HOOK        {failed['action']}: an authorization's hook failed"
                     f"{at}; the guardians are refused this action until the admin proves the "
                     f"hook again (`guardian protocol update`)")
    if not c["engaged_at"]:
        lines.append("  state              never contained" + (
            " (the guardians tried: the hook FAILED)" if failed or c["hook_succeeded"] is False
            and doc["nonce"] else ""))
    else:
        state = "ACTIVE" if c["active"] else "not in force"
        lines += [f"  state              {state}",
                  f"  action             {c['action']}",
                  f"  engaged            {_when(c['engaged_at'], now)}",
                  f"  {'expires' if c['active'] else 'ended'}            "
                  f"{_when(c['expires_at'], now)}",
                  "  hook               " + ("succeeded" if c["hook_succeeded"]
                                             else "FAILED (the target was not contained)")]
    lines += [f"nonce                {doc['nonce']} (the next authorization's)",
              f"last release block   {doc['last_release_block']} (evidence must start after it)"]
    return "\n".join(lines)
