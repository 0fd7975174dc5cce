"""The oracle's timelocked group-key rotation as `guardian key-rotation` sees it: the new
guardian set read from its public file and checked against the oracle (the next epoch, a valid
and consistent set), the current key and the queued rotation read from the chain, and how
`status` prints them (eta and expiry in human terms).

The oracle is the authority on the rules (GuardianOracleKeys.sol): only its governance may queue,
execute or cancel; a rotation becomes executable `rotationDelay` seconds after it was queued and
lapses KEY_ROTATION_EXPIRY seconds after that; n/2 < t <= n. The checks here only turn a wrong
file into a clear message before anything is simulated."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from node.governance.client import GovernanceError, OracleClient
from protocol.guardian_set import GuardianSet, GuardianSetError


class RotationFileError(GovernanceError):
    """The guardian-set file given to `queue` is unreadable, malformed or not the next epoch's."""


def read_new_set(path: Path, backend) -> GuardianSet:
    """The public guardian-set file (as `guardian dkg run` writes it), fully validated."""
    try:
        gset = GuardianSet.from_json(Path(path).read_text())
        gset.validate(backend)
    except FileNotFoundError as exc:
        raise RotationFileError(f"--guardian-set: no such file {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise RotationFileError(f"--guardian-set: cannot read {path}: {exc}") from exc
    except GuardianSetError as exc:
        raise RotationFileError(f"--guardian-set {path}: not a valid guardian set: {exc}") from exc
    return gset


def check_next_epoch(gset: GuardianSet, current_epoch: int, path: Path) -> None:
    """The oracle numbers the queued key `current + 1`; a set file for another epoch would leave
    the guardians' keystores disagreeing with the oracle after execution."""
    if gset.epoch != current_epoch + 1:
        raise RotationFileError(
            f"--guardian-set {path} is for key epoch {gset.epoch}, but the oracle is at epoch "
            f"{current_epoch}: a rotation installs epoch {current_epoch + 1} (run the DKG with "
            f"that epoch)")


def human_duration(seconds: int) -> str:
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{v} {u}" for v, u in ((days, "d"), (hours, "h"), (minutes, "min")) if v]
    if secs or not parts:
        parts.append(f"{secs} s")
    return " ".join(parts[:2])


def _when(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def read_rotation(client: OracleClient) -> dict:
    """The current key, the rotation rules and the queued rotation (None when nothing is queued),
    judged against the latest block's timestamp."""
    f = client.oracle.functions
    now = client.head_timestamp()
    delay = client.read("rotationDelay", f.rotationDelay())
    expiry = client.read("KEY_ROTATION_EXPIRY", f.KEY_ROTATION_EXPIRY())
    doc: dict = {
        "oracle": client.address, "chain_id": client.chain_id, "chain_time": now,
        "governance": client.read("governance", f.governance()),
        "rotation_delay": delay, "rotation_expiry": expiry,
        "current": {"epoch": client.read("keyEpoch", f.keyEpoch()),
                    "threshold": client.read("threshold", f.threshold()),
                    "guardian_count": client.read("guardianCount", f.guardianCount()),
                    "group_public_key": "0x" + client.read("groupPublicKey",
                                                           f.groupPublicKey()).hex()},
        "pending": None,
    }
    epoch, key, t, n, eta = client.read("pendingKeyRotation", f.pendingKeyRotation())
    if eta:
        lapses = eta + expiry
        state = "waiting" if now < eta else ("ready" if now <= lapses else "lapsed")
        doc["pending"] = {"epoch": epoch, "threshold": t, "guardian_count": n,
                          "group_public_key": "0x" + bytes(key).hex(), "executable_at": eta,
                          "expires_at": lapses, "state": state}
    return doc


def compare_with_file(doc: dict, path: Path, backend) -> dict:
    """Whether the guardian-set file at `path` is the queued rotation's and/or the current key."""
    gset = read_new_set(path, backend)
    mine = {"epoch": gset.epoch, "threshold": gset.threshold, "guardian_count": gset.n,
            "group_public_key": "0x" + backend.g1_to_eip2537(gset.group_public_key).hex()}

    def same(entry: dict | None) -> bool:
        return entry is not None and all(entry[k] == v for k, v in mine.items())

    return {"path": str(path), "epoch": gset.epoch, "is_queued": same(doc["pending"]),
            "is_current": same(doc["current"])}


def render(doc: dict) -> str:
    cur, now = doc["current"], doc["chain_time"]
    lines = [f"oracle             {doc['oracle']} (chain {doc['chain_id']})",
             f"governance         {doc['governance']}",
             f"current key        epoch {cur['epoch']}, t={cur['threshold']} of "
             f"n={cur['guardian_count']}",
             f"rotation delay     {doc['rotation_delay']} s ({human_duration(doc['rotation_delay'])})"
             f", a queued rotation lapses {human_duration(doc['rotation_expiry'])} after",
             f"chain time         {_when(now)}"]
    if doc.get("file"):
        f = doc["file"]
        which = ("the queued rotation" if f["is_queued"] else
                 "the current key" if f["is_current"] else "neither the current nor the queued key")
        lines.append(f"guardian-set file  {f['path']} (epoch {f['epoch']}) is {which}")
    p = doc["pending"]
    if p is None:
        lines.append("queued rotation    none")
        return "\n".join(lines)
    lines.append(f"queued rotation    epoch {p['epoch']}, t={p['threshold']} of "
                 f"n={p['guardian_count']}")
    eta, lapses = p["executable_at"], p["expires_at"]
    if p["state"] == "waiting":
        lines.append(f"  executable at    {_when(eta)} (in {human_duration(eta - now)})")
    else:
        lines.append(f"  executable at    {_when(eta)} (since {human_duration(now - eta)})")
    if p["state"] == "lapsed":
        lines.append(f"  lapsed at        {_when(lapses)} ({human_duration(now - lapses)} ago): "
                     "queue it again")
    else:
        lines.append(f"  expires at       {_when(lapses)} (in {human_duration(lapses - now)})")
    lines.append(f"  state            {p['state']}")
    return "\n".join(lines)
