"""Whose secrets each container of the compose testnet can read: every volume a container
mounts is walked, and what is in it is named (a share keystore, by the public share it opens
to; a ceremony key, a saved ceremony state, a passphrase, a submitter key, a libp2p identity).

The rule the compose check enforces: guardian-i's volumes hold share i and no other guardian's
share, and hold their secrets only in its own volume; every other container (the deployer, the
attacker) and the shared volume hold no share and no secret at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from node.compose.run import LABEL_SERVICE, ComposeCheckFailed

SECRET_NAMES = {"dkg.key": "ceremony key", "passphrase": "passphrase",
                "submitter.key": "submitter key", "p2p.key": "libp2p identity"}


@dataclass
class VolumeContents:
    name: str
    shares: set[int] = field(default_factory=set)        # guardian indices of share keystores
    secrets: list[str] = field(default_factory=list)     # "dkg.key at guardian/dkg.key", ...


def classify(name: str, root: Path, public_shares: tuple[bytes, ...]) -> VolumeContents:
    """What the files under `root` (a volume's contents) hold."""
    by_key = {pk.hex(): i for i, pk in enumerate(public_shares, 1)}
    out = VolumeContents(name)
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if path.name in SECRET_NAMES:
            out.secrets.append(f"{SECRET_NAMES[path.name]} at {rel}")
        elif re.fullmatch(r"dkg-state-[0-9a-f]+\.bin", path.name):
            out.secrets.append(f"ceremony state at {rel}")
        elif path.suffix == ".json":
            try:
                doc = json.loads(path.read_text())
            except (ValueError, UnicodeDecodeError, OSError):
                continue
            if isinstance(doc, dict) and "crypto" in doc and "pubkey" in doc:
                index = by_key.get(str(doc["pubkey"]))
                if index is None:
                    out.secrets.append(f"a keystore of no current guardian at {rel}")
                else:
                    out.shares.add(index)
    return out


def check_holdings(mounts: dict[str, list[str]], contents: dict[str, VolumeContents]) -> list[str]:
    """The rule above, as a list of violations (empty: it holds). `mounts`: service -> volume
    names it mounts."""
    problems = []
    for service, volumes in sorted(mounts.items()):
        match = re.fullmatch(r"guardian-(\d+)", service)
        own = int(match.group(1)) if match else None
        shares = set().union(*(contents[v].shares for v in volumes)) if volumes else set()
        foreign = shares - {own}
        if foreign:
            problems.append(f"{service} can read the shares of guardians {sorted(foreign)}")
        if own is not None and own not in shares:
            problems.append(f"{service} holds no share of its own")
        for v in volumes:
            users = [s for s, vs in mounts.items() if v in vs]
            if contents[v].secrets and (own is None or len(users) > 1):
                problems.append(f"volume {v} (mounted by {', '.join(sorted(users))}) holds "
                                f"secrets: {', '.join(contents[v].secrets)}")
    return problems


def audit(engine, project: str, public_shares: tuple[bytes, ...]) -> tuple[dict, dict]:
    """Every container of the project, the volumes it mounts and what they hold (read from
    the volumes' mount points on the host: rootful podman or Docker)."""
    from node.compose.run import LABEL_PROJECT

    ids = engine.run("ps", "-a", "-q", "--filter",
                     f"label={LABEL_PROJECT}={project}").stdout.split()
    mounts: dict[str, list[str]] = {}
    for cid in ids:
        info = json.loads(engine.run("inspect", cid).stdout)[0]
        service = info["Config"]["Labels"].get(LABEL_SERVICE, cid)
        mounts[service] = sorted(m["Name"] for m in info.get("Mounts", [])
                                 if m.get("Type") == "volume")
    contents = {}
    for volume in sorted({v for vs in mounts.values() for v in vs}):
        point = json.loads(engine.run("volume", "inspect", volume).stdout)[0]["Mountpoint"]
        if not Path(point).is_dir():
            raise ComposeCheckFailed(f"cannot read volume {volume} at {point}")
        contents[volume] = classify(volume, Path(point), public_shares)
    return mounts, contents


__all__ = ["VolumeContents", "audit", "check_holdings", "classify"]
